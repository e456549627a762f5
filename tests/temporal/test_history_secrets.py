"""No secret value reaches Temporal's storage: an inline secret, a --var-file secret and
a worker's environment secret (canary values, echoed and failed on by activities) are
looked for in every byte the dev server stored (its SQLite files, read raw) and in the
history read back with the temporal CLI (payloads decoded), and in what squall shows
and writes (console, journal, run history, worker log). Without a payload key a run
that would carry a secret is refused before anything starts."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sqengine import Bed
from sqhistory import stored_bytes
from sqmarks import queue_name, shell, write_experiment
from temporal import TemporalServer, temporal_binary_or_skip

pytestmark = pytest.mark.slow

KEY = base64.b64encode(os.urandom(32)).decode()
INLINE = "canary-inline-4d1e0b77"
VAR_FILE = "canary-varfile-93ac5e21"
ENV = "canary-env-b6f07c3d"
#: not a secret: proves the raw search finds what is stored in clear
PUBLIC = "public-marker-2a8f6c19"


@pytest.fixture(scope="module")
def bed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bed]:
    """This module's bed: a dev server of its own whose database is a file (the session's
    keeps it in memory), for ``_stored`` to read; each test starts its own workers."""
    server = TemporalServer(temporal_binary_or_skip(), persist=True)
    own = Bed(server, tmp_path_factory.mktemp("history-secrets"))
    try:
        yield own
    finally:
        own.stop()
        server.stop()


def _stored(bed: Bed) -> bytes:
    """Every byte of the dev server's database (the SQLite file, its WAL and journal)."""
    files = sorted(bed.server.root.glob("temporal.db*"))
    assert files, list(bed.server.root.iterdir())
    return b"".join(path.read_bytes() for path in files)


def _experiment(path: Path, queue: str, names: tuple[str, ...]) -> Path:
    """Activities using the secrets ``names``: printing them (stdout, stderr), failing
    with them in their error, returning them from Python, raising them in an exception;
    a rollback printing them. ``from_env`` is the worker's, ``inline`` is declared here,
    ``from_file`` comes from a --var-file."""
    shown = " ".join(f"${{{n}}}" for n in names)
    secrets: dict[str, Any] = {"from_env": {"type": "env", "key": "WORKER_SECRET"}}
    if "inline" in names:
        secrets["inline"] = INLINE

    def python(name: str, func: str, argument: str) -> dict[str, Any]:
        provider = {"type": "python", "module": "sqtest", "func": func}
        return {
            "type": "probe",
            "name": name,
            "provider": {**provider, "arguments": {argument: shown}},
        }

    method = [
        shell("show", f"echo {shown}; echo {shown} >&2", "probe"),
        {**shell("fail", f"echo {shown} >&2; exit 3", "probe"), "tolerance": 0},
        python("returned", "echo", "value"),
        python("raised", "boom", "message"),
    ]
    return write_experiment(
        path,
        [{**activity, "secrets": ["s"]} for activity in method],
        [{**shell("undo", f"echo {shown}"), "secrets": ["s"]}],
        configuration={"public": PUBLIC},
        secrets={"s": secrets},
        squall={"task_queue": queue},
    )


def _canaries(text: str | bytes, canaries: tuple[str, ...]) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    return [c for c in canaries if c.encode() in data]


