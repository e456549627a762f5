"""Secret canaries: plant secret values in every place an experiment can use them, run the
real ``squall`` CLI (runs that hold, deviate, fail and are interrupted), then look for
the canaries in every sink: stdout/stderr, the journal, the event stream, every other
file squall wrote (log file, run history), the run history on SQLite and on a real
PostgreSQL, ``squall runs show``, and a real webhook receiving the notifications.

Every canary contains ``CNRY``; none of the sinks may contain it in any form."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from squall.testing.http import LoopbackHTTPServer

from sqharness import LocalServer, subprocess_env

pytestmark = pytest.mark.slow  # real runs of the CLI, about 50 s in all

HERE = Path(__file__).resolve().parent
MARK = "CNRY"
INLINE = "CNRY-inline-0001"
ENV = "CNRY-env-0002"
FILE = "CNRY-file-0003"
SPECIAL = 'CNRY q/"x y\\é-0004'  # changes under JSON, repr and URL encodings
PAUSE = "CNRY-pause-0005"  # a secret used as a pause (not a number)


@pytest.fixture(scope="module")
def servers() -> Any:
    echo, boom = LocalServer(), LoopbackHTTPServer().start()
    boom.set(f"/boom/{INLINE}", 500, body=f"internal error for {INLINE}")
    with socket.socket() as sock:  # a port where nothing listens
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    yield {"echo": echo, "boom": boom, "closed": closed}
    echo.close()
    boom.stop()


def _python(name: str, func: str, **arguments: Any) -> dict[str, Any]:
    return {
        "type": "action",
        "name": name,
        "provider": {"type": "python", "module": "canarymod", "func": func, "arguments": arguments},
    }


def _http(name: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"type": "action", "name": name, "provider": {"type": "http", "url": url, **extra}}


def _process(name: str, script: str, *args: str) -> dict[str, Any]:
    return {
        "type": "action",
        "name": name,
        "provider": {"type": "process", "path": "sh", "arguments": ["-c", script, "sh", *args]},
    }


def experiment(mode: str, servers: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """An experiment using every canary; ``mode`` says how the run should end."""
    echo, boom_url = servers["echo"].url, servers["boom"].base_url
    probes: list[dict[str, Any]] = [
        {
            "type": "probe",
            "name": "http-with-secrets",
            "tolerance": 200,
            "provider": {
                "type": "http",
                "url": echo + "/echo?token=${inline_token}&special=${special}",
                "headers": {"Authorization": "Bearer ${env_token}"},
            },
        },
        {
            "type": "probe",
            "name": "process-with-secret",
            "tolerance": {"type": "regex", "target": "stdout", "pattern": "${file_token}"},
            "provider": {"type": "process", "path": "echo", "arguments": "${file_token}"},
        },
    ]
    method: list[dict[str, Any]] = [
        _python("echo-secrets", "echo", token="${inline_token}", special="${special}"),
        _process("process-prints", 'echo "$1"; echo "$2" >&2', "${env_token}", "${special}"),
        {
            **_process("uses-outputs", "echo ${outputs.echo-secrets.token}"),
            "pauses": {"before": 0},
        },
        _http("http-500", boom_url + "/boom/${inline_token}"),
    ]
    if mode == "deviated":
        flip = str(tmp_path / "flip")
        probes.append(
            {
                "type": "probe",
                "name": "tolerance-is-secret",
                "tolerance": "${inline_token}",
                "provider": {
                    "type": "python",
                    "module": "canarymod",
                    "func": "flip",
                    "arguments": {"path": flip, "token": "${inline_token}"},
                },
            }
        )
    elif mode == "failed":
        method += [
            _python("python-raises", "refuse", token="${special}"),
            _http("http-refused", f"http://127.0.0.1:{servers['closed']}/x?t=${{inline_token}}"),
            _http("http-timeout", echo + "/slow?s=3&t=${env_token}", timeout=0.3),
            {**_process("bad-pause", "true"), "pauses": {"after": "${pause}"}},
        ]
    elif mode in ("interrupted", "killed"):
        marker = tmp_path / "marker"
        method.append(_process("wait-here", f"echo ${{inline_token}}; touch {marker}; sleep 30"))
    return {
        "version": "1.0.0",
        "title": "canary ${inline_token} title",
        "description": "uses ${env_token}",
        "tags": ["canary"],
        "configuration": {
            "dyn": {
                "type": "probe",
                "name": "dynamic-configuration",
                "provider": {
                    "type": "python",
                    "module": "canarymod",
                    "func": "dynamic",
                    "arguments": {"token": "${inline_token}"},
                },
            }
        },
        "secrets": {
            "canary": {
                "inline_token": INLINE,
                "special": SPECIAL,
                "pause": PAUSE,
                "env_token": {"type": "env", "key": "CANARY_ENV_TOKEN"},
            }
        },
        "controls": [
            {
                "name": "leaky-control",
                "provider": {
                    "type": "python",
                    "module": "canarymod",
                    "arguments": {"token": "${inline_token}"},
                },
            }
        ],
        "steady-state-hypothesis": {"title": "steady ${inline_token}", "probes": probes},
        "method": method,
        "rollbacks": [_process("rollback-prints", "echo ${env_token} ${file_token}")],
    }


class Sinks:
    """What one run left behind, by sink name."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}

    def add(self, name: str, text: str | bytes) -> None:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        self.texts[name] = text

    def leaks(self) -> str:
        """Each sink holding a canary, with the text around its first few (empty: none)."""
        report = []
        for name, text in self.texts.items():
            at, shown = text.find(MARK), 0
            while at >= 0 and shown < 4:
                report.append(f"{name}: ...{text[max(at - 90, 0) : at + 40]!r}...")
                at, shown = text.find(MARK, at + 1), shown + 1
        return "\n".join(report)


