"""Run a learner's work and say, in plain words, what is done and what is still missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from squall.workshop.catalog import Exercise, exercise

__all__ = ["Context", "Item", "NeedDemo", "Report", "Run", "check"]


@dataclass(frozen=True, slots=True)
class Item:
    """One thing the exercise asks for: done or not, in words, with a hint when not."""

    done: bool
    what: str
    hint: str = ""


@dataclass
class Report:
    """What a check found, item by item; ``complete`` when nothing is missing."""

    exercise: Exercise
    workdir: Path
    items: list[Item] = field(default_factory=list)

    @property
    def missing(self) -> list[Item]:
        return [item for item in self.items if not item.done]

    @property
    def complete(self) -> bool:
        return bool(self.items) and not self.missing

    def render(self) -> str:
        lines = [f"exercise {self.exercise.number}: {self.exercise.title} ({self.workdir})"]
        for item in self.items:
            lines.append(f"  {'done   ' if item.done else 'MISSING'}  {item.what}")
            if not item.done and item.hint:
                lines.extend(f"           {line}" for line in item.hint.splitlines())
        count = len(self.missing)
        if count == 0:
            lines.append("complete: everything the exercise asks for is there.")
        else:
            lines.append(f"{count} thing{'s' if count > 1 else ''} still missing.")
        return "\n".join(lines)


class NeedDemo(Exception):
    """The exercise needs the demo (in a given mode) and it is not there."""


@dataclass
class Run:
    """One ``squall run`` of the learner's experiment."""

    code: int
    journal: dict[str, Any]
    stderr: str

    @property
    def outcome(self) -> str:
        return str((self.journal.get("squall") or {}).get("outcome", "no journal"))

    @property
    def reasons(self) -> list[str]:
        return [str(r) for r in (self.journal.get("squall") or {}).get("reasons") or []]

    def said(self) -> str:
        """The verdict in one line, for a hint."""
        if not self.journal:
            lines = self.stderr.strip().splitlines()
            return lines[-1] if lines else f"exit {self.code}"
        return f"{self.outcome} (exit {self.code}): " + "; ".join(self.reasons)


class Context:
    """The learner's directory, the demo, a private scratch directory and a squall runner."""

    def __init__(self, workdir: Path, demo_dir: Path | None, scratch: Path) -> None:
        self.workdir = workdir
        self.demo_dir = demo_dir
        self.scratch = scratch
        self._demo: dict[str, Any] | None = None
        self._vars: Path | None = None

    def demo(self, mode: str) -> dict[str, Any]:
        """demo.json of the running demo; raises NeedDemo when it is absent or in the
        other mode."""
        if self._demo is None:
            self._demo = _running_demo(self.demo_dir, mode)
        return self._demo

    def var_file(self, mode: str) -> Path:
        """The var file made from the running demo (as ``squall demo vars`` does)."""
        if self._vars is None:
            from squall.demo.config import DemoError
            from squall.demo.variables import write_var_file

            try:
                self._vars = write_var_file(self.demo(mode), self.scratch / "demo-vars.json")
            except DemoError as exc:
                raise NeedDemo(str(exc)) from None
        return self._vars

    def squall(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        """``python -m squall ARGS`` in the learner's directory (importable from there)."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(self.workdir), env.get("PYTHONPATH", "")) if p
        )
        return subprocess.run(
            [sys.executable, "-m", "squall", *args],
            cwd=self.workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )

    def validate(self, path: Path, mode: str | None) -> subprocess.CompletedProcess[str]:
        extra = ["--var-file", str(self.var_file(mode))] if mode else []
        return self.squall("validate", str(path), *extra)

    def run(self, path: Path, mode: str | None, name: str = "check") -> Run:
        """Run an experiment with the demo's var file; the journal goes to the scratch dir."""
        journal = self.scratch / f"{name}.journal.json"
        extra = ["--var-file", str(self.var_file(mode))] if mode else []
        done = self.squall("run", "--no-history", "--journal-path", str(journal), str(path), *extra)
        data = json.loads(journal.read_text(encoding="utf-8")) if journal.exists() else {}
        return Run(done.returncode, data, done.stderr)


#: seconds a demo whose processes all run may take to answer its health checks (each
#: waits 1 s) before the check says it is not healthy
SETTLE = 10.0


def _running_demo(demo_dir: Path | None, mode: str) -> dict[str, Any]:
    from squall.demo.cli import default_state_dir
    from squall.demo.manage import status

    directory = demo_dir or default_state_dir()
    start = "squall demo up --base-port 0" + (" --misconfigured" if mode == "misconfigured" else "")
    # a new demo has new ports and tokens: the learner's own var file must follow
    then = "then `squall demo vars --output demo-vars.json` (your var file follows the new demo)"
    state = status(directory)
    deadline = time.monotonic() + SETTLE
    while state.running and not state.healthy and time.monotonic() < deadline:
        time.sleep(0.2)  # its processes run: a busy machine, not a demo to start again
        state = status(directory)
    if not state.healthy:
        raise NeedDemo(
            f"this exercise runs against the {mode} demo, and none is running and healthy "
            f"in {directory}: start it with `{start}`, {then}"
        )
    data: dict[str, Any] = json.loads((directory / "demo.json").read_text(encoding="utf-8"))
    if bool(data.get("misconfigured")) != (mode == "misconfigured"):
        running = "misconfigured" if data.get("misconfigured") else "normal"
        raise NeedDemo(
            f"this exercise runs against the {mode} demo, but the {running} one is running: "
            f"`squall demo down`, then `{start}`, {then}"
        )
    return data


Checker = Callable[[Context], Iterator[Item]]


def _checkers() -> dict[int, Checker]:
    from squall.workshop import part1, part2, part3

    return {**part1.CHECKS, **part2.CHECKS, **part3.CHECKS}


def check(number: int, workdir: Path, demo_dir: Path | None = None) -> Report:
    """Check exercise ``number`` in ``workdir``.

    Raises:
        KeyError: no such exercise.
        NeedDemo: the exercise needs the demo, and it is not running in the right mode.
    """
    item = exercise(number)
    report = Report(item, workdir)
    with tempfile.TemporaryDirectory(prefix="squall-workshop-") as scratch:
        context = Context(workdir.resolve(), demo_dir, Path(scratch))
        for found in _checkers()[number](context):
            report.items.append(found)
    return report
