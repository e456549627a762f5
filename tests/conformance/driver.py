"""Run many conformance cases through one command-line tool, a few at a time.

    python driver.py --side NAME --cases cases.json --experiments DIR --out DIR \
        --jobs N -- CLI-PREFIX...

Standard library only: the same file runs under the Chaos Toolkit's own venv (with
``chaos --no-version-check ... --no-log-file``) and under squall's (``python -m squall``),
so both sides are driven the same way. For every case it makes a fresh working
directory, writes the case's files and settings, runs
``<prefix> --settings S [...] run --journal-path J [args] EXPERIMENT`` in that directory
(its own session, SIGINT restored to the default), sends the case's signal once the
marker file appears, and records the exit code, the journal, the controls log and the
end of stderr in ``<out>/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

CASE_TIMEOUT = 120.0  # a hung case is killed and reported, never waited on for ever
MARKER_TIMEOUT = 60.0


def _restore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _expand(value: str, work: Path, experiments: Path) -> str:
    return value.replace("{work}", str(work)).replace("{exp}", str(experiments))


def _prepare(case: dict[str, Any], work: Path, experiments: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    for name, text in case.get("files", {}).items():
        (work / name).write_text(_expand(text, work, experiments))
    settings = work / "settings.yaml"
    settings.write_text(json.dumps(case.get("settings") or {}))
    return settings


def _env(
    case: dict[str, Any], work: Path, experiments: Path, base: dict[str, str] | None = None
) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(experiments), env.get("PYTHONPATH")) if p)
    env["CONF_WORK"] = str(work)
    for key in case.get("unset_env", []):
        env.pop(key, None)
    env.update({k: _expand(v, work, experiments) for k, v in case.get("env", {}).items()})
    return env


def _signal_when_marked(proc: subprocess.Popen[bytes], case: dict[str, Any], work: Path) -> None:
    spec = case.get("signal")
    if not spec:
        return
    marker = work / spec.get("marker", "method-started")
    deadline = time.monotonic() + MARKER_TIMEOUT
    while not marker.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            return
        time.sleep(0.02)
    time.sleep(spec.get("delay", 0.3))
    signum = getattr(signal, "SIG" + spec["name"])
    if proc.poll() is None:
        if spec.get("target", "pid") == "group":
            os.killpg(proc.pid, signum)
        else:
            os.kill(proc.pid, signum)


def _read_journal(path: Path) -> Any:
    if not path.exists():
        return None
    text = path.read_text(errors="replace")
    try:
        return json.loads(text)
    except ValueError as error:  # reported as a difference, never a crash of the driver
        return {"unreadable-journal": f"{error}: {text[:2000]}"}


def run_case(
    case: dict[str, Any],
    prefix: list[str],
    experiments: Path,
    out: Path,
    base_env: dict[str, str] | None = None,
    work: Path | None = None,
) -> dict[str, Any]:
    """One case; ``base_env``: the environment the case's own is made from (default: this
    process's); ``work``: its working directory (default: ``out/work/<id>``)."""
    work = work or out / "work" / case["id"]
    settings = _prepare(case, work, experiments)
    journal = work / "journal.json"
    command = case.get("command", "run")
    argv = [*prefix[:1], *prefix[1:], "--settings", str(settings), command]
    if command == "run":
        argv += ["--journal-path", str(journal)]
    argv += [_expand(a, work, experiments) for a in case.get("args", [])]
    source = case.get("source")  # a URL on the test's server, e.g. {http}/experiment.json
    if source:
        argv.append(source.replace("{http}", (base_env or os.environ).get("CONF_HTTP", "")))
    else:
        argv.append(str(experiments / case["experiment"]))
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=work,
        env=_env(case, work, experiments, base_env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=_restore_sigint,
    )
    _signal_when_marked(proc, case, work)
    try:
        stdout, stderr = proc.communicate(timeout=CASE_TIMEOUT)
        hung = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        hung = True
    controls = work / "controls.log"
    return {
        "id": case["id"],
        "exit": proc.returncode,
        "hung": hung,
        "seconds": round(time.perf_counter() - started, 3),
        "journal": _read_journal(journal),
        "controls": controls.read_text().splitlines() if controls.exists() else [],
        "work": str(work),
        "stderr": stderr.decode(errors="replace")[-3000:],
        "stdout": stdout.decode(errors="replace")[-1000:],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--side", required=True)
    parser.add_argument("--cases", required=True, type=Path)
    parser.add_argument("--experiments", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated case ids")
    parser.add_argument("prefix", nargs="+")
    args = parser.parse_args(argv)
    cases = json.loads(args.cases.read_text())
    if args.only:
        wanted = set(args.only.split(","))
        cases = [c for c in cases if c["id"] in wanted]
    # slow cases first so they overlap with the many short ones
    order = sorted(cases, key=lambda c: -c.get("weight", 0))
    experiments = args.experiments.resolve()
    out = args.out.resolve()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda c: run_case(c, args.prefix, experiments, out), order))
    document = {
        "side": args.side,
        "seconds": round(time.perf_counter() - started, 2),
        "results": {r["id"]: r for r in results},
    }
    (out / "results.json").write_text(json.dumps(document))
    return 0


if __name__ == "__main__":
    sys.exit(main())
