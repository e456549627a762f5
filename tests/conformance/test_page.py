"""docs/compatibility.md's generated tables match docs/compatibility.yaml, and the YAML
file is well formed (every entry complete, matchers valid)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import compare
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "compatibility_page.py"


def _script() -> object:
    spec = importlib.util.spec_from_file_location("compatibility_page", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_page_is_up_to_date() -> None:
    code = _script().main(["--check"])  # type: ignore[attr-defined]
    assert code == 0, "docs/compatibility.md is out of date: run scripts/compatibility_page.py"


def test_the_generated_tables_have_a_row_per_entry() -> None:
    entries = yaml.safe_load(compare.DIFFERENCES.read_text())["differences"]
    page = (ROOT / "docs" / "compatibility.md").read_text()
    quick = page.split("<!-- BEGIN quick-list -->")[1].split("<!-- END quick-list -->")[0]
    assert quick.count("\n| ") == len(entries) + 1  # the header row too
    for entry in entries:
        assert entry["ctk"].replace("|", "\\|") in quick


def test_every_entry_is_complete_and_its_matchers_name_real_cases() -> None:
    differences = compare.load_differences()
    case_ids = [c["id"] for c in json.loads((ROOT / "tests/conformance/cases.json").read_text())]
    for difference in differences:
        for matcher in difference.matchers:
            assert any(matcher.selects(c) for c in case_ids), (difference.id, matcher.cases)


def test_a_bad_entry_is_refused_with_its_place(tmp_path: Path) -> None:
    bad = tmp_path / "compatibility.yaml"
    bad.write_text("differences:\n  - {id: x, area: a, ctk: c, squall: s, why: w, status: maybe}\n")
    with pytest.raises(ValueError, match=r"entry 0 \(x\): status must be one of"):
        compare.load_differences(bad)
    bad.write_text(
        "differences:\n  - {id: x, area: a, ctk: c, squall: s, why: w, status: intentional,"
        " match: [{cases: ['*']}]}\n"
    )
    with pytest.raises(ValueError, match="a match needs cases and fields"):
        compare.load_differences(bad)


def test_matchers_explain_only_the_fields_and_values_they_name() -> None:
    matcher = compare.Matcher(["sig-*"], ["run[*].status"], {"status": ["interrupted"]}, {})
    ctk = {"status": "interrupted", "run": [{"status": "<missing>"}]}
    squall = {"status": "interrupted", "run": [{"status": "failed"}]}
    assert matcher.holds("sig-x", ctk, squall)
    assert not matcher.holds("other", ctk, squall)
    assert matcher.covers("run[0].status") and not matcher.covers("run[0].output")
    difference = compare.Difference("d", "a", "c", "s", "w", "intentional", "", [matcher])
    assert compare.classify("sig-x", ctk, squall, [difference]).kind == "intentional"
    assert compare.classify("other", ctk, squall, [difference]).kind == "mismatch"
    squall["run"][0]["output"] = 1
    verdict = compare.classify("sig-x", ctk, squall, [difference])
    assert verdict.kind == "mismatch" and verdict.unexplained == ["run[0].output"]
