#!/usr/bin/env python3
"""What a process activity costs, against the least any Python tool can pay for one.

process-100 runs 100 x ``/bin/true``. This measures, interleaved round by round, the
CPU time (user + system, the process and its children, from ``os.wait4``) and the wall
time of:

- ``floor``: a bare Python starting and reaping 100 x ``/bin/true`` with
  ``os.posix_spawn`` + ``waitpid`` (no pipes, nothing else), minus the same Python
  doing nothing: the floor for any Python tool;
- ``subprocess``: the same with ``subprocess.run(capture_output=True)``, what the
  Chaos Toolkit's process provider does;
- ``squall``: ``squall run process-100.json`` minus ``squall run python-0.json``;
- ``ctk``: the same with the Chaos Toolkit (unless ``--no-ctk``);

each divided by 100: the cost of one activity. The minimum over the rounds is kept
(other load on the machine only adds). Uses run.py's WORK (its venvs and experiments):
run ``bench/run.py`` once first.

    .venv/bin/python bench/spawn_floor.py [--work /tmp/squall-bench] [--runs 10] [--no-ctk]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench

FLOOR = """import os
env = os.environ.copy()
for _ in range(100):
    os.waitpid(os.posix_spawn("/bin/true", ["/bin/true"], env), 0)
"""
SUBPROCESS = """import subprocess
for _ in range(100):
    subprocess.run(["/bin/true"], capture_output=True)
"""


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (with children) of one run of ``cmd``, which must exit 0."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        started = time.perf_counter()
        pid = os.posix_spawn(
            cmd[0],
            cmd,
            env,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, devnull, 1),
                (os.POSIX_SPAWN_DUP2, devnull, 2),
            ],
        )
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - started
    finally:
        os.close(devnull)
    if os.waitstatus_to_exitcode(status) != 0:
        raise bench.BenchError(f"{' '.join(cmd)} exited {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_utime + usage.ru_stime


def commands(
    work: Path, python: str, squall: list[str], ctk: str | None, journal: str
) -> dict[str, list[str]]:
    exp = work / "experiments"
    cmds = {
        "python": [python, "-c", "pass"],
        "floor": [python, "-c", FLOOR],
        "subprocess": [python, "-c", SUBPROCESS],
        "squall-0": [*squall, "run", "--journal-path", journal, str(exp / "python-0.json")],
        "squall-100": [*squall, "run", "--journal-path", journal, str(exp / "process-100.json")],
    }
    if ctk is not None:
        head = [ctk, "--no-version-check", "--settings", str(work / "empty-settings.yaml")]
        head += ["--no-log-file", "run", "--journal-path", journal]
        cmds["ctk-0"] = [*head, str(exp / "python-0.json")]
        cmds["ctk-100"] = [*head, str(exp / "process-100.json")]
    return cmds


#: per activity: (label, the run of 100, the run it is compared with)
PAIRS = [
    ("floor (posix_spawn + waitpid)", "floor", "python"),
    ("subprocess.run(capture_output=True)", "subprocess", "python"),
    ("squall process activity", "squall-100", "squall-0"),
    ("CTK process activity", "ctk-100", "ctk-0"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/squall-bench"))
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--no-ctk", action="store_true", help="squall and the floors only")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    installed = work / "squall-venv" / "bin" / "squall"
    squall = [str(installed)] if installed.exists() else bench.default_squall()
    ctk = None if args.no_ctk else str(work / "ctk-venv" / "bin" / "chaos")
    if ctk is not None and not os.path.exists(ctk):
        print(f"spawn_floor: no CTK venv in {work}: run bench/run.py first", file=sys.stderr)
        return 2
    bench.write_experiments(work / "experiments")
    (work / "empty-settings.yaml").write_text("{}\n")
    best: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cmds = commands(work, sys.executable, squall, ctk, os.path.join(tmp, "journal.json"))
        env = dict(
            os.environ,
            SQUALL_HISTORY=os.path.join(tmp, "history.sqlite3"),
            SQUALL_RECOVERY_DIR=os.path.join(tmp, "runs"),
            PYTHONPYCACHEPREFIX=str(work / "pycache"),
        )
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for _round in range(args.runs + 1):  # the first round warms up
            for name, cmd in cmds.items():
                wall, cpu = measure(cmd, env)
                if _round:
                    old = best.get(name, (wall, cpu))
                    best[name] = (min(old[0], wall), min(old[1], cpu))
    print(f"load average {os.getloadavg()[0]:.1f}; minimum of {args.runs} rounds; per activity:")
    print("| 100 x /bin/true | CPU per activity | wall per activity |")
    print("|---|---|---|")
    for label, many, base in PAIRS:
        if many in best:
            (w1, c1), (w0, c0) = best[many], best[base]
            print(f"| {label} | {(c1 - c0) * 10:.2f} ms | {(w1 - w0) * 10:.2f} ms |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
