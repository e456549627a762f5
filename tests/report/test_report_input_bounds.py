"""``squall report`` reads a journal as any document is read: no further than the
document limit (exit 2 and a located message beyond it), and with the one rule for
integers too long to print that the console and the journal follow."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from squall.journal.limits import journal_safe
from squall.report import render
from squall.report.read import read_journal
from squall.show import INT_BITS, int_note, show_value


def _journal(output: Any = "fine") -> dict[str, Any]:
    return {
        "status": "completed",
        "deviated": False,
        "experiment": {"title": "t", "description": "d", "method": []},
        "run": [
            {
                "activity": {"type": "action", "name": "a", "provider": {"type": "python"}},
                "status": "succeeded",
                "output": output,
                "start": "2026-12-05T06:00:00",
                "end": "2026-12-05T06:00:01",
                "duration": 1.0,
            }
        ],
    }


def test_a_journal_over_the_document_limit_is_refused_located(squall: Any, tmp_path: Path) -> None:
    journal = tmp_path / "big.json"
    journal.write_text(json.dumps(_journal("x" * 5000)))
    limit = {"SQUALL_LIMIT_DOCUMENT_BYTES": "4096"}
    refused = squall("report", "-f", "json", "-o", "r.json", str(journal), env=limit)
    assert refused.code == 2, refused.stderr
    assert f"squall: error: {journal} breaks squall's input limits" in refused.stderr
    assert "the document is larger than 4,096 bytes" in refused.stderr
    assert "SQUALL_LIMIT_DOCUMENT_BYTES" in refused.stderr  # how to raise it
    assert "Traceback" not in refused.stderr and not (tmp_path / "r.json").exists()
    within = squall(
        "report", "-f", "json", str(journal), env={"SQUALL_LIMIT_DOCUMENT_BYTES": "100000"}
    )
    assert within.code == 0, within.stderr
    assert json.loads(within.stdout)["runs"][0]["title"] == "t"


def test_an_endless_journal_is_refused_in_bounded_time(squall: Any) -> None:
    start = time.monotonic()
    refused = squall("report", "-f", "json", "/dev/zero", timeout=60)
    assert refused.code == 2, refused.stderr
    assert "/dev/zero breaks squall's input limits" in refused.stderr
    assert time.monotonic() - start < 60


@pytest.mark.parametrize("bits", [64, 3000, 3001, INT_BITS - 1, INT_BITS, INT_BITS + 1, 20_000])
def test_one_rule_for_integers_too_long_to_print(bits: int) -> None:
    value = (1 << (bits - 1)) + 1  # exactly `bits` bits
    kept = journal_safe(value)
    if bits < INT_BITS:
        assert kept == value and show_value(value) == str(value)
    else:
        assert kept == int_note(value) == f"[squall: integer of {bits} bits, not recorded]"
        assert show_value(value) == json.dumps(kept)
    # the console (the value) and a report (the journal's copy) spell it the same
    assert show_value([value]) == show_value([kept])
    assert show_value(value, 80) == show_value(kept, 80)


def test_a_report_shows_what_the_journal_keeps_for_long_integers(tmp_path: Path) -> None:
    digits_4250 = "7" * 4250  # fewer than 4300 digits, but over INT_BITS
    text = json.dumps(_journal(["@a@", "@b@"]))
    text = text.replace('"@a@"', digits_4250).replace('"@b@"', "9" * 4400)
    (tmp_path / "j.json").write_text(text)
    report = read_journal(str(tmp_path / "j.json"))
    assert report.method[0].output == [
        int_note(int(digits_4250)),  # the note the journal writer would have kept
        "[squall: integer of 4400 digits, not recorded]",  # past what int() converts
    ]
    assert int_note(int(digits_4250)) in render([report], "html")
