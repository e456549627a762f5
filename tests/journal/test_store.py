"""Journal files: the fast entry encoding equals plain JSON encoding, and a written journal
reads back as the journal's data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from squall import run_experiment
from squall.engine import RunOptions
from squall.experiment.model import HypothesisStrategy
from squall.journal.model import ActivityRun, RunStatus
from squall.journal.store import dumps, encode_entry
from squall.plan import PlanOptions

from sqharness import EXAMPLES

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3)
    ),
    max_leaves=8,
)


@given(
    output=json_values,
    status=st.sampled_from(list(RunStatus)),
    exception=st.none() | st.lists(st.text(), max_size=2),
    tolerance_met=st.none() | st.booleans(),
    duration=st.floats(min_value=0, max_value=1e6, allow_nan=False),
    activity=st.dictionaries(st.text(), json_values, max_size=3),
)
def test_encode_entry_equals_encoding_the_mapping(
    output: Any,
    status: RunStatus,
    exception: list[str] | None,
    tolerance_met: bool | None,
    duration: float,
    activity: dict[str, Any],
) -> None:
    run = ActivityRun(
        activity=activity,
        start="2026-01-01T00:00:00+00:00",
        status=status,
        output=output,
        end="2026-01-01T00:00:01+00:00",
        duration=duration,
        exception=exception,
        tolerance_met=tolerance_met,
    )
    assert encode_entry(run, dumps(activity)) == dumps(run.to_dict())


def test_written_journal_reads_back_as_the_journal_data(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    journal = run_experiment(
        EXAMPLES / "background.json", run_options=RunOptions(journal_path=path)
    )
    on_disk = json.loads(path.read_text())
    expected = json.loads(json.dumps(journal.to_dict(), default=str))
    assert on_disk == expected
    assert on_disk["experiment"]["method"][0]["name"] == "bg-1"


def test_probes_checked_during_the_method_are_written_as_objects(tmp_path: Path) -> None:
    """Regression: the hypothesis results of the "during" list were written with their
    already encoded probes as JSON strings (``"probes": ["{\\"activity\\": ..."]``)."""
    path = tmp_path / "journal.json"
    journal = run_experiment(
        EXAMPLES / "continuous.json",
        plan_options=PlanOptions(
            hypothesis_strategy=HypothesisStrategy.CONTINUOUSLY, hypothesis_frequency=0.2
        ),
        run_options=RunOptions(journal_path=path, overrides={"marker": str(tmp_path / "m")}),
    )
    on_disk = json.loads(path.read_text())
    during = on_disk["steady_states"]["during"]
    assert during, "the example checks the hypothesis during its method"
    assert all(isinstance(p, dict) for check in during for p in check["probes"])
    assert on_disk == json.loads(json.dumps(journal.to_dict(), default=str))
