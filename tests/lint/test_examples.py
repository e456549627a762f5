"""``squall lint`` over every experiment the project ships or tests with.

- docs/examples/lint/: each ``<RULE>-bad.yaml`` triggers exactly its rule, each
  ``<RULE>-fixed.yaml`` triggers nothing, every rule has both and docs/reference/lint.md
  shows both.
- examples/basics/ is lint-clean (examples/security/ needs the demo's var file: see
  tests/examples_security/test_lint_examples.py).
- docs/examples/ and tests/examples/ exist to show or test a feature, not to be safe: the
  findings each one has are listed here, so a change in a rule shows up as a diff.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from squall.api import parse_document
from squall.errors import ValidationError
from squall.experiment import load_source
from squall.lint import RULES, lint_experiment

ROOT = Path(__file__).resolve().parents[2]
LINT_EXAMPLES = ROOT / "docs" / "examples" / "lint"
LINT_PAGE = ROOT / "docs" / "reference" / "lint.md"
SUFFIXES = (".json", ".yaml", ".yml")
SEARCHED = ("examples/basics", "docs/examples", "tests/examples", "tests/examples/addons",
            "tests/examples/schema")  # fmt: skip

#: The rules each shipped experiment triggers (absent: none).
EXPECTED: dict[str, set[str]] = {
    "docs/examples/activities.json": {"SQ101", "SQ301"},
    "docs/examples/broken-action.json": {"SQ101", "SQ201"},
    "docs/examples/builtin-controls.json": {"SQ101", "SQ201"},
    "docs/examples/configuration-and-secrets.yaml": {"SQ501", "SQ601"},
    "docs/examples/continuous.json": {"SQ101", "SQ301"},
    "docs/examples/controls.json": {"SQ101"},
    "docs/examples/control-flow.json": {"SQ101", "SQ201"},
    "docs/examples/control-flow-abort.json": {"SQ101"},
    "docs/examples/gate-not-met.json": {"SQ101"},
    "docs/examples/masked-secrets.json": {"SQ601"},  # shows masking: an inline secret on purpose
    "docs/examples/minimal.json": {"SQ201"},
    "docs/examples/parallel-and-outputs.json": {"SQ101", "SQ201"},
    "docs/examples/timeouts.json": {"SQ101", "SQ201"},
    "docs/examples/tolerances.yaml": {"SQ203"},
    "tests/examples/action-fails.yaml": {"SQ101", "SQ201"},
    "tests/examples/background.json": {"SQ101", "SQ201", "SQ301"},
    "tests/examples/builtin-no-signature.json": {"SQ201"},
    "tests/examples/config-secrets.yaml": {"SQ501", "SQ601"},
    "tests/examples/continuous.json": {"SQ101"},
    "tests/examples/deadline.json": {"SQ201"},
    "tests/examples/failed-probe.json": {"SQ101"},
    "tests/examples/history-lost.json": {"SQ101", "SQ201"},
    "tests/examples/http.json": {"SQ101"},
    "tests/examples/interrupt-python.json": {"SQ201"},
    "tests/examples/interrupt.json": {"SQ101", "SQ201"},
    "tests/examples/outputs-missing-key.json": {"SQ101", "SQ201"},
    "tests/examples/orphans.json": {"SQ101", "SQ201"},  # a kill test: children, no hypothesis
    "tests/examples/outputs.json": {"SQ101", "SQ601"},
    "tests/examples/parallel.json": {"SQ101", "SQ201"},
    "tests/examples/pauses.json": {"SQ101", "SQ201"},
    "tests/examples/recover-outputs.json": {"SQ101", "SQ201"},
    "tests/examples/recover-secrets.json": {"SQ201", "SQ601"},  # recovery of inline secrets
    "tests/examples/timeouts.json": {"SQ101", "SQ201"},
    "tests/examples/tolerances.yaml": {"SQ203"},
    "tests/examples/trivial.json": {"SQ101"},
    "tests/examples/trivial.yaml": {"SQ101"},
    "tests/examples/unknown-provider.json": {"SQ101", "SQ201"},
    "tests/examples/addons/bypass.json": {"SQ201"},
    "tests/examples/schema/valid-flow-keys.json": {"SQ101"},
    "tests/examples/addons/repeat.json": {"SQ101", "SQ201"},
    "tests/examples/addons/safeguard-holds.json": {"SQ101", "SQ201"},
    "tests/examples/addons/safeguard-trips.json": {"SQ101", "SQ201"},
    "tests/examples/schema/valid-activity-options.yaml": {"SQ101", "SQ201", "SQ301"},
    "tests/examples/schema/valid-configuration.yaml": {"SQ201"},
    "tests/examples/schema/valid-config-probe-without-name.yaml": {"SQ201"},
    "tests/examples/schema/valid-controls.json": {"SQ101", "SQ201"},
    "tests/examples/schema/valid-full.yaml": {"SQ301", "SQ601"},
    "tests/examples/schema/valid-minimal.json": {"SQ201"},
    "tests/examples/schema/valid-nullable-keys.yaml": {"SQ201"},
    "tests/examples/schema/valid-parallel.json": {"SQ101", "SQ103", "SQ201"},
    "tests/examples/schema/valid-pauses.json": {"SQ101", "SQ201", "SQ501"},
    "tests/examples/schema/valid-provider-plugin.json": {"SQ101", "SQ201"},
    "tests/examples/schema/valid-providers-http.json": {"SQ101", "SQ201", "SQ501"},
    "tests/examples/schema/valid-providers-process.yaml": {"SQ101", "SQ201", "SQ501"},
    "tests/examples/schema/valid-providers-python.json": {"SQ201", "SQ501", "SQ601"},
    "tests/examples/schema/valid-runtime-continous.yaml": {"SQ201"},
    "tests/examples/schema/valid-runtime-continuous.json": {"SQ201"},
    "tests/examples/schema/valid-tolerance-jsonpath.json": {"SQ203", "SQ501"},
    "tests/examples/schema/valid-tolerance-regex.yaml": {"SQ501"},
    "tests/examples/schema/valid-tolerance-scalars.json": {"SQ501"},
}


def rule_ids(path: Path) -> list[str]:
    experiment = parse_document(load_source(str(path)))
    return [f.rule.id for f in lint_experiment(experiment)]


def shipped() -> list[Path]:
    found = []
    for folder in SEARCHED:
        found += sorted(p for p in (ROOT / folder).iterdir() if p.suffix in SUFFIXES)
    return [p for p in found if not p.name.startswith("invalid-") and p.parent.name != "vars"]


# --- the examples of docs/reference/lint.md ------------------------------------------------


def test_every_rule_has_a_bad_and_a_fixed_example_and_nothing_else_is_there() -> None:
    expected = sorted(f"{r}-{kind}.yaml" for r in RULES for kind in ("bad", "fixed"))
    assert sorted(p.name for p in LINT_EXAMPLES.iterdir()) == expected


@pytest.mark.parametrize("rule", list(RULES))
def test_the_bad_example_triggers_exactly_its_rule(rule: str) -> None:
    found = rule_ids(LINT_EXAMPLES / f"{rule}-bad.yaml")
    assert found and set(found) == {rule}


@pytest.mark.parametrize("rule", list(RULES))
def test_the_fixed_example_triggers_nothing(rule: str) -> None:
    assert rule_ids(LINT_EXAMPLES / f"{rule}-fixed.yaml") == []


def test_the_page_documents_every_rule_with_both_examples() -> None:
    page = LINT_PAGE.read_text(encoding="utf-8")
    headings = re.findall(r"^### (SQ\d{3}) ", page, re.MULTILINE)
    assert headings == list(RULES)
    for rule in RULES.values():
        row = f"| [{rule.id}](#{rule.id.lower()}-{rule.name}) | `{rule.name}` | {rule.severity.label} |"
        assert f"{row} {rule.summary} |" in page, f"the table row of {rule.id} is out of date"
        assert f"**{rule.severity.label}**: {rule.summary}." in page
        for kind in ("bad", "fixed"):
            assert f'--8<-- "docs/examples/lint/{rule.id}-{kind}.yaml"' in page


# --- what ships ---------------------------------------------------------------------------


def test_the_table_names_only_files_that_exist() -> None:
    names = {str(p.relative_to(ROOT)) for p in shipped()}
    assert set(EXPECTED) <= names
    assert len(names) >= 60


@pytest.mark.parametrize("path", shipped(), ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_experiment_has_the_expected_findings(path: Path) -> None:
    name = str(path.relative_to(ROOT))
    found = set(rule_ids(path))
    assert found == EXPECTED.get(name, set()), (
        f"squall lint {name} now finds {sorted(found)}: if that is right, list it in EXPECTED "
        "(tests/lint/test_examples.py); if the example is risky by accident, fix the example"
    )


def test_the_invalid_schema_examples_are_bad_input(squall: Any) -> None:
    invalid = sorted((ROOT / "tests/examples/schema").glob("invalid-*.json"))
    for path in invalid:
        with pytest.raises(ValidationError):
            parse_document(load_source(str(path)))
    result = squall("lint", *map(str, invalid))
    assert result.code == 2
    assert result.stdout == ""
    assert result.stderr.endswith(
        f"squall lint: nothing linted, 0 findings; not linted (bad input, see above): "
        f"{', '.join(map(str, invalid))}\n"
    )
