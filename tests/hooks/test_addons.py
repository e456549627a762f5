"""The real chaostoolkit-addons controls (from PyPI, pinned in the dev extra) run
unchanged through the ``squall`` CLI: safeguards, bypass, and repeat (run as the reference runs it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqharness import EXAMPLES

ADDONS = EXAMPLES / "addons"


def names(entries: list[dict[str, Any]]) -> list[str]:
    return [entry["activity"]["name"] for entry in entries]


def test_safeguard_that_trips_interrupts_the_run(squall: Any, tmp_path: Path) -> None:
    result = squall("run", str(ADDONS / "safeguard-trips.json"))
    assert result.code == 130, result.stderr
    assert "Safeguard 'not-tripped' triggered the end of the experiment" in result.stderr
    journal = result.journal
    assert journal["status"] == "interrupted"
    assert journal["interruption"]["name"] == "SIGUSR1"
    # the long action is cut short (it would idle 20 s), the next one never runs
    assert names(journal["run"]) == ["trip-later", "long-wait"]
    assert not (tmp_path / "reached").exists()
    # default strategy: an interrupted run plays no rollbacks
    assert journal["rollbacks"] == []
    assert not (tmp_path / "rolled-back").exists()


def test_safeguard_that_trips_plays_rollbacks_under_always(squall: Any, tmp_path: Path) -> None:
    result = squall("run", "--rollback-strategy", "always", str(ADDONS / "safeguard-trips.json"))
    assert result.code == 130, result.stderr
    journal = result.journal
    assert journal["status"] == "interrupted"
    assert [(e["activity"]["name"], e["status"]) for e in journal["rollbacks"]] == [
        ("cleanup", "succeeded")
    ]
    assert (tmp_path / "rolled-back").exists()
    assert not (tmp_path / "reached").exists()


def test_safeguards_that_hold_let_the_run_complete(squall: Any, tmp_path: Path) -> None:
    result = squall("run", str(ADDONS / "safeguard-holds.json"))
    assert result.code == 0, result.stderr
    assert result.journal["status"] == "completed"
    assert names(result.journal["run"]) == ["work", "done"]
    assert (tmp_path / "reached").exists()
    assert "triggered" not in result.stderr


def test_failing_blocking_safeguard_stops_the_run_early(squall: Any, tmp_path: Path) -> None:
    (tmp_path / "tripped").touch()  # every safeguard probe of the experiment now fails
    result = squall("run", str(ADDONS / "safeguard-holds.json"))
    assert result.code == 130, result.stderr
    assert result.journal["status"] == "interrupted"
    assert "done" not in names(result.journal["run"])
    assert not (tmp_path / "reached").exists()


def test_bypass_skips_by_type_and_by_name(squall: Any, tmp_path: Path) -> None:
    result = squall("run", "--rollback-strategy", "always", str(ADDONS / "bypass.json"))
    assert result.code == 0, result.stderr
    assert "The following activities will not be executed: skip-me" in result.stderr
    outputs = {e["activity"]["name"]: e["output"] for e in result.journal["run"]}
    assert outputs == {"skip-me": None, "run-me": "ran", "method-probe": None}
    assert not (tmp_path / "skipped-ran").exists()
    assert not (tmp_path / "method-probe-ran").exists()
    assert (tmp_path / "ran").exists()
    assert [e["output"] for e in result.journal["rollbacks"]] == ["undone"]
    # the mark is removed after each activity: the journal's experiment has no dry
    assert all("dry" not in a for a in result.journal["experiment"]["method"])


def test_real_repeat_control_runs_the_iterations(squall: Any, tmp_path: Path) -> None:
    """chaosaddons.controls.repeat inserts copies of the activity into the experiment's
    method; squall turns that into repeat requests: three runs, as the reference does."""
    result = squall("run", str(ADDONS / "repeat.json"))
    assert result.code == 0, result.stderr
    assert "not supported" not in result.stderr
    assert len((tmp_path / "count.txt").read_text().splitlines()) == 3
    run = result.journal["run"]
    assert names(run) == ["count", "count", "count", "after"]
    assert [e["activity"].get("iteration_index") for e in run] == [None, 1, 2, None]
    assert run[-1]["output"] == 3
    # the journal's experiment is the one declared (the copies are run entries only)
    assert [a["name"] for a in result.journal["experiment"]["method"]] == ["count", "after"]