def _files(root: Path, skip: set[Path]) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path not in skip
    }


def run_canary(
    mode: str, servers: dict[str, Any], tmp_path: Path, history: str | None = None
) -> tuple[int, Sinks, dict[str, Any] | None]:
    work = tmp_path / "work"
    work.mkdir()
    path = work / "experiment.json"
    path.write_text(json.dumps(experiment(mode, servers, tmp_path)))
    varfile = work / "vars.yaml"
    varfile.write_text(yaml.safe_dump({"secrets": {"canary": {"file_token": FILE}}}))
    settings = work / "settings.yaml"
    settings.write_text(
        yaml.safe_dump(
            {"notifications": [{"type": "http", "url": servers["echo"].url + "/echo?hook=1"}]}
        )
    )
    env = subprocess_env(
        CANARY_ENV_TOKEN=ENV,
        PYTHONPATH=os.pathsep.join([str(HERE), subprocess_env()["PYTHONPATH"]]),
        SQUALL_HISTORY=history or str(work / "history.sqlite3"),
        XDG_STATE_HOME=str(work / "state"),
        SQUALL_RECOVERY_DIR=str(work / "state" / "runs"),  # scanned with the rest
        XDG_DATA_HOME=str(work / "data"),
    )
    argv = [
        sys.executable,
        "-m",
        "squall",
        "--verbose",
        "--log-file",
        str(work / "squall.log"),
        "--settings",
        str(settings),
        "run",
        "--journal-path",
        str(work / "journal.json"),
        "--keep-events",
        "--var-file",
        str(varfile),
        *(["--rollback-strategy", "always"] if mode in ("interrupted", "killed") else []),
        str(path),
    ]
    before = len(servers["echo"].requests)
    proc = subprocess.Popen(
        argv,
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    if mode in ("interrupted", "killed"):
        deadline = time.monotonic() + 30
        while not (tmp_path / "marker").exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the run never reached its slow action"
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT if mode == "interrupted" else signal.SIGKILL)
    out, err = proc.communicate(timeout=60)
    sinks = Sinks()
    sinks.add("stdout", out)
    sinks.add("stderr", err)
    if mode == "killed":  # what the killed run left, then `squall recover` on it
        for name, data in _files(work, {path, varfile, settings}).items():
            sinks.add(f"file {name} (before recover)", data)
        streams = list((work / "state").rglob("*.events.jsonl"))
        assert len(streams) == 1, sorted(work.rglob("*"))
        run_id = streams[0].name.split(".")[0]
        recover = [sys.executable, "-m", "squall", "--settings", str(settings), "recover", run_id]
        refused = subprocess.run(recover, cwd=work, env=env, capture_output=True, check=False)
        # the rollback uses a --var-file secret, never written to disk: recover refuses
        # until it is given again, rather than play with the placeholder unresolved
        assert refused.returncode == 2, refused.stderr
        assert b"canary.file_token" in refused.stderr and b"nothing was played" in refused.stderr
        sinks.add("recover refused", refused.stdout + refused.stderr)
        recovered = subprocess.run(
            [*recover, "--var-file", str(varfile)],
            cwd=work,
            env=env,
            capture_output=True,
            check=False,
        )
        assert recovered.returncode == 0, recovered.stderr
        sinks.add("recover stdout", recovered.stdout)
        sinks.add("recover stderr", recovered.stderr)
    for name, data in _files(work, {path, varfile, settings}).items():
        sinks.add(f"file {name}", data)
    for method, where, headers, body in servers["echo"].requests[before:]:
        if where == "/echo?hook=1":
            sinks.add(f"webhook {method} {where} #{len(sinks.texts)}", f"{headers}\n{body}")
    journal_file = work / "journal.json"
    journal = json.loads(journal_file.read_text()) if journal_file.exists() else None
    if journal is not None:
        run_id = journal["squall"]["run_id"]
        for extra in ([], ["--json"]):
            shown = subprocess.run(
                [sys.executable, "-m", "squall", "runs", "show", run_id, *extra],
                cwd=work,
                env=env,
                capture_output=True,
                check=False,
            )
            sinks.add(f"runs show {extra}", shown.stdout + shown.stderr)
    return proc.returncode, sinks, journal


