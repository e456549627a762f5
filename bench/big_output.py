"""What a large activity output costs squall: peak memory, journal and history sizes.

    .venv/bin/python bench/big_output.py [--mb 100] [--max-output 1MiB]

Runs ``squall run`` on one process action printing ``--mb`` megabytes on its standard
output, in a fresh directory under /tmp, and prints the peak resident memory of the
squall process (getrusage of the child), the journal's size and the run history's size.
Then ``squall runs prune --keep 0`` and the history's size after it. Stdlib only.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=100)
    parser.add_argument("--max-output", default=None)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="squall-big-output-")
    size = args.mb * 1_000_000
    experiment = {
        "title": "big output",
        "description": f"{args.mb} MB on stdout",
        "method": [
            {
                "type": "action",
                "name": "big",
                "provider": {
                    "type": "process",
                    "path": "sh",
                    "arguments": ["-c", f"yes aaaaaaaaaaaaaaa | head -c {size}"],
                },
            }
        ],
    }
    path = os.path.join(work, "big.json")
    with open(path, "w") as handle:
        json.dump(experiment, handle)
    env = dict(os.environ, SQUALL_HISTORY=os.path.join(work, "history.sqlite3"))
    squall = [sys.executable, "-m", "squall"]
    limit = ["--max-output", args.max_output] if args.max_output else []
    started = time.perf_counter()
    done = subprocess.run(
        [*squall, "run", *limit, path],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    history = env["SQUALL_HISTORY"]
    print(f"exit {done.returncode} in {seconds:.2f} s; peak memory {peak:.0f} MiB")
    print(f"journal {os.path.getsize(os.path.join(work, 'journal.json')):,} bytes")
    print(f"history {os.path.getsize(history):,} bytes")
    pruned = subprocess.run(
        [*squall, "runs", "prune", "--keep", "0"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    print(f"after prune --keep 0: history {os.path.getsize(history):,} bytes")
    print(pruned.stderr.strip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