def test_no_secret_in_temporal_s_storage_nor_in_what_squall_shows(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    queue = queue_name(request)
    worker = bed.worker(queue, SQUALL_TEMPORAL_KEY=KEY, WORKER_SECRET=ENV)
    var_file = tmp_path / "vars.json"
    var_file.write_text(json.dumps({"secrets": {"s": {"from_file": VAR_FILE}}}))
    journal = tmp_path / "journal.json"
    experiment = _experiment(tmp_path / "secrets.json", queue, ("from_env", "from_file", "inline"))
    done = bed.squall(
        "run", "--engine", "temporal", "--var-file", str(var_file),
        "--journal-path", str(journal), str(experiment),
        SQUALL_TEMPORAL_KEY=KEY,
    )  # fmt: skip
    document = json.loads(journal.read_text())
    run_id = document["squall"]["run_id"]
    entries = {e["activity"]["name"]: e for e in document["run"] + document["rollbacks"]}
    # the secrets were used: each activity printed three masked values
    assert entries["show"]["output"]["stdout"].split() == ["***"] * 3, done.stderr + worker.log()
    assert entries["returned"]["output"] == "*** *** ***", entries["returned"]
    assert "*** *** ***" in "".join(entries["raised"]["exception"]), entries["raised"]
    assert entries["undo"]["status"] == "succeeded"
    canaries = (INLINE, VAR_FILE, ENV)
    everything = {
        "console": done.stdout + done.stderr,
        "journal": journal.read_text(),
        "worker log": worker.log(),
        "run history": stored_bytes(os.environ["SQUALL_HISTORY"]),
        "Temporal history": bed.history_text(run_id),
        "Temporal database": _stored(bed),
    }
    leaks = {where: _canaries(data, canaries) for where, data in everything.items()}
    assert leaks == {where: [] for where in everything}
    # the run is in the database, encrypted: not even the configuration is in clear
    assert run_id.encode() in everything["Temporal database"]
    assert not _canaries(everything["Temporal database"], (PUBLIC,))
    assert "binary/squall-encrypted" in everything["Temporal history"]


def test_without_a_key_only_worker_side_secrets_run_and_none_is_stored(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """No payload key: an inline or --var-file secret is refused (exit 2, nothing
    started, the message says how to give a key); an env secret, resolved on the
    worker, runs, and the history (in clear: the configuration can be read) has none."""
    queue = queue_name(request)
    worker = bed.worker(queue, WORKER_SECRET=ENV)
    var_file = tmp_path / "vars.json"
    var_file.write_text(json.dumps({"secrets": {"s": {"from_file": VAR_FILE}}}))
    inline = _experiment(tmp_path / "refused-inline.json", queue, ("from_env", "inline"))
    from_file = _experiment(tmp_path / "refused-var-file.json", queue, ("from_file",))
    for args, secret in (
        ((str(inline),), "s.inline"),
        (("--var-file", str(var_file), str(from_file)), "s.from_file"),
    ):
        refused = bed.squall("run", "--engine", "temporal", *args)
        assert refused.returncode == 2, refused.stderr
        assert secret in refused.stderr and "SQUALL_TEMPORAL_KEY" in refused.stderr
        assert "Traceback" not in refused.stderr
        assert not _canaries(refused.stdout + refused.stderr, (INLINE, VAR_FILE))
    listed = bed.server.cli("workflow", "list", "--query", f"TaskQueue='{queue}'", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout or "[]") == []  # nothing was started
    experiment = _experiment(tmp_path / "env-only.json", queue, ("from_env",))
    journal = tmp_path / "journal.json"
    done = bed.squall(
        "run", "--engine", "temporal", "--journal-path", str(journal), str(experiment)
    )
    run = json.loads(journal.read_text())
    entries = {e["activity"]["name"]: e for e in run["run"]}
    assert entries["show"]["output"]["stdout"].strip() == "***", done.stderr + worker.log()
    assert entries["returned"]["output"] == "***", entries["returned"]
    assert "***" in "".join(entries["raised"]["exception"]), entries["raised"]
    history = bed.history_text(run["squall"]["run_id"])
    stored = _stored(bed)
    assert PUBLIC in history and PUBLIC.encode() in stored  # in clear, and found
    assert not _canaries(history, (ENV,)) and not _canaries(stored, (ENV,))
    assert not _canaries(done.stdout + done.stderr + journal.read_text(), (ENV,))


CONTROL_ARG = "canary-control-arg-5b2e9d04"


def test_a_control_s_arguments_and_the_secrets_it_quotes_stay_out_of_temporal(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A global control (``--control-file``) whose argument is a canary, and which stops
    the run from its own thread (as a safeguard does) with that argument and a worker's
    env secret in the reason: the run stops (kind safeguard, rollbacks played), the
    secret is masked everywhere, and neither canary is in Temporal's storage (the
    control's declaration and the stop signal are encrypted payloads)."""
    queue = queue_name(request)
    worker = bed.worker(queue, SQUALL_TEMPORAL_KEY=KEY, WORKER_SECRET=ENV)
    controls = tmp_path / "controls.json"
    arguments = {"token": CONTROL_ARG}
    leaky = {"provider": {"type": "python", "module": "secretcontrol", "arguments": arguments}}
    controls.write_text(json.dumps({"leaky": leaky}))
    experiment = write_experiment(
        tmp_path / "leaky.json",
        [shell("fault", "echo fault")],
        [shell("undo", "echo undone")],
        secrets={"s": {"from_env": {"type": "env", "key": "WORKER_SECRET"}}},
        squall={"task_queue": queue},
    )
    journal = tmp_path / "journal.json"
    done = bed.squall(
        "run", "--engine", "temporal", "--control-file", str(controls),
        "--journal-path", str(journal), str(experiment),
        SQUALL_TEMPORAL_KEY=KEY,
    )  # fmt: skip
    assert done.returncode == 130, done.stderr + worker.log()
    document = json.loads(journal.read_text())
    interruption = document["interruption"]
    assert interruption["kind"] == "safeguard"
    assert interruption["reason"] == f"breach: {CONTROL_ARG} ***"
    assert [e["activity"]["name"] for e in document["rollbacks"]] == ["undo"]
    everything = {
        "console": done.stdout + done.stderr,
        "journal": journal.read_text(),
        "worker log": worker.log(),
        "Temporal history": bed.history_text(document["squall"]["run_id"]),
        "Temporal database": _stored(bed),
    }
    leaks = {where: _canaries(data, (ENV,)) for where, data in everything.items()}
    assert leaks == {where: [] for where in everything}
    assert not _canaries(everything["Temporal database"], (CONTROL_ARG,))
    assert not _canaries(everything["Temporal history"], (CONTROL_ARG,))
