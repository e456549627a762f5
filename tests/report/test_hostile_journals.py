"""A journal given to ``squall report`` is untrusted (a CI artifact, a Chaos Toolkit
journal from elsewhere): whatever JSON it holds, each format is written or the file is
refused as bad input (exit 2), never an internal error.

Found by this test: an integer of over 4300 digits and a lone surrogate escape
(``"\\ud800"``, what Python writes for a file name that is not UTF-8) ended every format
in "internal error" (exit 3).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from squall.errors import InputError
from squall.report import render
from squall.report.read import read_journal

FORMATS = ("html", "markdown", "junit", "json")
#: written as an integer of 4500 digits in the journal's text
BIG = "@big-integer@"


def _dumps(journal: Any) -> str:
    """The journal's JSON text (ASCII: a lone surrogate as its escape), BIG as digits."""
    return json.dumps(journal).replace(json.dumps(BIG), "9" * 4500)


_text = st.text(
    st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=()), max_size=12
) | st.sampled_from(["\ud800", "x\udcff", "${p}", "2026-12-05T06:00:00", "succeeded", "failed"])
_scalar = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.just(BIG)
    | st.floats(allow_nan=True, allow_infinity=True)
    | _text
)
_json = st.recursive(
    _scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=12,
)
_entry = st.fixed_dictionaries(
    {},
    optional={
        "activity": st.fixed_dictionaries(
            {}, optional={"name": _json, "type": _json, "pauses": _json, "provider": _json}
        )
        | _json,
        "status": st.sampled_from(["succeeded", "failed"]) | _json,
        "output": _json,
        "start": _json,
        "end": _json,
        "duration": _json,
        "exception": _json,
        "tolerance_met": _json,
        "squall": _json,
    },
)
_journal = st.fixed_dictionaries(
    {
        "experiment": st.fixed_dictionaries(
            {}, optional={"title": _json, "method": _json, "configuration": _json}
        )
    },
    optional={
        "run": st.lists(_entry, max_size=3),
        "rollbacks": st.lists(_entry, max_size=2) | _json,
        "steady_states": st.fixed_dictionaries(
            {},
            optional={
                "before": st.fixed_dictionaries({"probes": st.lists(_entry, max_size=2)}) | _json,
                "during": _json,
            },
        ),
        "status": st.sampled_from(["completed", "failed", "aborted", "interrupted"]) | _json,
        "start": _json,
        "duration": _json,
        "squall": _json,
        "interruption": _json,
    },
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journal=_journal)
def test_any_journal_renders_in_every_format_or_is_refused(
    journal: dict[str, Any], tmp_path_factory: Any
) -> None:
    path = tmp_path_factory.mktemp("journal") / "journal.json"
    path.write_text(_dumps(journal))
    try:
        report = read_journal(str(path))
    except InputError:
        return
    for fmt in FORMATS:
        render([report], fmt).encode("utf-8")  # every format is writable as UTF-8


def test_the_cli_writes_each_format_of_a_hostile_journal(squall: Any, tmp_path: Path) -> None:
    journal = {
        "experiment": {"title": "name-\udcff \ud800"},
        "run": [
            {"activity": {"name": "\udfff"}, "status": "failed", "exception": ["bad \ud800"]},
            {"activity": {"name": "n"}, "status": "succeeded", "output": BIG},
        ],
    }
    (tmp_path / "j.json").write_text(_dumps(journal))
    for fmt in FORMATS:
        result = squall("report", "-f", fmt, "-o", f"out.{fmt}", "j.json")
        assert result.code == 0, result.stderr
        assert (tmp_path / f"out.{fmt}").read_text(encoding="utf-8")
