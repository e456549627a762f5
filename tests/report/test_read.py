"""Journals read into reports: squall's (real runs of the bundled experiments) and the
Chaos Toolkit's (written by the real Chaos Toolkit), and files that are not journals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from squall.errors import InputError
from squall.report import read_journal, render, report_from_journal


def test_squall_journals_keep_squalls_own_verdict(
    journals: dict[str, Path], outcomes: dict[str, str]
) -> None:
    for name, outcome in outcomes.items():
        report = read_journal(str(journals[name]))
        data = json.loads(journals[name].read_text())
        assert report.outcome == outcome == data["squall"]["outcome"], name
        assert report.reasons == data["squall"]["reasons"]
        assert report.origin == "squall"
        assert report.run_id == data["squall"]["run_id"]
    assert read_journal(str(journals["interrupted"])).outcome == "interrupted"


def test_timeline_facts_come_from_the_journal(journals: dict[str, Path]) -> None:
    report = read_journal(str(journals["showcase"]))
    by_name = {e.name: e for e in report.method}
    assert by_name["background-load"].background
    assert by_name["stop-cache"].group == by_name["drop-marker"].group == "cache-outage"
    assert by_name["warm-up"].pause_before == by_name["warm-up"].pause_after == 0.1
    # the group's two activities overlap in time
    stop, drop = by_name["stop-cache"], by_name["drop-marker"]
    assert stop.offset is not None and drop.offset is not None
    assert drop.offset < stop.offset + stop.duration
    assert report.during and any(check.met is False for check in report.during)
    # the deviation was first seen during the method, before the after-check
    assert report.deviation_at is not None and report.after is not None
    assert report.deviation_at < report.after.probes[0].offset  # type: ignore[operator]
    assert [g.name for g in report.groups] == ["cache-outage"]
    assert [r.name for r in report.rollbacks] == ["remove-marker", "restart-cache"]
    assert len(report.digest) == 64


@pytest.mark.parametrize(
    ("name", "outcome", "why"),
    [
        ("held", "held", "the steady state held"),
        ("deviated", "deviated", "expected false, got true"),
        ("broken", "broken", 'activity "explode" failed'),
        ("not-run", "not-run", "nothing was injected"),
        ("background", "held", "no steady-state hypothesis"),
        ("during-deviates", "deviated", "deviated during the method"),
        ("interrupted", "interrupted", "interrupted"),
    ],
)
def test_chaos_toolkit_journals_get_squalls_verdict(
    ctk_journals: dict[str, Path], name: str, outcome: str, why: str
) -> None:
    report = read_journal(str(ctk_journals[name]))
    assert report.origin == "chaostoolkit"
    assert report.outcome == outcome
    assert why in " ".join(report.reasons)
    assert report.chaoslib_version == "1.45.1"


def test_not_json_is_bad_input_located(tmp_path: Path) -> None:
    path = tmp_path / "j.json"
    path.write_text('{"experiment": {}\n  "run": oops}')
    with pytest.raises(InputError, match=r"j\.json:2:\d+: not a journal \(not JSON"):
        read_journal(str(path))


def test_an_experiment_is_not_a_journal(tmp_path: Path) -> None:
    path = tmp_path / "exp.json"
    path.write_text(json.dumps({"title": "t", "method": []}))
    with pytest.raises(InputError, match="no `experiment` object"):
        read_journal(str(path))
    with pytest.raises(InputError, match=r"journal not found: .*missing\.json"):
        read_journal(str(tmp_path / "missing.json"))


@pytest.mark.parametrize(
    "journal",
    [
        {"experiment": {}, "run": [1, "x", None, {"activity": "nope", "duration": "NaN"}]},
        {"experiment": {"title": 5}, "steady_states": {"before": [], "during": "x"}},
        {"experiment": {}, "run": [{"status": "weird", "duration": float("inf")}], "start": 3},
        {"experiment": {}, "squall": {"outcome": "exploded", "groups": [1, {"name": []}]}},
    ],
)
def test_malformed_fields_get_neutral_defaults(journal: dict[str, object]) -> None:
    report = report_from_journal(journal)
    assert report.outcome in {"held", "broken"}
    assert isinstance(report.title, str)


def test_secrets_this_process_resolved_are_masked_in_reports(journals: dict[str, Path]) -> None:
    """A report is a sink: ``squall run --report`` writes it in the process that resolved
    the secrets, and every format goes through squall.masking."""
    import subprocess
    import sys

    data = json.loads(journals["held"].read_text())
    data["run"][0]["output"] = "token=canary-9f8e7d6c in the output"
    data["experiment"]["title"] = "title with canary-9f8e7d6c"
    code = (
        "import json, sys; from squall.masking import register_secrets; "
        "from squall.report import render, report_from_journal; "
        "register_secrets({'api': {'token': 'canary-9f8e7d6c'}}); "
        "r = report_from_journal(json.loads(sys.stdin.read())); "
        "print('\\n'.join(render([r], f) for f in ('html', 'markdown', 'junit', 'json')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(data),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "canary-9f8e7d6c" not in done.stdout
    assert "title with ***" in done.stdout and "token=***" in done.stdout


_leaf = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
_json = st.recursive(
    _leaf,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "activity",
                    "status",
                    "output",
                    "start",
                    "end",
                    "duration",
                    "exception",
                    "tolerance_met",
                    "squall",
                    "name",
                    "type",
                    "pauses",
                    "before",
                    "after",
                    "probes",
                    "steady_state_met",
                    "during",
                    "group",
                    "groups",
                    "outcome",
                    "reasons",
                    "provider",
                    "arguments",
                    "tolerance",
                    "background",
                    "controls",
                ]
            )
            | st.text(max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    run=_json,
    states=_json,
    rollbacks=_json,
    squall=_json,
    start=_leaf,
    status=_leaf,
)
def test_any_journal_shaped_data_gives_a_report_in_every_text_format(
    run: object, states: object, rollbacks: object, squall: object, start: object, status: object
) -> None:
    """Fuzz: whatever a journal's fields hold, reading it and rendering every text format
    either works or is bad input; never another exception."""
    data = {
        "experiment": {"title": "fuzz", "method": run if isinstance(run, list) else []},
        "run": run,
        "steady_states": states,
        "rollbacks": rollbacks,
        "squall": squall,
        "start": start,
        "status": status,
    }
    try:
        report = report_from_journal(data)
    except InputError:
        return
    for fmt in ("html", "markdown", "junit", "json"):
        assert render([report], fmt)


def test_pauses_named_by_a_configuration_value(journals: dict[str, Path]) -> None:
    # pauses.json: "before": "${wait}" with "configuration": {"wait": 0.2}, "after": 0.2
    (entry,) = read_journal(str(journals["pauses"])).method
    assert (entry.pause_before, entry.pause_after) == (0.2, 0.2)
