"""The main job: run every bundled experiment and print a verdict table.

    python scripts/main.py [PATH ...]      (default: examples/)

Each experiment runs through the real ``squall run`` command; journals go to
``out/journals/``. The table shows the verdict, the exit code and why.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "out" / "journals"
SUFFIXES = (".json", ".yaml", ".yml")


def experiments(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES)
        else:
            found.append(path)
    return found


def run_one(experiment: Path) -> tuple[str, int, str]:
    journal = OUT / (experiment.stem + ".journal.json")
    done = subprocess.run(
        [sys.executable, "-m", "squall", "run", "--journal-path", str(journal), str(experiment)],
        capture_output=True, text=True, check=False,
    )
    if journal.exists():
        data = json.loads(journal.read_text())
        section = data.get("squall") or {}
        return str(section.get("outcome")), done.returncode, "; ".join(section.get("reasons") or [])
    last = (done.stderr.strip().splitlines() or ["no output"])[-1]
    return "error", done.returncode, last


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or [ROOT / "examples"]
    OUT.mkdir(parents=True, exist_ok=True)
    rows = [(exp.relative_to(ROOT) if exp.is_relative_to(ROOT) else exp, *run_one(exp))
            for exp in experiments(paths)]
    width = max((len(str(r[0])) for r in rows), default=10)
    print(f"{'experiment':<{width}}  {'verdict':<11} exit  why")
    for name, outcome, code, why in rows:
        print(f"{name!s:<{width}}  {outcome:<11} {code:>4}  {why}")
    print(f"\njournals: {OUT.relative_to(ROOT)}/")
    broken = [r for r in rows if r[2] in (2, 3)]
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
