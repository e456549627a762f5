"""The exercises of the workshop: number, part, title, the demo they need, where they live."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

__all__ = ["EXERCISES", "Exercise", "exercise"]


@dataclass(frozen=True, slots=True)
class Exercise:
    """One exercise: ``demo`` is ``"normal"``, ``"misconfigured"`` or ``None`` (no demo)."""

    number: int
    slug: str
    part: int
    title: str
    minutes: int
    demo: str | None
    goal: str

    @property
    def folder(self) -> str:
        return f"{self.number:02d}-{self.slug}"

    def material(self, which: str) -> Path:
        """The packaged ``start`` or ``solution`` directory."""
        return Path(str(files("squall.workshop") / "exercises" / self.folder / which))

    def copy(self, which: str, destination: Path) -> list[Path]:
        """Copy ``start`` or ``solution`` into ``destination`` (created; existing files are
        never overwritten: the list of those left alone is returned)."""
        source = self.material(which)
        kept: list[Path] = []
        for path in sorted(source.rglob("*")):
            if "__pycache__" in path.parts or path.is_dir():
                continue
            target = destination / path.relative_to(source)
            if target.exists():
                kept.append(target)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            if target.suffix == ".sh":  # scripts stay runnable, whatever the wheel kept
                target.chmod(target.stat().st_mode | 0o111)
        return kept


EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        1, "steady-state", 1, "The steady state of the demo API", 25, "normal",
        "write a falsifiable steady-state hypothesis for the demo API, with your prediction, "
        "and see it hold",
    ),
    Exercise(
        2, "predict-run-read", 1, "Predict, run, read the journal", 30, "normal",
        "predict what switching authentication off does, run it, get the rollback right and "
        "answer from the journal",
    ),
    Exercise(
        3, "tolerance-says-why", 2, "A tolerance that says why", 20, "misconfigured",
        "turn a probe that answers true/false into one whose verdict names the problem",
    ),
    Exercise(
        4, "driver", 2, "A DevSecOps driver from scratch", 75, "normal",
        "build, test, package and discover a driver with a probe and an action with its "
        "rollback, and run it in CI",
    ),
    Exercise(
        5, "find-the-weaknesses", 3, "Find the weaknesses of the misconfigured demo", 45,
        "misconfigured",
        "run the security catalogue against the misconfigured demo and name every mistake, "
        "writing the experiments the catalogue lacks",
    ),
    Exercise(
        6, "detection-alerting", 3, "Is it detected, does the alert arrive?", 25, "normal",
        "write a detection and alerting experiment tied to its run id",
    ),
    Exercise(
        7, "pipeline", 3, "Experiments in a pipeline: act on the exit codes", 20, None,
        "write the CI step that turns squall's exit codes into pipeline decisions",
    ),
    Exercise(
        8, "maturity", 3, "Where you stand, and how to start", 20, None,
        "assess your organisation on the maturity model and plan the first experiments",
    ),
)  # fmt: skip


def exercise(number: int) -> Exercise:
    """The exercise with this number; raises KeyError with the valid numbers."""
    for item in EXERCISES:
        if item.number == number:
            return item
    raise KeyError(f"no exercise {number}: choose 1 to {len(EXERCISES)}")
