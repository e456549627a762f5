#!/usr/bin/env python3
"""What crash safety and the run history cost: squall against squall.

    python bench/streaming.py [--runs 11] [--work /tmp/squall-bench-streaming] [--out FILE]

Runs the same experiments (python-1000: 1000 ``os.path.exists`` activities; trivial:
1 probe twice, 1 action; both from bench/run.py's generator) in three ways, interleaved
(A B C A B C ...) after one warm-up each, and keeps the median of ``--runs`` runs of wall
time and user+sys CPU (``os.wait4``, from bench/run.py's spawner helper):

    no-events   squall run --no-history --no-events   (the journal is written at the end only)
    streamed    squall run --no-history                (the default event stream, flushed per line)
    history     squall run --history WORK/history.sqlite3   (streamed, and recorded in SQLite)

It prints the overhead of streaming (streamed / no-events - 1; target <= 10% on
python-1000) and of the run history, and writes everything as JSON (``--out``, default
WORK/streaming.json). Every run must exit 0 and write its journal, or it stops (exit 1).
A missed target is reported, not asserted (exit 0).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench  # bench/run.py: the generator and the spawner (stdlib only)

SCHEMA = "squall-bench-streaming/1"
VARIANTS = {
    "no-events": ["--no-history", "--no-events"],
    "streamed": ["--no-history"],
    "history": ["--history", "{work}/history.sqlite3"],
}
CASES = {"python-1000": lambda: bench.exp_python_n(1000), "trivial": bench.exp_trivial}
TARGET = 0.10  # streaming may cost at most 10% on python-1000


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def measure(args: argparse.Namespace, squall: list[str]) -> dict[str, Any]:
    work = Path(args.work)
    (work / "journals").mkdir(parents=True, exist_ok=True)
    for name, make in CASES.items():
        (work / f"{name}.json").write_text(json.dumps(make(), indent=2))
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # run from cached bytecode, as installed
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    spawner = bench.Spawner(env)
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {c: {v: [] for v in VARIANTS} for c in CASES}
    try:
        for rnd in range(args.runs + 1):  # round 0 is the warm-up
            for case in CASES:
                for variant, extra in VARIANTS.items():
                    journal = work / "journals" / f"{case}-{variant}.json"
                    journal.unlink(missing_ok=True)
                    options = [o.format(work=work) for o in extra]
                    cmd = [*squall, "run", *options, "--journal-path", str(journal)]
                    result = spawner.run([*cmd, str(work / f"{case}.json")], work, 300)
                    if result["rc"] != 0 or not journal.exists():
                        raise bench.BenchError(f"{case} {variant}: exit {result['rc']}: {cmd}")
                    if rnd:
                        runs[case][variant].append(result)
            if rnd:
                bench.log(f"  round {rnd}/{args.runs} done")
    finally:
        spawner.close()
    return runs


def results(runs: dict[str, dict[str, list[dict[str, Any]]]], runs_n: int) -> dict[str, Any]:
    cases: dict[str, Any] = {}
    for case, variants in runs.items():
        med = {
            v: {"wall": _median(r, "wall"), "cpu": _median(r, "cpu")} for v, r in variants.items()
        }
        base, streamed, history = med["no-events"], med["streamed"], med["history"]
        cases[case] = {
            "median": med,
            "streaming_overhead": {k: streamed[k] / base[k] - 1 for k in ("wall", "cpu")},
            "history_overhead": {k: history[k] / streamed[k] - 1 for k in ("wall", "cpu")},
            "history_ms": {k: (history[k] - streamed[k]) * 1000 for k in ("wall", "cpu")},
        }
    big = cases["python-1000"]
    return {
        "schema": SCHEMA,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "runs": runs_n,
        "machine": {"nproc": os.cpu_count(), "load": os.getloadavg()},
        "git": bench.git_state(),
        "cases": cases,
        "target": {
            "streaming_overhead_max": TARGET,
            "met": big["streaming_overhead"]["wall"] <= TARGET,
        },
    }


def table(res: dict[str, Any]) -> str:
    lines = [
        f"{'case':<12} {'no-events':>10} {'streamed':>10} {'history':>10}"
        f" {'streaming':>10} {'history':>9}",
    ]
    for case, c in res["cases"].items():
        for key in ("wall", "cpu"):
            m = c["median"]
            lines.append(
                f"{case + ' ' + key:<12} {m['no-events'][key] * 1000:>8.1f}ms"
                f" {m['streamed'][key] * 1000:>8.1f}ms {m['history'][key] * 1000:>8.1f}ms"
                f" {c['streaming_overhead'][key]:>+10.1%} {c['history_ms'][key]:>+7.1f}ms"
            )
    met = "met" if res["target"]["met"] else "MISSED"
    lines.append(f"streaming overhead on python-1000 (wall): target <= {TARGET:.0%}: {met}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--work", default="/tmp/squall-bench-streaming")
    ap.add_argument("--out", default=None)
    ap.add_argument("--squall", default=None, help="squall executable (default: beside python)")
    args = ap.parse_args(argv)
    squall = [args.squall] if args.squall else bench.default_squall()
    try:
        res = results(measure(args, squall), args.runs)
    except bench.BenchError as exc:
        print(f"streaming bench: {exc}", file=sys.stderr)
        return 1
    print(table(res))
    out = Path(args.out or Path(args.work) / "streaming.json")
    out.write_text(json.dumps(res, indent=2) + "\n")
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
