"""The curated public API stays curated; lazy names resolve."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import squall

EXPECTED = [
    "Activity",
    "ActivityFailed",
    "ActivityTimeout",
    "Experiment",
    "InputError",
    "Interrupted",
    "Journal",
    "LoadError",
    "PlanOptions",
    "Problem",
    "RunInterrupted",
    "RunOptions",
    "SquallError",
    "ValidationError",
    "__version__",
    "check_experiment",
    "load_experiment",
    "run_experiment",
    "show_value",
]


def test_all_is_sorted_and_exact() -> None:
    assert squall.__all__ == EXPECTED
    for name in squall.__all__:
        assert getattr(squall, name) is not None


def test_importing_squall_is_cheap() -> None:
    code = "import sys, squall; heavy = {'click', 'httpx', 'yaml', 'squall.engine'} & set(sys.modules); print(sorted(heavy))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_show_value_spells_values_as_json() -> None:
    # drivers and plugins spell values in their messages as squall does (JSON's words)
    assert squall.show_value({"up": True, "left": None}) == '{"up": true, "left": null}'


def test_exit_codes_of_errors() -> None:
    assert squall.ValidationError([]).exit_code == 2
    assert squall.ActivityFailed("x").exit_code == 3
    assert squall.Interrupted("x").exit_code == 130


def test_an_experiment_given_as_a_dict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A program's dict is the document itself (it was read as a file name: 'experiment
    file not found: {'title': ...}'); its problems are located in its JSON form."""
    monkeypatch.chdir(tmp_path)
    doc = {"title": "t", "description": "d", "method": []}
    assert squall.run_experiment(doc).outcome == "held"
    assert squall.load_experiment(doc).title == "t"
    with pytest.raises(squall.ValidationError, match=r'<mapping>:1:1 at /: .* requires a "method"'):
        squall.run_experiment({"title": "t", "description": "d"})
    with pytest.raises(squall.LoadError, match=r"given as a mapping is not JSON data: .*nan"):
        squall.run_experiment({**doc, "configuration": {"x": float("nan")}})


def test_run_options_of_the_command_line_from_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--rollback-strategy and the other plan options, for a program (they could be set
    only in the experiment's runtime: PlanOptions was not public)."""
    monkeypatch.chdir(tmp_path)
    doc = {
        "title": "t",
        "description": "d",
        "steady-state-hypothesis": {
            "title": "h",
            "probes": [
                {
                    "type": "probe",
                    "name": "p",
                    "tolerance": 0,
                    "provider": {"type": "process", "path": "false"},
                }
            ],
        },
        "method": [
            {"type": "action", "name": "a", "provider": {"type": "process", "path": "true"}}
        ],
        "rollbacks": [
            {"type": "action", "name": "undo", "provider": {"type": "process", "path": "true"}}
        ],
    }
    journal = squall.run_experiment(doc)  # the steady state does not hold: not-run
    assert (journal.outcome, journal.rollbacks) == ("not-run", [])
    always = squall.PlanOptions(rollback_strategy="always")
    journal = squall.run_experiment(doc, plan_options=always)
    assert [r.activity["name"] for r in journal.rollbacks if r] == ["undo"]
    dry = squall.run_experiment(doc, plan_options=squall.PlanOptions(dry="activities"))
    assert dry.outcome == "held"  # nothing ran, the probe's exit status is not seen
    with pytest.raises(
        squall.InputError,
        match=r"rollback_strategy=...\): \"sometimes\" is not one of default, always, never, deviated",
    ):
        squall.PlanOptions(rollback_strategy="sometimes")
    assert (
        squall.PlanOptions(hypothesis_strategy="continously").hypothesis_strategy == "continuously"
    )


def test_a_returned_journal_has_an_outcome_typed_without_none(tmp_path: Path) -> None:
    """A program's mypy --strict needs no assert after a run (it was Outcome | None);
    only a journal whose run is still going has none, and says so."""
    import typing

    from squall.journal.model import Outcome

    assert typing.get_type_hints(squall.Journal.outcome.fget)["return"] is Outcome
    doc = {"title": "t", "description": "d", "method": []}
    journal = squall.run_experiment(doc, run_options=squall.RunOptions())
    assert journal.outcome.exit_code == 0 and journal.decided_outcome == "held"
    going = squall.Journal(experiment=doc, start="", platform="", node="", squall_version="")
    assert going.decided_outcome is None
    with pytest.raises(RuntimeError, match="the run has not ended"):
        going.outcome  # noqa: B018
