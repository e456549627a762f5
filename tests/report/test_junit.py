"""JUnit XML: valid against the schema Jenkins' xUnit plugin validates with, and the
verdicts mapped as CI reads them (deviation = failure, broken = error, not run =
skipped)."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import xmlschema

from squall.report import read_journal, render

XSD = Path(__file__).resolve().parent / "data" / "junit-10.xsd"


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def junit(*paths: Path) -> ET.Element:
    return ET.fromstring(render([read_journal(str(p)) for p in paths], "junit"))


def cases(suite: ET.Element) -> dict[str, ET.Element]:
    return {c.get("name", ""): c for c in suite.iter("testcase")}


def test_every_journal_gives_valid_junit(
    schema: xmlschema.XMLSchema, journals: dict[str, Path], ctk_journals: dict[str, Path]
) -> None:
    paths = [*journals.values(), *ctk_journals.values()]
    text = render([read_journal(str(p)) for p in paths], "junit")
    schema.validate(text)  # raises with the place when invalid
    root = ET.fromstring(text)
    assert len(root.findall("testsuite")) == len(paths)
    # the schema would accept an empty document: check the counts add up too
    for suite in root.findall("testsuite"):
        found = suite.findall("testcase")
        assert suite.get("tests") == str(len(found))
        assert suite.get("failures") == str(sum(c.find("failure") is not None for c in found))
        assert suite.get("errors") == str(sum(c.find("error") is not None for c in found))


def test_hostile_text_stays_text(schema: xmlschema.XMLSchema, journals: dict[str, Path]) -> None:
    text = render([read_journal(str(journals["hostile"]))], "junit")
    schema.validate(text)
    suite = ET.fromstring(text).find("testsuite")
    assert suite is not None
    assert suite.get("name", "").startswith("<script>document.title='pwned-title'</script>")
    error = cases(suite)["method: raise-html"].find("error")
    assert error is not None
    # the journal's "]]></failure>" and a control character (not allowed in XML) survive as text
    assert "]]></failure>\ufffd" in error.get("message", "")


def test_deviation_is_a_failure_with_expected_and_actual(journals: dict[str, Path]) -> None:
    suite = junit(journals["showcase"]).find("testsuite")
    assert suite is not None
    found = cases(suite)
    failure = found["after: marker-absent"].find("failure")
    assert failure is not None and failure.get("message") == "expected false, got true"
    during = [c for name, c in found.items() if name.startswith("during: marker-absent")]
    assert len(during) == 1 and during[0].find("failure") is not None
    assert "checks missed" in during[0].find("failure").get("message", "")  # type: ignore[union-attr]
    assert found["method: stop-cache"].find("failure") is None
    assert "rollbacks: remove-marker" in found
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["outcome"] == "deviated" and props["exit_code"] == "1"


def test_broken_activity_is_an_error(journals: dict[str, Path]) -> None:
    suite = junit(journals["broken"]).find("testsuite")
    assert suite is not None
    error = cases(suite)["method: explode"].find("error")
    assert error is not None and "kaboom" in error.get("message", "")
    assert "Traceback" in (error.text or "")
    assert suite.get("errors") == "1" and suite.get("failures") == "0"


@pytest.mark.parametrize("origin", ["squall", "ctk"])
def test_not_run_is_skipped_with_the_reason(
    journals: dict[str, Path], ctk_journals: dict[str, Path], origin: str
) -> None:
    path = journals["not-run"] if origin == "squall" else ctk_journals["not-run"]
    suite = junit(path).find("testsuite")
    assert suite is not None
    found = cases(suite)
    skipped = found["method: never-runs"].find("skipped")
    assert skipped is not None and "nothing was injected" in skipped.get("message", "")
    assert found["before: missing-exists"].find("skipped") is not None
    assert suite.get("failures") == "0" and suite.get("errors") == "0"


def test_interruption_is_an_error_case(journals: dict[str, Path]) -> None:
    suite = junit(journals["interrupted"]).find("testsuite")
    assert suite is not None
    errors = [c for c in suite.iter("testcase") if c.find("error") is not None]
    assert errors
    assert any("SIGINT" in (c.find("error").get("message") or "") for c in errors)  # type: ignore[union-attr]
