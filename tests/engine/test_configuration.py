"""Configuration and secrets: env sources, typed values, --var / --var-file precedence,
dynamic configuration, and secrets kept out of the journal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqharness import EXAMPLES


def probes(journal: dict[str, Any]) -> dict[str, Any]:
    return {p["activity"]["name"]: p for p in journal["steady_states"]["before"]["probes"]}


def test_sources_types_and_precedence(squall: Any) -> None:
    result = squall(
        "run",
        str(EXAMPLES / "config-secrets.yaml"),
        "--var",
        "overridden=from-cli",
        env={"SQUALL_TEST_TOKEN": "twelve-chars"},
    )
    assert result.code == 0, result.stderr
    found = probes(result.journal)
    assert found["port-is-typed"]["output"] == 8080
    assert found["interpolated"]["output"] == "hello on 8080"
    assert found["override-wins"]["output"] == "from-cli"
    assert found["token-length"]["output"] == 12
    assert found["unknown-left-alone"]["output"] == "$HOME and ${nope}"
    assert result.journal["experiment"]["title"] == "configuration hello and secrets"


def test_env_var_type_conversion(squall: Any) -> None:
    result = squall(
        "run",
        str(EXAMPLES / "config-secrets.yaml"),
        "--var",
        "overridden=from-cli",
        env={"SQUALL_TEST_TOKEN": "twelve-chars", "SQUALL_TEST_PORT": "9090"},
    )
    found = probes(result.journal)
    assert found["port-is-typed"]["output"] == 9090
    assert found["port-is-typed"]["tolerance_met"] is False
    assert result.code == 4


def test_var_file_then_var_precedence(squall: Any) -> None:
    var_file = EXAMPLES / "vars" / "vars-config.json"
    result = squall(
        "run",
        str(EXAMPLES / "config-secrets.yaml"),
        "--var-file",
        str(var_file),
        "--var",
        "overridden=from-cli",
    )
    assert result.code == 0, result.stderr
    found = probes(result.journal)
    assert found["override-wins"]["output"] == "from-cli"
    assert found["token-length"]["output"] == len("from-varfile"), (
        "the var file supplies the secret"
    )
    only_file = squall("run", str(EXAMPLES / "config-secrets.yaml"), "--var-file", str(var_file))
    assert only_file.code == 4
    assert probes(only_file.journal)["override-wins"]["output"] == "from-var-file"


def test_dotenv_var_file_feeds_env_sources(squall: Any) -> None:
    result = squall(
        "run",
        str(EXAMPLES / "config-secrets.yaml"),
        "--var-file",
        str(EXAMPLES / "vars" / "test.env"),
        "--var",
        "overridden=from-cli",
    )
    assert result.code == 0, result.stderr
    assert probes(result.journal)["token-length"]["output"] == 12


def test_missing_secret_env_is_bad_input_before_anything_runs(squall: Any) -> None:
    result = squall("run", str(EXAMPLES / "config-secrets.yaml"), "--var", "overridden=x")
    assert result.code == 2
    assert "SQUALL_TEST_TOKEN" in result.stderr and "/secrets/app/token" in result.stderr
    assert result.journal is None


def test_typed_vars_and_bad_vars(squall: Any, tmp_path: Path) -> None:
    exp = tmp_path / "e.json"
    exp.write_text(
        json.dumps(
            {
                "title": "t",
                "description": "d",
                "configuration": {"n": 1, "flag": False, "doc": None},
                "steady-state-hypothesis": {
                    "title": "h",
                    "probes": [
                        {
                            "type": "probe",
                            "name": "n",
                            "tolerance": 5,
                            "provider": {
                                "type": "python",
                                "module": "sqtest",
                                "func": "echo",
                                "arguments": {"value": "${n}"},
                            },
                        },
                        {
                            "type": "probe",
                            "name": "flag",
                            "tolerance": True,
                            "provider": {
                                "type": "python",
                                "module": "sqtest",
                                "func": "echo",
                                "arguments": {"value": "${flag}"},
                            },
                        },
                        {
                            "type": "probe",
                            "name": "doc",
                            "tolerance": {"type": "jsonpath", "path": "$.a", "expect": 1},
                            "provider": {
                                "type": "python",
                                "module": "sqtest",
                                "func": "echo",
                                "arguments": {"value": "${doc}"},
                            },
                        },
                    ],
                },
                "method": [],
            }
        )
    )
    good = squall(
        "run", str(exp), "--var", "n:int=5", "--var", "flag:bool=yes", "--var", 'doc:json={"a": 1}'
    )
    assert good.code == 0, good.stderr
    bad = squall("run", str(exp), "--var", "n:int=five")
    assert bad.code == 2 and "--var" in bad.stderr
    assert squall("run", str(exp), "--var", "n:complex=1").code == 2
    assert squall("run", str(exp), "--var", "novalue").code == 2


def test_dynamic_configuration_in_order_and_failures_omitted(squall: Any) -> None:
    result = squall("run", str(EXAMPLES / "dynamic-config.json"))
    assert result.code == 0, result.stderr
    found = probes(result.journal)
    assert found["chain"]["output"] == "squall-py-proc"
    assert found["broken-key-omitted"]["output"] == "absent"
    assert "dynamic configuration failed" in result.stderr and "broken" in result.stderr


def test_secret_values_never_reach_the_journal(squall: Any) -> None:
    result = squall(
        "run",
        str(EXAMPLES / "config-secrets.yaml"),
        "--var",
        "overridden=from-cli",
        env={"SQUALL_TEST_TOKEN": "twelve-chars"},
    )
    text = json.dumps(result.journal)
    assert "not-so-secret" not in text and "twelve-chars" not in text
    secrets = result.journal["experiment"]["secrets"]["app"]
    assert secrets == {"token": {"type": "env", "key": "SQUALL_TEST_TOKEN"}, "inline": "***"}


def test_validate_considers_vars_for_env_entries(squall: Any, tmp_path: Path) -> None:
    exp = tmp_path / "e.json"
    exp.write_text(
        json.dumps(
            {
                "title": "t",
                "description": "d",
                "configuration": {"url": {"type": "env", "key": "SQUALL_TEST_UNSET_URL"}},
                "method": [],
            }
        )
    )
    assert squall("validate", str(exp)).code == 2
    assert squall("validate", str(exp), "--var", "url=http://127.0.0.1").code == 0


def test_var_file_with_unknown_keys_is_bad_input(squall: Any, tmp_path: Path) -> None:
    """A var file's top level holds configuration/secrets only; anything else is reported
    (exit 2, nothing runs) rather than silently ignored."""
    typo = tmp_path / "typo.yaml"
    typo.write_text("configuraton:\n  overridden: x\n", encoding="utf-8")
    result = squall("run", str(EXAMPLES / "config-secrets.yaml"), "--var-file", str(typo))
    assert result.code == 2 and result.journal is None
    assert 'unknown key "configuraton"' in result.stderr
    assert 'only "configuration" and/or "secrets"' in result.stderr

    state = tmp_path / "demo.json"  # the demo's own state file, passed by mistake
    state.write_text(json.dumps({"version": 1, "api_url": "https://127.0.0.1:1", "ports": {}}))
    result = squall("validate", str(EXAMPLES / "config-secrets.yaml"), "--var-file", str(state))
    assert result.code == 2
    assert "demo's state file (demo.json)" in result.stderr
    assert "squall demo vars --output demo-vars.json" in result.stderr
    assert "Traceback" not in result.stderr
