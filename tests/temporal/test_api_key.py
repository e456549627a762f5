"""The Temporal API key, against a server that checks it. The dev server accepts any key,
so a front that checks it stands before it (tests/support/grpcauth.py: a real HTTP/2
process on 127.0.0.1 that decodes the clients' headers; gRPC status UNAUTHENTICATED to a
connection without the right ``authorization: Bearer KEY``). squall's commands and its
worker send the key from ``$SQUALL_TEMPORAL_API_KEY`` or ``temporal.api_key`` as that
header, on every call; a wrong or missing key is refused with a one-line message (exit
2); the key is never printed, logged or written (the console, the worker's log, the
journal, the run history, the Temporal history). What is not tested here: the key over
TLS to a real Temporal Cloud namespace (TLS itself is tested by test_tls.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grpcauth import AuthFront
from sqengine import Bed
from sqhistory import stored_bytes
from sqmarks import marked, queue_name, write_experiment
from sqworker import SquallWorker
from temporal import TemporalServer

KEY = "sq-api-canary-0c5e91d7b3f2a864"


@pytest.fixture
def front(temporal_server: TemporalServer, tmp_path: Path) -> Iterator[AuthFront]:
    server = AuthFront(temporal_server.address, KEY, tmp_path / "authorization.log")
    try:
        yield server
    finally:
        server.close()


def _via(front: AuthFront, **extra: str) -> dict[str, str]:
    return {"SQUALL_TEMPORAL_ADDRESS": f"127.0.0.1:{front.port}", "SQUALL_TEMPORAL_TLS": "false",
            **extra}  # fmt: skip


def test_the_key_from_the_environment_is_sent_as_a_bearer_header_and_never_shown(
    squall: Any, front: AuthFront
) -> None:
    listed = squall("schedule", "list", env=_via(front, SQUALL_TEMPORAL_API_KEY=KEY))
    assert listed.code == 0, listed.stderr
    seen = front.seen()
    assert seen and set(seen) == {f"Bearer {KEY}"}, seen  # every call carries it
    assert KEY not in listed.stdout + listed.stderr


def test_the_key_from_the_settings_file_is_sent_too(
    squall: Any, front: AuthFront, tmp_path: Path
) -> None:
    # the squall fixture's --settings file
    (tmp_path / "settings.yaml").write_text(f"temporal:\n  api_key: {KEY}\n  tls: false\n")
    listed = squall("schedule", "list", env=_via(front))
    assert listed.code == 0, listed.stderr
    assert set(front.seen()) == {f"Bearer {KEY}"}


@pytest.mark.parametrize("given", ["sq-api-wrong-key-77aa01", None], ids=["wrong", "missing"])
def test_a_wrong_or_missing_key_is_refused_in_one_line(
    squall: Any, front: AuthFront, given: str | None
) -> None:
    env = _via(front) if given is None else _via(front, SQUALL_TEMPORAL_API_KEY=given)
    listed = squall("schedule", "list", env=env)
    assert listed.code == 2, listed.stderr
    assert "refused the credentials (UNAUTHENTICATED" in listed.stderr
    assert "check the API key ($SQUALL_TEMPORAL_API_KEY" in listed.stderr
    assert "Traceback" not in listed.stderr
    assert front.seen() and f"Bearer {KEY}" not in front.seen()
    if given is not None:
        assert given not in listed.stdout + listed.stderr


@pytest.mark.slow
def test_a_run_and_its_worker_through_the_checking_front_never_write_the_key(
    bed: Bed, front: AuthFront, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    queue = queue_name(request)
    history = tmp_path / "history.sqlite3"
    env = _via(front, SQUALL_TEMPORAL_API_KEY=KEY, SQUALL_HISTORY=str(history))
    experiment = write_experiment(tmp_path / "keyed.json", [marked(tmp_path, "act")])
    journal = tmp_path / "journal.json"
    worker_log = tmp_path / "worker.log"
    with SquallWorker(f"127.0.0.1:{front.port}", queue, worker_log, env=bed.env(**env)):
        done = bed.squall(
            "run", "--engine", "temporal", "--task-queue", queue, "--journal-path",
            str(journal), str(experiment), **env,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert set(front.seen()) == {f"Bearer {KEY}"}
    run_id = json.loads(journal.read_text())["squall"]["run_id"]
    everything = {
        "console": done.stdout + done.stderr,
        "worker log": worker_log.read_text(),
        "journal": journal.read_text(),
        "run history": stored_bytes(history).decode("utf-8", "replace"),
        "Temporal history": bed.history_text(run_id),
    }
    assert run_id in everything["Temporal history"]
    assert [where for where, text in everything.items() if KEY in text] == []