def _used_the_secrets(servers: dict[str, Any]) -> None:
    """The canaries did reach the system under test (the masking is only on squall's side)."""
    seen = [r for r in servers["echo"].requests if r[1].startswith("/echo?token")]
    assert any(INLINE in r[1] and r[2].get("Authorization") == f"Bearer {ENV}" for r in seen)


def _ran_as_planned(mode: str, journal: dict[str, Any]) -> None:
    """Each way of using a secret did happen (a canary test that skipped them proves
    nothing): failures failed for the planned reason, the interruption interrupted."""
    entries = {e["activity"]["name"]: e for e in journal["run"]}
    assert entries["http-500"]["output"]["status"] == 500
    assert entries["echo-secrets"]["output"]["token"] == "***"
    assert journal["squall"]["run_id"] and journal["experiment"]["title"] == "canary *** title"
    if mode == "failed":
        why = {n: " ".join(entries[n]["exception"]) for n in entries if entries[n].get("exception")}
        assert "refused token ***" in why["python-raises"]
        assert "Connection refused" in why["http-refused"]
        assert "timed out" in why["http-timeout"]
        assert "***" in why["bad-pause"]
    elif mode == "deviated":
        assert journal["deviated"] is True
    if mode in ("interrupted", "killed"):  # --rollback-strategy always: rollbacks play
        assert journal["status"] == "interrupted"
        assert entries["wait-here"]["status"] == "failed"
    rollback = journal["rollbacks"][0]["output"]["stdout"]
    assert rollback == "*** ***\n"  # recover was given the --var-file secret again


