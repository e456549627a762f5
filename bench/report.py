#!/usr/bin/env python3
"""What a report costs: ``squall report`` on a 1000-activity journal, and the Chaos
Toolkit's ``chaos report`` (chaostoolkit-reporting) on the same journal.

    python bench/report.py [--runs 7] [--work /tmp/squall-bench-report] [--ctk-runs 1]
                           [--ctk-report-venv DIR] [--out FILE]

1. Runs bench/run.py's python-1000 experiment (1000 ``os.path.exists`` activities) once
   with ``squall run`` to get a real journal.
2. ``squall report -f FORMAT`` on it for html, markdown, junit and json: one warm-up, then
   the median of ``--runs`` runs (wall and user+sys CPU, ``os.wait4`` through bench/run.py's
   spawner), and the size of each output; ``-f pdf`` once when a Chromium is installed.
3. ``chaos report --export-format=html`` (chaostoolkit-reporting 0.18.0 with the pandoc of
   pypandoc-binary, in the conformance suite's ``ctk-report`` venv:
   tests/conformance/ctkenv.py; ``--ctk-report-venv`` names another) ``--ctk-runs`` times
   (default 1: it takes more than a minute here), and the size of its HTML. Without that
   venv the comparison is skipped and said so.

Prints a table and writes everything as JSON (``--out``, default WORK/report.json).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import run as bench  # noqa: E402  (bench/run.py: the generator and the spawner)

SCHEMA = "squall-bench-report/1"
FORMATS = ("html", "markdown", "junit", "json")
SUFFIX = {"html": "html", "markdown": "md", "junit": "xml", "json": "json", "pdf": "pdf"}


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def _journal(spawner: bench.Spawner, squall: list[str], work: Path) -> Path:
    experiment = work / "python-1000.json"
    experiment.write_text(json.dumps(bench.exp_python_n(1000), indent=2))
    journal = work / "journal-1000.json"
    journal.unlink(missing_ok=True)
    cmd = [*squall, "run", "--no-history", "--journal-path", str(journal), str(experiment)]
    result = spawner.run(cmd, work, 300)
    if result["rc"] != 0 or not journal.exists():
        raise bench.BenchError(f"squall run python-1000: exit {result['rc']}")
    return journal


def _squall_reports(
    spawner: bench.Spawner, squall: list[str], work: Path, journal: Path, runs: int
) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for fmt in FORMATS:
        out = work / f"report.{SUFFIX[fmt]}"
        cmd = [*squall, "report", "-f", fmt, "-o", str(out), str(journal)]
        measured = []
        for rnd in range(runs + 1):  # round 0 is the warm-up
            result = spawner.run(cmd, work, 300)
            if result["rc"] != 0:
                raise bench.BenchError(f"squall report -f {fmt}: exit {result['rc']}")
            if rnd:
                measured.append(result)
        found[fmt] = {
            "wall": _median(measured, "wall"),
            "cpu": _median(measured, "cpu"),
            "peak_mib": _median(measured, "peak_mib"),
            "bytes": out.stat().st_size,
        }
    if shutil.which("chromium") or os.environ.get("SQUALL_CHROMIUM"):
        out = work / "report.pdf"
        result = spawner.run([*squall, "report", "-o", str(out), str(journal)], work, 600)
        found["pdf"] = {"wall": result["wall"], "cpu": result["cpu"], "rc": result["rc"]}
        found["pdf"]["bytes"] = out.stat().st_size if out.exists() else None
    else:
        found["pdf"] = {"skipped": "no Chromium installed"}
    return found


def _ctk_report(spawner: bench.Spawner, venv: Path, work: Path, journal: Path, runs: int) -> Any:
    chaos = venv / "bin" / "chaos"
    if not chaos.exists():
        why = f"no chaostoolkit-reporting venv at {venv}"
        return {"skipped": f"{why} (build it: tests/conformance/ctkenv.py report)"}
    out = work / "ctk-report.html"
    cmd = [str(chaos), "--no-version-check", "--no-log-file", "report", "--export-format=html"]
    measured = []
    for _ in range(runs):
        out.unlink(missing_ok=True)
        result = spawner.run([*cmd, str(journal), str(out)], work, 1800)
        if result["rc"] != 0 or not out.exists():
            return {"failed": f"chaos report: exit {result['rc']}", "cmd": cmd}
        measured.append(result)
    return {
        "wall": _median(measured, "wall"),
        "cpu": _median(measured, "cpu"),
        "peak_mib": _median(measured, "peak_mib"),
        "bytes": out.stat().st_size,
        "runs": runs,
        "venv": str(venv),
    }


def table(res: dict[str, Any]) -> str:
    lines = [f"{'tool / format':<28} {'wall':>9} {'cpu':>9} {'size':>11}"]
    for fmt, m in res["squall"].items():
        if "wall" in m:
            size = f"{m['bytes'] / 1024:.0f} KiB" if m.get("bytes") else "-"
            lines.append(
                f"{'squall report -f ' + fmt:<28} {m['wall'] * 1000:>7.0f}ms "
                f"{m['cpu'] * 1000:>7.0f}ms {size:>11}"
            )
        else:
            lines.append(f"{'squall report -f ' + fmt:<28} {m}")
    ctk = res["chaostoolkit_reporting"]
    if "wall" in ctk:
        lines.append(
            f"{'chaos report (html)':<28} {ctk['wall'] * 1000:>7.0f}ms "
            f"{ctk['cpu'] * 1000:>7.0f}ms {ctk['bytes'] / 1024:>7.0f} KiB"
        )
        html = res["squall"]["html"]
        lines.append(
            f"html: chaos report / squall report = {ctk['wall'] / html['wall']:.0f}x wall, "
            f"{ctk['cpu'] / html['cpu']:.0f}x CPU"
        )
    else:
        lines.append(f"chaos report: {ctk}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--ctk-runs", type=int, default=1)
    ap.add_argument("--work", default="/tmp/squall-bench-report")
    ap.add_argument("--ctk-report-venv", default=None)
    ap.add_argument("--out", default=None)
    ap.add_argument("--squall", default=None, help="squall executable (default: beside python)")
    args = ap.parse_args(argv)
    squall = [args.squall] if args.squall else bench.default_squall()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    cache = Path(os.environ.get("CONF_CTK_CACHE") or ROOT / ".conformance")
    venv = Path(args.ctk_report_venv) if args.ctk_report_venv else cache / "ctk-report"
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    spawner = bench.Spawner(env)
    try:
        journal = _journal(spawner, squall, work)
        res = {
            "schema": SCHEMA,
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "runs": args.runs,
            "machine": {"nproc": os.cpu_count(), "load": os.getloadavg()},
            "git": bench.git_state(),
            "journal_bytes": journal.stat().st_size,
            "squall": _squall_reports(spawner, squall, work, journal, args.runs),
            "chaostoolkit_reporting": _ctk_report(spawner, venv, work, journal, args.ctk_runs),
        }
    except bench.BenchError as exc:
        print(f"report bench: {exc}", file=sys.stderr)
        return 1
    finally:
        spawner.close()
    print(f"journal: 1000 activities, {res['journal_bytes'] / 1024:.0f} KiB")
    print(table(res))
    out = Path(args.out) if args.out else work / "report.json"
    out.write_text(json.dumps(res, indent=2))
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
