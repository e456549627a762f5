"""A recovery reads outputs back from the journal's event stream, where a secret is
masked and a large output cut: a rollback that uses such an output is refused (the
activity fails, saying why) rather than run with a value that is not the real one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from squall import load_experiment
from squall.engine.outputs import OutputStore
from squall.errors import ActivityFailed
from squall.experiment.model import Activity, ProcessSpec
from squall.journal.model import ActivityRun, Journal


def _journal(squall: dict[str, object] | None) -> Journal:
    journal = Journal(experiment={}, start="", platform="", node="", squall_version="")
    entry = ActivityRun(activity={"name": "make"}, start="t0", output={"token": "x"})
    entry.squall = squall
    journal.run.append(entry)
    return journal


def _rollback(tmp_path: Path) -> Activity:
    path = tmp_path / "e.json"
    use = {"type": "process", "path": "echo", "arguments": "${outputs.make.token}"}
    path.write_text(
        json.dumps(
            {
                "title": "t",
                "description": "d",
                "method": [{"type": "action", "name": "make", "provider": use}],
                "rollbacks": [{"type": "action", "name": "undo", "provider": use}],
            }
        )
    )
    return load_experiment(path).rollbacks[0]


@pytest.mark.parametrize(
    ("note", "why"),
    [
        ({"output_masked": True}, "masked (it held a secret)"),
        ({"output_truncated": {"limit": 10, "size": 99}}, "cut to the output limit"),
    ],
)
def test_a_recorded_output_that_was_masked_or_cut_is_not_used(
    tmp_path: Path, note: dict[str, object], why: str
) -> None:
    store = OutputStore()
    store.seed(_journal(note))
    undo = _rollback(tmp_path)
    run = ActivityRun(activity={"name": "undo"}, start="")
    with pytest.raises(ActivityFailed, match=re.escape(why)):
        store.resolve(undo, run)


def test_a_whole_recorded_output_is_used(tmp_path: Path) -> None:
    store = OutputStore()
    store.seed(_journal(None))
    run = ActivityRun(activity={"name": "undo"}, start="")
    provider = store.resolve(_rollback(tmp_path), run).provider
    assert isinstance(provider, ProcessSpec) and provider.arguments == "x"
