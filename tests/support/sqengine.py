"""The Temporal engine's test bed: a dev server, real ``squall worker`` subprocesses and
a way to run ``squall`` against them; and the normal form two engines' journals share."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqharness import SUPPORT, subprocess_env
from sqworker import SquallWorker, squall_cli
from temporal import TemporalServer

__all__ = ["CONFORMANCE", "Bed", "decoded", "ended", "normal", "without_pids"]

CONFORMANCE = Path(__file__).resolve().parents[1] / "conformance"
if str(CONFORMANCE) not in sys.path:
    sys.path.insert(0, str(CONFORMANCE))


class Bed:
    """A server, the shared workers (queue ``main``, and ``b`` for routing tests), and a
    way to run ``squall`` against them."""

    def __init__(self, server: TemporalServer, root: Path) -> None:
        self.server = server
        self.root = root
        self.workers: list[SquallWorker] = []

    def env(self, **extra: str) -> dict[str, str]:
        python_path = os.pathsep.join([str(SUPPORT), str(CONFORMANCE / "experiments")])
        settings = {
            "PYTHONPATH": python_path,
            "SQUALL_TEMPORAL_ADDRESS": self.server.address,
            "SQUALL_TEMPORAL_TASK_QUEUE": "main",
            **extra,
        }
        return subprocess_env(**settings)

    def worker(self, queue: str, *args: str, **extra: str) -> SquallWorker:
        name = f"worker-{queue}-{len(self.workers)}"
        worker = SquallWorker(
            self.server.address,
            queue,
            self.root / f"{name}.log",
            env=self.env(SQUALL_TEMPORAL_TASK_QUEUE=queue, **extra),
            cwd=self.root,
            args=args,
        )
        self.workers.append(worker)
        return worker

    def squall(
        self, *args: str, cwd: Path | None = None, timeout: float = 120, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*squall_cli(), *args],
            env=self.env(**env),
            cwd=cwd or self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )

    def follow(
        self, cwd: Path, experiment: Path, *args: str, nohup: bool = False
    ) -> subprocess.Popen[str]:
        """``squall run --engine temporal`` in the background (its own session, so a test
        may signal its group), followed to its end. SIGHUP is at its default (``nohup``:
        ignored), whatever the suite inherited (a suite started under nohup hands its
        children SIGHUP ignored)."""
        return self.popen(cwd, "run", "--engine", "temporal", *args, str(experiment), nohup=nohup)

    def popen(
        self, cwd: Path, *args: str, nohup: bool = False, output: Path | None = None, **env: str
    ) -> subprocess.Popen[str]:
        """``squall ARGS`` in the background, in its own session (see :meth:`follow`);
        its stdout and stderr into ``output`` when given (a test waits for a line)."""

        def hangup_disposition() -> None:
            signal.signal(signal.SIGHUP, signal.SIG_IGN if nohup else signal.SIG_DFL)

        return subprocess.Popen(
            [*squall_cli(), *args],
            env=self.env(**env),
            cwd=cwd,
            stdout=subprocess.PIPE if output is None else output.open("wb"),
            stderr=subprocess.PIPE if output is None else subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
            preexec_fn=hangup_disposition,
        )

    def running(self, queue: str, timeout: float = 60) -> str:
        """The id of the one run going on on ``queue`` (waited for)."""
        import time

        deadline = time.monotonic() + timeout
        query = f"TaskQueue='{queue}' AND ExecutionStatus='Running'"
        while True:
            found = self.server.cli("workflow", "list", "--query", query, "--output", "json")
            ids = [w["execution"]["workflowId"] for w in json.loads(found.stdout or "[]")]
            if ids:
                (run_id,) = ids
                return str(run_id)
            assert time.monotonic() < deadline, (found.stdout, found.stderr)
            time.sleep(0.2)

    def history(self, run_id: str) -> list[dict[str, Any]]:
        """The run's Temporal history events, read back with the temporal CLI."""
        done = self.server.cli("workflow", "show", "--workflow-id", run_id, "--output", "json")
        assert done.returncode == 0, done.stderr
        document = json.loads(done.stdout)
        events = document.get("events", document) if isinstance(document, dict) else document
        return list(events)

    def history_text(self, run_id: str) -> str:
        """The run's history as JSON text, then every payload's data and metadata decoded
        from base64 (what a reader of Temporal's history gets, codec or not)."""
        return decoded(self.history(run_id))

    def stop(self) -> None:
        self.stop_from(0)

    def stop_from(self, first: int) -> None:
        """Stop the workers started from the ``first``-th on, and forget them."""
        for worker in self.workers[first:]:
            worker.stop()
        del self.workers[first:]


def ended(process: subprocess.Popen[str], timeout: float = 120) -> str:
    """The stderr of ``process`` (``Bed.follow``, ``Bed.popen``) once it has ended; killed
    if it has not within ``timeout`` seconds."""
    try:
        return process.communicate(timeout=timeout)[1]
    finally:
        if process.poll() is None:
            process.kill()


def decoded(events: Any) -> str:
    """``events`` as JSON text, then every payload's data and metadata decoded."""
    import base64

    found = [json.dumps(events)]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            data, metadata = value.get("data"), value.get("metadata")
            if isinstance(data, str) and isinstance(metadata, dict):
                for text in (data, *metadata.values()):
                    found.append(base64.b64decode(text).decode("utf-8", "replace"))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(events)
    return "\n".join(found)


_VARIABLE = re.compile(r"\b(pid \d+|\d+(\.\d+)? ?ms|\d+(\.\d+)? s\b)")


def without_pids(value: Any) -> Any:
    """The journal with the output of ``os.getpid`` activities (which differ between
    processes) replaced."""
    if isinstance(value, list):
        return [without_pids(v) for v in value]
    if not isinstance(value, dict):
        return value
    activity = value.get("activity")
    provider = activity.get("provider") if isinstance(activity, dict) else None
    copy = {k: without_pids(v) for k, v in value.items()}
    if isinstance(provider, dict) and provider.get("func") == "getpid" and "output" in copy:
        copy["output"] = "<pid>"
    return copy


def normal(journal: dict[str, Any]) -> dict[str, Any]:
    """What both engines must agree on: statuses, verdict, reasons, every entry (name,
    status, output, error, tolerance), without times, ids and pids."""
    import compare

    journal = without_pids(journal)
    result = {"exit": 0, "journal": journal, "work": "/nowhere"}
    out = compare.normalise(result, "http://nowhere")
    section = journal.get("squall") or {}
    out["outcome"] = section.get("outcome")
    out["exit"] = section.get("exit_code")
    out["reasons"] = [_VARIABLE.sub("<n>", r) for r in section.get("reasons") or []]
    out["groups"] = [
        {k: g[k] for k in ("name", "status", "failed", "cancelled")}
        for g in section.get("groups") or []
    ]
    return out
