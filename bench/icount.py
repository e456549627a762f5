#!/usr/bin/env python3
"""Instructions, not time: the cases of ``run.py`` counted with valgrind's callgrind.

On a shared machine the wall times move with everybody else's load (the figures of
docs/performance.md were taken with a load average of 10 to 20 on 2 cores); the number
of instructions a run executes does not. This runs every case of ``run.py`` once per tool
under ``valgrind --tool=callgrind`` (same experiments, same environment, same CTK venv,
same loopback http server; run ``run.py`` once first to build WORK) and prints the
instruction counts and their ratio.

Only the measured process is counted: the children of process-100 (``/bin/true``, the
same for both tools) and the http server are not, and neither is the time the kernel
spends (fork, exec, disk syncs), which the wall times of ``run.py`` include.

    .venv/bin/python bench/icount.py [--work /tmp/squall-bench] [--cases trivial,...]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench

_COLLECTED = re.compile(r"Collected : (\d+)")


def count(cmd: list[str], env: dict[str, str], cwd: Path) -> int:
    """Instructions executed by ``cmd`` (its own process only)."""
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={tmp}/out",
                *cmd,
            ],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise bench.BenchError(f"{' '.join(cmd)}: exit {done.returncode}\n{done.stderr[-600:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/squall-bench"))
    parser.add_argument("--cases", default=",".join(bench.CASES))
    parser.add_argument("--out", type=Path, default=None, help="JSON (WORK/icount.json)")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("icount: valgrind is not installed", file=sys.stderr)
        return 2
    work = args.work.resolve()
    venv = work / "ctk-venv"
    if not (venv / "bin" / "chaos").exists():
        print(f"icount: no CTK venv in {work}: run bench/run.py first", file=sys.stderr)
        return 2
    cases = [c for c in args.cases.split(",") if c]
    # the squall run.py measured: its venv (a regular install), else the one at hand
    installed = work / "squall-venv" / "bin" / "squall"
    squall = [str(installed)] if installed.exists() else bench.default_squall()
    tools = {bench.CTK: [str(venv / "bin" / "chaos")], bench.SQUALL: squall}
    bench.write_experiments(work / "experiments")
    server = bench.start_http_server(work / "www")
    runner = bench.Bench(
        argparse.Namespace(inherit_pyc_env=False, timeout=600),
        tools,
        work,
        server.server_address[1],
    )
    results: dict[str, Any] = {}
    try:
        for case in cases:
            counts = {}
            for tool in (bench.CTK, bench.SQUALL):
                cmd, _ = runner.command(tool, case)
                runner.run_checked(tool, case, check_journal=True)  # warm, and must pass
                counts[tool] = count(cmd, runner.env, work)
            results[case] = {**counts, "ratio": counts[bench.SQUALL] / counts[bench.CTK]}
            print(
                f"{case:12} CTK {counts[bench.CTK] / 1e6:8.1f} M  squall "
                f"{counts[bench.SQUALL] / 1e6:8.1f} M  ratio {results[case]['ratio']:.3f}",
                flush=True,
            )
    except bench.BenchError as exc:
        print(f"icount: ABORTED: {exc}", file=sys.stderr)
        return 1
    finally:
        runner.spawner.close()
        server.shutdown()
        server.server_close()
    per = {}
    if "python-0" in results and "python-1000" in results:
        for tool in (bench.CTK, bench.SQUALL):
            per[tool] = (results["python-1000"][tool] - results["python-0"][tool]) / 1000
        print(
            f"per python activity: CTK {per[bench.CTK] / 1e3:.0f} k  squall "
            f"{per[bench.SQUALL] / 1e3:.0f} k  ratio {per[bench.SQUALL] / per[bench.CTK]:.3f}"
        )
    out = args.out or work / "icount.json"
    out.write_text(json.dumps({"cases": results, "per_python_activity": per}, indent=1) + "\n")
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
