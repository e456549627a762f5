"""``squall lint`` as a user runs it: output formats, exit codes, options."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from squall.lint import RULES

ROOT = Path(__file__).resolve().parents[2]
LINT_EXAMPLES = ROOT / "docs" / "examples" / "lint"


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    """An action without rollback (SQ101 warning) and an unknown name (SQ501 error)."""
    path = tmp_path / "bad.yaml"
    path.write_text(
        "title: t\n"
        "description: d\n"
        "steady-state-hypothesis:\n"
        "  title: h\n"
        "  probes:\n"
        "    - type: probe\n"
        "      name: p\n"
        "      tolerance: 0\n"
        "      provider: {type: process, path: 'true'}\n"
        "method:\n"
        "  - type: action\n"
        "    name: touch-it\n"
        '    provider: {type: process, path: touch, arguments: ["${target}"]}\n'
    )
    return path


def test_text_output_is_one_line_per_finding_with_place_and_fix(squall: Any, bad: Path) -> None:
    result = squall("lint", str(bad))
    assert result.code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f'{bad}:11:5: warning SQ101 action "touch-it" has no rollback that undoes it [/method/0]'
    )
    assert lines[1].startswith("    fix: add a rollback")
    assert lines[2].startswith(f"{bad}:13:56: error SQ501 ${{target}} is not defined")
    assert result.stderr == "squall lint: 1 file, 2 findings (1 warning, 1 error)\n"


def test_fail_on_sets_the_threshold(squall: Any, bad: Path) -> None:
    assert squall("lint", "--fail-on", "error", str(bad)).code == 1
    assert squall("lint", "--fail-on", "error", "--var", "target=/tmp/x", str(bad)).code == 0
    assert squall("lint", "--fail-on", "none", str(bad)).code == 0
    info_only = LINT_EXAMPLES / "SQ203-bad.yaml"
    assert squall("lint", str(info_only)).code == 0
    assert squall("lint", "--fail-on", "info", str(info_only)).code == 1


def test_disable_and_var_file(squall: Any, bad: Path, tmp_path: Path) -> None:
    variables = tmp_path / "vars.json"
    variables.write_text(json.dumps({"configuration": {"target": "/tmp/x"}}))
    result = squall("lint", "--disable", "SQ101:touch-it", "--var-file", str(variables), str(bad))
    assert (result.code, result.stdout) == (0, "")
    assert result.stderr == "squall lint: 1 file, 0 findings\n"
    unknown = squall("lint", "--disable", "SQ1O1", str(bad))
    assert unknown.code == 2 and 'unknown rule "SQ1O1"' in unknown.stderr


def test_json_output(squall: Any, bad: Path) -> None:
    result = squall("lint", "--format", "json", str(bad))
    assert result.code == 1
    payload = json.loads(result.stdout)
    assert payload["files"] == [str(bad)]
    assert (payload["error"], payload["warning"], payload["info"]) == (1, 1, 0)
    first = payload["findings"][0]
    assert first == {
        "rule": "SQ101",
        "name": "action-without-rollback",
        "severity": "warning",
        "message": 'action "touch-it" has no rollback that undoes it',
        "fix": first["fix"],
        "file": str(bad),
        "pointer": "/method/0",
        "line": 11,
        "column": 5,
        "subject": "touch-it",
    }


def test_sarif_output(squall: Any, bad: Path) -> None:
    result = squall("lint", "--format", "sarif", str(bad))
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == list(RULES)
    levels = [(r["ruleId"], r["level"]) for r in run["results"]]
    assert levels == [("SQ101", "warning"), ("SQ501", "error")]
    location = run["results"][1]["locations"][0]
    assert location["physicalLocation"]["region"] == {"startLine": 13, "startColumn": 56}
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "/method/0/provider/arguments/0"


def test_bad_input_exits_2_with_validates_errors_and_still_lints_the_rest(
    squall: Any, bad: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"title": "t", "description": "d", "method": [{"type": "act"}]}')
    result = squall("lint", str(broken), str(tmp_path / "missing.json"), str(bad))
    assert result.code == 2
    assert f'{broken}:1:56 at /method/0/type: unknown activity type "act"' in result.stderr
    assert squall("validate", str(broken)).stderr in result.stderr  # the same report
    assert "experiment file not found" in result.stderr
    assert "SQ101" in result.stdout  # the good file was still linted
    assert result.stderr.endswith(
        "squall lint: 1 of 3 files linted, 2 findings (1 warning, 1 error); not linted "
        f"(bad input, see above): {broken}, {tmp_path / 'missing.json'}\n"
    )


def test_a_document_that_does_not_parse_is_not_summed_up_as_0_files(
    squall: Any, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("title: t\ndescription: [unclosed\n")
    result = squall("lint", str(broken))
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.startswith(squall("validate", str(broken)).stderr)  # located
    assert f"{broken}:3:1 at /: invalid YAML" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"squall lint: nothing linted, 0 findings; not linted (bad input, see above): {broken}"
    )
    assert "0 files" not in result.stderr


def test_lint_is_listed_without_being_imported(squall: Any) -> None:
    result = squall("--help")
    assert "lint      Flag risky experiments" in result.stdout


def test_list_rules_and_no_experiment(squall: Any) -> None:
    listed = squall("lint", "--list-rules")
    assert listed.code == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == list(RULES)
    assert "SQ202  error    tolerance-accepts-everything" in listed.stdout
    nothing = squall("lint")
    assert nothing.code == 2 and "give at least one EXPERIMENT" in nothing.stderr
