"""Hypothesis, rollback and dry strategies, background activities, pauses and refs,
run through the public API on real example files."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from squall import load_experiment, run_experiment
from squall.engine import RunOptions
from squall.experiment.model import DryMode, HypothesisStrategy, RollbackStrategy
from squall.journal import Journal, Outcome
from squall.plan import PlanOptions

from sqharness import EXAMPLES


def run(name: str, marker: Path | None = None, **plan: Any) -> Journal:
    overrides = {"marker": str(marker)} if marker else {}
    return run_experiment(
        EXAMPLES / name,
        plan_options=PlanOptions(**plan),
        run_options=RunOptions(overrides=overrides),
    )


def names(entries: list[Any]) -> list[str]:
    return [e.name for e in entries]


@pytest.mark.parametrize(
    ("strategy", "before", "after", "method_ran"),
    [
        (HypothesisStrategy.DEFAULT, True, True, True),
        (HypothesisStrategy.BEFORE_METHOD_ONLY, True, False, True),
        (HypothesisStrategy.AFTER_METHOD_ONLY, False, True, True),
        (HypothesisStrategy.SKIP, False, False, True),
    ],
)
def test_hypothesis_strategies(
    tmp_path: Path, strategy: HypothesisStrategy, before: bool, after: bool, method_ran: bool
) -> None:
    journal = run("deviated.json", tmp_path / "m", hypothesis_strategy=strategy)
    assert (journal.before is not None) is before
    assert (journal.after is not None) is after
    assert journal.deviated is after, "only the after-check can deviate"
    assert names(journal.run) == (["create-marker"] if method_ran else [])
    assert journal.outcome is (Outcome.DEVIATED if after else Outcome.HELD)


def test_during_method_only_checks_periodically_and_deviation_counts(tmp_path: Path) -> None:
    marker = tmp_path / "m"
    marker.touch()  # the hypothesis (no marker) fails on every check during the method
    journal = run(
        "continuous.json",
        marker,
        hypothesis_strategy=HypothesisStrategy.DURING_METHOD_ONLY,
        hypothesis_frequency=0.1,
    )
    assert journal.before is None and journal.after is None
    assert 6 <= len(journal.during) <= 12
    assert all(h.steady_state_met is False for h in journal.during)
    assert journal.deviated is False, "the journal keeps the reference's meaning of 'deviated'"
    assert journal.outcome is Outcome.DEVIATED
    assert "during the method" in journal.reasons[0]


def test_continuously_checks_before_during_and_after(tmp_path: Path) -> None:
    journal = run(
        "continuous.json",
        tmp_path / "m",
        hypothesis_strategy=HypothesisStrategy.CONTINUOUSLY,
        hypothesis_frequency=0.2,
    )
    assert journal.before is not None and journal.after is not None
    assert 3 <= len(journal.during) <= 7
    assert journal.outcome is Outcome.HELD


def test_fail_fast_stops_the_method(tmp_path: Path) -> None:
    marker = tmp_path / "m"
    marker.touch()
    started = time.monotonic()
    journal = run(
        "continuous.json",
        marker,
        hypothesis_strategy=HypothesisStrategy.DURING_METHOD_ONLY,
        hypothesis_frequency=0.05,
        fail_fast=True,
    )
    # the method's only activity had already started; fail-fast stops launching new ones
    assert journal.status.value == "failed"
    assert journal.outcome is Outcome.DEVIATED
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    ("strategy", "played"),
    [
        (RollbackStrategy.DEFAULT, True),
        (RollbackStrategy.ALWAYS, True),
        (RollbackStrategy.NEVER, False),
        (RollbackStrategy.DEVIATED, True),
    ],
)
def test_rollback_strategies_after_a_deviation(
    tmp_path: Path, strategy: RollbackStrategy, played: bool
) -> None:
    marker = tmp_path / "m"
    journal = run("deviated.json", marker, rollback_strategy=strategy)
    assert names(journal.rollbacks) == (["remove-marker"] if played else [])
    assert marker.exists() is not played


def test_deviated_strategy_skips_rollbacks_when_the_hypothesis_held(tmp_path: Path) -> None:
    journal = run(
        "deviated.json",
        tmp_path / "m",
        rollback_strategy=RollbackStrategy.DEVIATED,
        dry=DryMode.ACTIONS,
    )
    assert journal.deviated is False and journal.rollbacks == []


def test_gate_not_met_plays_rollbacks_only_when_always() -> None:
    assert run("gate-not-met.json").rollbacks == []
    assert names(run("gate-not-met.json", rollback_strategy=RollbackStrategy.ALWAYS).rollbacks) == [
        "rollback"
    ]


@pytest.mark.parametrize(
    ("mode", "probe_output", "action_ran"),
    [
        (DryMode.PROBES, None, True),
        (DryMode.ACTIONS, False, False),
        (DryMode.ACTIVITIES, None, False),
        (DryMode.PAUSE, False, True),
    ],
)
def test_dry_modes(tmp_path: Path, mode: DryMode, probe_output: Any, action_ran: bool) -> None:
    marker = tmp_path / "m"
    journal = run("deviated.json", marker, dry=mode, rollback_strategy=RollbackStrategy.NEVER)
    assert journal.before is not None
    probe = journal.before.probes[0]
    assert probe.output == probe_output
    assert probe.tolerance_met is True
    assert marker.exists() is action_ran
    assert journal.experiment["dry"] == mode.value


def test_activity_level_dry_overrides_the_run(tmp_path: Path) -> None:
    experiment = load_experiment(EXAMPLES / "trivial.json")
    raw = dict(experiment.raw)
    raw["method"] = [{**raw["method"][0], "dry": "actions"}]
    from squall.experiment import parse_experiment

    journal = run_experiment(parse_experiment(raw))
    assert journal.run[0].output is None
    boolean = dict(raw, method=[{**raw["method"][0], "dry": True}])
    assert isinstance(run_experiment(parse_experiment(boolean)).run[0].output, int)


def test_background_activities_run_in_parallel_and_keep_start_order() -> None:
    started = time.monotonic()
    journal = run("background.json")
    elapsed = time.monotonic() - started
    assert elapsed < 1.2, f"three 0.4 s activities and two 0.3 s rollbacks took {elapsed:.2f}s"
    assert names(journal.run) == ["bg-1", "bg-2", "bg-3", "fg"]
    assert names(journal.rollbacks) == ["bg-rb-1", "bg-rb-2"]
    assert all(r.status.value == "succeeded" for r in journal.run + journal.rollbacks)


def test_pauses_are_taken_and_excluded_from_duration() -> None:
    started = time.monotonic()
    journal = run("pauses.json")
    assert time.monotonic() - started >= 0.4
    assert journal.run[0].duration < 0.1
    assert journal.duration >= 0.4


def test_pauses_are_skipped_in_pause_dry_mode() -> None:
    started = time.monotonic()
    run("pauses.json", dry=DryMode.PAUSE)
    assert time.monotonic() - started < 0.3


def test_refs_are_resolved_and_journaled_as_the_activity() -> None:
    journal = run("refs.json")
    assert journal.outcome is Outcome.HELD
    assert names(journal.run) == ["say-hello", "say-hello"]
    assert journal.run[1].activity["type"] == "probe", "the journal records the resolved activity"
    assert journal.before is not None and journal.before.probes[0].output == "hello"


def test_every_tolerance_kind_is_met() -> None:
    journal = run("tolerances.yaml")
    assert journal.before is not None
    unmet = [(p.name, p.reason) for p in journal.before.probes if not p.tolerance_met]
    assert unmet == []
    assert len(journal.before.probes) == 17
    assert journal.outcome is Outcome.HELD


def test_settings_strategy_applies_when_experiment_runtime_is_silent(tmp_path: Path) -> None:
    settings = {"runtime": {"rollbacks": {"strategy": "never"}}}
    journal = run("deviated.json", tmp_path / "m", settings=settings)
    assert journal.rollbacks == []
    cli_wins = run(
        "deviated.json",
        tmp_path / "m2",
        settings=settings,
        rollback_strategy=RollbackStrategy.ALWAYS,
    )
    assert names(cli_wins.rollbacks) == ["remove-marker"]


def test_activity_level_pause_dry_skips_only_its_pauses() -> None:
    experiment = load_experiment(EXAMPLES / "pauses.json")
    raw = dict(experiment.raw)
    raw["method"] = [{**raw["method"][0], "dry": "pause"}]
    from squall.experiment import parse_experiment

    started = time.monotonic()
    journal = run_experiment(parse_experiment(raw))
    assert time.monotonic() - started < 0.3
    assert isinstance(journal.run[0].output, int), "the activity itself still ran"


def test_fail_fast_still_plays_the_rollbacks(tmp_path: Path) -> None:
    """Fail-fast stops the method, never the rollbacks that undo what it injected."""
    marker, undone = tmp_path / "m", tmp_path / "undone"
    marker.touch()  # the hypothesis fails at its first check during the method
    experiment = {
        "title": "fail-fast with a rollback",
        "description": "the method stops early; the rollback must still run",
        "steady-state-hypothesis": {
            "title": "no marker",
            "probes": [
                {
                    "type": "probe",
                    "name": "marker-absent",
                    "tolerance": False,
                    "provider": {
                        "type": "python",
                        "module": "sqtest",
                        "func": "file_exists",
                        "arguments": {"path": str(marker)},
                    },
                }
            ],
        },
        "method": [
            {
                "type": "action",
                "name": "inject",
                "provider": {
                    "type": "python",
                    "module": "sqtest",
                    "func": "sleep",
                    # long enough for a check during the method on a loaded machine
                    "arguments": {"seconds": 1.0},
                },
            },
            {
                "type": "action",
                "name": "never-launched",
                "provider": {"type": "python", "module": "sqtest", "func": "echo"},
            },
        ],
        "rollbacks": [
            {
                "type": "action",
                "name": "undo",
                "provider": {
                    "type": "python",
                    "module": "sqtest",
                    "func": "append_line",
                    "arguments": {"path": str(undone), "text": "undone"},
                },
            }
        ],
    }
    path = tmp_path / "e.json"
    path.write_text(json.dumps(experiment))
    journal = run_experiment(
        path,
        plan_options=PlanOptions(
            hypothesis_strategy=HypothesisStrategy.DURING_METHOD_ONLY,
            hypothesis_frequency=0.05,
            fail_fast=True,
        ),
    )
    assert journal.status.value == "failed", journal.during
    # the first check may fail before or while "inject" runs; nothing launches after it
    assert names(journal.run) in ([], ["inject"])
    assert names(journal.rollbacks) == ["undo"]
    assert undone.read_text().split()[-1:] == ["undone"]
