"""The main job: run the security experiments against the demo, healthy then misconfigured.

    .venv/bin/python scripts/main.py              the whole job (``./dev main``)
    .venv/bin/python scripts/main.py vars DIR     print the var file for the demo in DIR

The job starts ``squall demo`` in a fresh temporary state directory on free ports, writes
the var file that feeds every experiment in ``examples/security/``, runs each one through
the real ``squall run`` command (journals in ``out/journals/normal/``), restarts the demo
``--misconfigured`` and runs them again (``out/journals/misconfigured/``), and stops the
demo whatever happens (after replaying the rollbacks an interrupted run left in its state
store). It also runs ``examples/basics/`` once (no demo needed). Then it
prints one verdict table and exits 0 only if every security experiment held on the
healthy demo and nothing broke anywhere (exit 2 or 3). ``SQUALL_MAIN_OUT`` moves the
journals elsewhere (the tests use it, so that they never clobber a run of yours).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from squall.demo.variables import var_file, write_var_file

ROOT = Path(__file__).resolve().parent.parent
SECURITY = ROOT / "examples" / "security"
BASICS = ROOT / "examples" / "basics"
OUT = Path(os.environ.get("SQUALL_MAIN_OUT") or ROOT / "out" / "journals")
SUFFIXES = (".json", ".yaml", ".yml")
KINDS = ("prevention", "detection", "alerting", "fail-safe")
RUN_TIMEOUT = 120
HISTORY = OUT / "history.sqlite3"

#: Why an experiment still holds on the misconfigured demo: what it tests is not among
#: the demo's mistakes (squall.demo.MISCONFIGURATION). Shown in the table's why column.
HOLDS_ON_MISCONFIGURED = {
    "auth-disabled-alerted.json": "config-drift alerts stay on: auth_enabled is still watched",
    "canary-secret-detected.json": "the secret scanner stays on",
    "expired-certificate.json": "certificate checks are not among the mistakes",
    "stalled-detector-catches-up.json": "the detector's heartbeat and recovery are untouched",
}


@dataclass
class Result:
    """One ``squall run``: its outcome, exit code, reasons and the experiment's tags."""

    outcome: str
    code: int
    reasons: list[str]
    tags: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return f"{self.outcome} ({self.code})"


