#!/usr/bin/env python3
"""What a Temporal server outage does to a run, measured (docs/scale-out.md, "When a
worker or the command line dies", the Temporal server row).

    .venv/bin/python scripts/temporal_outage.py                 # 2 7 15 30 60 s, heartbeat 10
    .venv/bin/python scripts/temporal_outage.py --outages 7 --heartbeat 30

For each outage: a real dev server (its SQLite file kept), a real ``squall worker``, and
``squall run --engine temporal`` of a run whose method activity holds until released;
while it holds, the server is killed (``kill -9``) and started again ``OUTAGE`` seconds
later on the same port and file; then the activity is released. Printed: the command
line's exit code, the method activity's status (and reason when failed), how many times
it and the rollback were played, whether the run said the worker was silent but not
lost, and how long the run took after the server was back. Uses the test suite's
helpers (tests/support). Nothing here is imported by squall.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))

from sqmarks import held, lines, marked, wait_for_lines, write_experiment  # noqa: E402
from sqworker import SquallWorker, squall_cli  # noqa: E402
from temporal import TemporalServer, temporal_binary_or_skip  # noqa: E402

QUEUE = "outage"


def trial(outage: float, heartbeat: float, work: Path) -> dict[str, Any]:
    """One run through one outage of ``outage`` seconds."""
    marks = work / "marks"
    marks.mkdir()
    experiment = write_experiment(
        work / "outage.json", [held(marks, "long")], [marked(marks, "undo")],
        squall={"heartbeat": heartbeat},
    )  # fmt: skip
    server = TemporalServer(temporal_binary_or_skip())
    env = {**os.environ, **server.env(), "SQUALL_TEMPORAL_TASK_QUEUE": QUEUE}
    worker = SquallWorker(server.address, QUEUE, work / "worker.log", cwd=work)
    cli = subprocess.Popen(
        [*squall_cli(), "run", "--engine", "temporal", "--journal-path",
         str(work / "journal.json"), str(experiment)],
        env=env, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        wait_for_lines(marks / "long", timeout=120)
        server.kill()
        time.sleep(outage)
        server.start_again()
        back = time.monotonic()
        (marks / "release").touch()
        _, stderr = cli.communicate(timeout=600)
        took = time.monotonic() - back
    finally:
        if cli.poll() is None:
            cli.kill()
        worker.stop()
        server.stop()
    (entry,) = json.loads((work / "journal.json").read_text())["run"]
    return {
        "outage_s": outage,
        "heartbeat_s": heartbeat,
        "exit": cli.returncode,
        "method": entry["status"],
        "reason": (entry.get("exception") or [""])[0].strip(),
        # a lost worker is named when the server still had its heartbeat's details
        "named": bool((entry.get("squall") or {}).get("worker")),
        "method_plays": len(lines(marks / "long")),
        "rollback_plays": len(lines(marks / "undo.done")),
        "silent_not_lost": "not played twice" in stderr,
        "after_back_s": round(took, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outages", type=float, nargs="+", default=[2, 7, 15, 30, 60])
    parser.add_argument("--heartbeat", type=float, default=10)
    parser.add_argument("--trials", type=int, default=1, help="runs per outage")
    args = parser.parse_args()
    print("| outage (s) | heartbeat (s) | exit | method activity | played | rollback played "
          "| said 'not lost' | run end after the server was back (s) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for outage in [o for o in args.outages for _ in range(args.trials)]:
        with tempfile.TemporaryDirectory(prefix="squall-outage-") as work:
            row = trial(outage, args.heartbeat, Path(work))
        method = row["method"]
        if row["reason"]:
            named = "its worker named" if row["named"] else "its worker not named"
            method += f" ({row['reason']}; {named})"
        print(f"| {outage:g} | {args.heartbeat:g} | {row['exit']} | {method} | "
              f"{row['method_plays']} | {row['rollback_plays']} | "
              f"{'yes' if row['silent_not_lost'] else 'no'} | {row['after_back_s']} |",
              flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