def _masked_in_every_sink(sinks: Sinks) -> None:
    """Each sink did receive what held a canary, masked (not nothing at all)."""
    expected = [
        "stdout",
        "stderr",
        "file journal.json",
        "file squall.log",
        "runs show []",
        "runs show ['--json']",
    ]
    for name in expected:
        assert "***" in sinks.texts.get(name, ""), f"{name} holds no masked secret"
    # the run history's rows are in its write-ahead log until a checkpoint copies them
    history = (sinks.texts.get(f"file history.sqlite3{end}", "") for end in ("", "-wal"))
    assert "***" in "".join(history), "the run history holds no masked secret"
    streams = [t for n, t in sinks.texts.items() if ".events.jsonl" in n]
    assert streams and all("***" in t for t in streams), "no event stream holds ***"
    hooks = [t for n, t in sinks.texts.items() if n.startswith("webhook")]
    assert hooks and all("***" in t for t in hooks)  # a killed run sent run-started only


@pytest.mark.parametrize(
    ("mode", "code"),
    [("held", 0), ("deviated", 1), ("failed", 3), ("interrupted", 130), ("killed", -9)],
)
def test_no_canary_reaches_any_sink(
    mode: str, code: int, servers: dict[str, Any], tmp_path: Path
) -> None:
    returncode, sinks, journal = run_canary(mode, servers, tmp_path)
    assert journal is not None, sinks.texts["stderr"]
    assert returncode == code, sinks.texts["stderr"]
    _used_the_secrets(servers)
    _ran_as_planned(mode, journal)
    leaks = sinks.leaks()
    assert not leaks, f"canaries reached these sinks:\n{leaks}"
    _masked_in_every_sink(sinks)


def test_no_canary_reaches_the_postgresql_history(
    servers: dict[str, Any], tmp_path: Path, postgres_url: str
) -> None:
    returncode, sinks, journal = run_canary("failed", servers, tmp_path, history=postgres_url)
    assert returncode == 3 and journal is not None, sinks.texts["stderr"]
    import psycopg

    with psycopg.connect(postgres_url) as connection:
        rows = connection.execute("SELECT * FROM squall_runs").fetchall()
    assert len(rows) == 1
    stored = json.dumps([list(map(str, row)) for row in rows])
    assert "***" in stored and MARK not in stored
    assert not sinks.leaks()


def test_no_canary_in_problems_plans_or_validate_notifications(
    servers: dict[str, Any], tmp_path: Path
) -> None:
    """Before any run: an inline secret quoted by a problem message, a plan, and the
    validate events sent to the webhook."""
    document = {
        "title": "canary",
        "description": "an invalid URL that holds an inline secret",
        "secrets": {"canary": {"inline_token": INLINE}},
        "method": [_http("bad-url", f"ftp://example/{INLINE}")],
    }
    (tmp_path / "invalid.json").write_text(json.dumps(document))
    document["method"] = [_process("fine", f"echo {INLINE}")]
    (tmp_path / "valid.json").write_text(json.dumps(document))
    hook = {"notifications": [{"type": "http", "url": servers["echo"].url + "/echo?hook=1"}]}
    (tmp_path / "settings.yaml").write_text(yaml.safe_dump(hook))
    before = len(servers["echo"].requests)
    env = subprocess_env(SQUALL_HISTORY="off")
    outputs = []
    for args, code in (
        (["--settings", "settings.yaml", "validate", "invalid.json"], 2),
        (["--settings", "settings.yaml", "run", "invalid.json"], 2),
        (["--settings", "none.yaml", "validate", "invalid.json"], 2),  # no notification
        (["--settings", "none.yaml", "run", "--plan", "valid.json"], 0),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "squall", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == code, done.stderr
        outputs.append(done.stdout + done.stderr)
    assert all("invalid URL" in text and "***" in text for text in outputs[:3])
    posted = [r[3] for r in servers["echo"].requests[before:] if r[1] == "/echo?hook=1"]
    assert len(posted) == 4 and all("***" in body for body in posted)
    assert not [text for text in outputs + posted if MARK in text]