def squall(*args: str, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Run ``python -m squall ARGS`` with this interpreter (the venv's), recording runs in
    the job's own run history (``OUT/history.sqlite3``), never in the user's."""
    command = [sys.executable, "-m", "squall", *args]
    env = {**os.environ, "SQUALL_HISTORY": str(HISTORY)}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False, env=env
    )


# -- the demo ---------------------------------------------------------------------------


def demo_up(state_dir: Path, misconfigured: bool) -> dict[str, Any]:
    """Start the demo on free ports; returns demo.json."""
    args = ["demo", "up", "--base-port", "0", "--state-dir", str(state_dir), "--json"]
    done = squall(*args, *(["--misconfigured"] if misconfigured else []), timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"squall demo up failed: {done.stderr.strip()}")
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def demo_down(state_dir: Path) -> None:
    """Stop the demo (idempotent) and say so if it did not stop."""
    done = squall("demo", "down", "--state-dir", str(state_dir), timeout=60)
    if done.returncode != 0:
        print(f"WARNING: squall demo down failed: {done.stderr.strip()}", file=sys.stderr)


def recover(state_dir: Path) -> None:
    """Play the rollbacks still recorded in the run's state store (an interrupted run).

    squall has no ``recover`` command yet, so this calls its building block,
    ``squall.drivers._state.play_rollbacks``, in a squall subprocess: it stops the helper
    processes (listener, fault proxy) that an interrupted experiment left running.
    """
    store = state_dir / "injections"
    if not any(store.glob("*.json")):
        return
    code = (
        "import json, sys; from squall.drivers._state import play_rollbacks; "
        "print(json.dumps(play_rollbacks({'squall_state_dir': sys.argv[1]}), default=str))"
    )
    command = [sys.executable, "-c", code, str(store)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    print(f"rolled back what an interrupted run left: {done.stdout.strip()}", file=sys.stderr)


# -- running experiments ----------------------------------------------------------------


def experiments(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in SUFFIXES)


def run_experiment(experiment: Path, journal: Path, variables: Path | None = None) -> Result:
    """``squall run`` one experiment; the verdict comes from the journal's squall section."""
    args = ["run", "--journal-path", str(journal), str(experiment)]
    if variables is not None:
        args += ["--var-file", str(variables)]
    journal.unlink(missing_ok=True)
    try:
        done = squall(*args)
    except subprocess.TimeoutExpired:
        return Result("timeout", -1, [f"no verdict after {RUN_TIMEOUT}s"])
    if not journal.exists():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return Result("error", done.returncode, [last])
    data = json.loads(journal.read_text())
    section = data.get("squall") or {}
    tags = (data.get("experiment") or {}).get("tags") or []
    return Result(str(section.get("outcome")), done.returncode, section.get("reasons") or [], tags)


def run_all(paths: list[Path], journal_dir: Path, variables: Path | None) -> dict[str, Result]:
    journal_dir.mkdir(parents=True, exist_ok=True)
    results = {}
    for path in paths:
        results[path.name] = run_experiment(
            path, journal_dir / f"{path.stem}.journal.json", variables
        )
        print(f"  {path.name:<42} {results[path.name].verdict}", file=sys.stderr)
    return results


def against_demo(misconfigured: bool, paths: list[Path]) -> dict[str, Result]:
    """Start a fresh demo, run every experiment against it, always stop it."""
    label = "misconfigured" if misconfigured else "normal"
    state_dir = Path(tempfile.mkdtemp(prefix=f"squall-main-{label}-"))
    print(f"squall demo ({label}) in {state_dir}", file=sys.stderr)
    try:
        demo = demo_up(state_dir, misconfigured)
        variables = write_var_file(demo, state_dir / "vars.json")
        return run_all(paths, OUT / label, variables)
    finally:
        recover(state_dir)
        demo_down(state_dir)
        shutil.rmtree(state_dir, ignore_errors=True)


# -- the verdict table ------------------------------------------------------------------

Row = tuple[str, Result | None, Result | None]  # name, normal demo, misconfigured demo


def kind_of(result: Result | None) -> str:
    kinds = [t for t in (result.tags if result else []) if t in KINDS]
    return "+".join(kinds) or "-"


def shorten(reasons: list[str]) -> str:
    """Reasons without the boilerplate: "after: probe 'p': what it saw"."""
    text = "; ".join(reasons)
    text = text.replace("the steady state deviated after the method: ", "after: ")
    return text.replace(
        "the steady state did not hold before the method, nothing was injected: ", "before: "
    )


def why(name: str, normal: Result | None, misconfigured: Result | None) -> str:
    """The reasons worth reading: a failure on the healthy demo first, then the other; for
    an experiment that holds on both demos, why the mistakes do not reach it."""
    if normal is not None and normal.code != 0:
        return "normal: " + shorten(normal.reasons)
    if misconfigured is not None and misconfigured.code != 0:
        return "misconfigured: " + shorten(misconfigured.reasons)
    if normal is not None and misconfigured is not None:
        because = HOLDS_ON_MISCONFIGURED.get(name, "the mistakes do not touch what it tests")
        return f"held on both demos: {because}"
    return shorten((normal or misconfigured or Result("", 0, [])).reasons)


def _wrap(text: str, width: int) -> list[str]:
    """The why column in lines of at most ``width`` characters (never cut)."""
    return textwrap.wrap(
        text, width=max(width, 30), break_long_words=False, break_on_hyphens=False
    ) or [""]


def table(rows: list[Row], width: int | None = None) -> str:
    """The verdict table; the why column is wrapped to the terminal (``width``)."""
    header = ("experiment", "hypothesis kind", "normal demo", "misconfigured demo", "why")
    lines = [
        (name, kind_of(normal or misconf), normal.verdict if normal else "-",
         misconf.verdict if misconf else "-", why(name, normal, misconf))
        for name, normal, misconf in rows
    ]  # fmt: skip
    widths = [max(len(str(row[i])) for row in [header, *lines]) for i in range(4)]
    room = (width or shutil.get_terminal_size((160, 24)).columns) - sum(widths) - 3 * 4
    out = []
    for row in [header, *lines]:
        cells = [str(cell).ljust(w) for cell, w in zip(row, widths, strict=False)]
        first, *more = _wrap(row[4], room)
        out.append(" | ".join([*cells, first]))
        blank = [" " * w for w in widths]
        out.extend(" | ".join([*blank, line]) for line in more)
    out.insert(1, "-+-".join("-" * w for w in [*widths, 3]))
    return "\n".join(out)


def failures(rows: list[Row]) -> list[str]:
    """Why the job fails: a security experiment that did not hold on the healthy demo, or
    any run that broke (exit 2 or 3) or gave no verdict."""
    found = []
    for name, normal, misconfigured in rows:
        if not name.startswith("basics/") and (normal is None or normal.code != 0):
            found.append(f"{name}: {normal.verdict if normal else 'no run'} on the normal demo")
        for label, result in (("normal", normal), ("misconfigured", misconfigured)):
            if result is not None and (result.code in (2, 3) or result.code < 0):
                found.append(f"{name}: {result.verdict} on the {label} run")
    return list(dict.fromkeys(found))


def main(argv: list[str]) -> int:
    if argv[:1] == ["vars"] and len(argv) == 2:
        demo = json.loads((Path(argv[1]) / "demo.json").read_text())
        print(json.dumps(var_file(demo), indent=2))
        return 0
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks
    OUT.mkdir(parents=True, exist_ok=True)
    paths = experiments(SECURITY)
    try:
        print("examples/basics (no demo)", file=sys.stderr)
        basics = run_all(experiments(BASICS), OUT / "basics", None)
        normal = against_demo(False, paths)
        misconfigured = against_demo(True, paths)
    except KeyboardInterrupt:
        print("interrupted: the demo was stopped", file=sys.stderr)
        return 130
    except (RuntimeError, OSError, subprocess.SubprocessError, ValueError) as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    rows: list[Row] = [(p.name, normal.get(p.name), misconfigured.get(p.name)) for p in paths]
    rows += [(f"basics/{name}", result, None) for name, result in basics.items()]
    print(table(rows))
    print(
        "\nOn the misconfigured demo, deviated or not run means a mistake was found; held "
        "means the experiment's defence is not among the demo's mistakes (why column)."
    )
    shown = OUT.relative_to(ROOT) if OUT.is_relative_to(ROOT) else OUT
    print(f"\njournals: {shown}/{{normal,misconfigured,basics}}/")
    print(f"run history (its own): squall runs list --history {shown}/history.sqlite3")
    problems = failures(rows)
    for problem in problems:
        print(f"FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
