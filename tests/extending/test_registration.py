"""Registration hooks, used by a real run: squall-sample-plugin (tests/extending/
sample_plugin, found through its real ``entry_points.txt``) registers a provider type, a
tolerance type, a secret backend, a journal sink and a CLI command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

PLUGIN = Path(__file__).resolve().parent / "sample_plugin"


@pytest.fixture
def installed(tmp_path: Path) -> dict[str, str]:
    """The plugin on the path; a journal sink file; the experiment and its secret."""
    shutil.copy(PLUGIN / "experiment.json", tmp_path / "experiment.json")
    (tmp_path / "word.txt").write_text("abcd\nignored\n")
    return {"PYTHONPATH": str(PLUGIN), "SAMPLE_SINK": str(tmp_path / "sink.jsonl")}


def test_a_run_uses_every_registration(
    squall: Any, tmp_path: Path, installed: dict[str, str]
) -> None:
    result = squall("run", "experiment.json", env=installed)
    assert result.code == 0, result.stderr
    journal = result.journal
    # the provider type ran, with ${word} from the plugin's secret backend (a secret: the
    # journal masks it; its upper-case copy is another text, not recognised as secret)
    probe = journal["steady_states"]["before"]["probes"][0]
    assert probe["output"] == "***" and probe["tolerance_met"] is True
    assert journal["run"][0]["output"] == "ABCD"
    # the journal sink got the final journal and where it was written
    shipped = [json.loads(line) for line in (tmp_path / "sink.jsonl").read_text().splitlines()]
    assert shipped == [{"status": "completed", "path": str(tmp_path / "journal.json")}]


def test_the_plugin_tolerance_explains_a_miss(
    squall: Any, tmp_path: Path, installed: dict[str, str]
) -> None:
    (tmp_path / "word.txt").write_text("abc\n")
    result = squall("run", "experiment.json", env=installed)
    assert result.code == 4, result.stderr  # the steady state did not hold before
    assert "3 characters is not a multiple of 2" in result.stderr
    probe = result.journal["steady_states"]["before"]["probes"][0]
    assert probe["tolerance_met"] is False


def test_the_plugin_provider_checks_before_the_run(
    squall: Any, tmp_path: Path, installed: dict[str, str]
) -> None:
    experiment = json.loads((tmp_path / "experiment.json").read_text())
    del experiment["method"][0]["provider"]["text"]
    (tmp_path / "experiment.json").write_text(json.dumps(experiment, indent=2))
    result = squall("validate", "experiment.json", env=installed)
    assert result.code == 2, result.stderr
    assert "/method/0/provider" in result.stderr
    assert "an echo provider requires a 'text' string" in result.stderr


def test_a_failing_secret_backend_stops_before_the_run(
    squall: Any, tmp_path: Path, installed: dict[str, str]
) -> None:
    (tmp_path / "word.txt").unlink()
    result = squall("run", "experiment.json", env=installed)
    assert result.code == 2, result.stderr
    assert 'secret greeting.word (type "file") cannot be read: FileNotFoundError' in (result.stderr)


def test_without_the_plugin_its_types_are_unknown(squall: Any, tmp_path: Path) -> None:
    shutil.copy(PLUGIN / "experiment.json", tmp_path / "experiment.json")
    result = squall("validate", "experiment.json")
    assert result.code == 2
    assert 'unsupported tolerance type "divisible-by"' in result.stderr


def test_the_plugin_command_and_help(squall: Any, installed: dict[str, str]) -> None:
    result = squall("hello", "squall", env=installed)
    assert result.code == 0, result.stderr
    assert result.stdout == "hello, squall, from a plugin\n"
    listed = squall("--help", env=installed)
    assert "hello" in listed.stdout and "Say hello" in listed.stdout
    assert "hello" not in squall("--help").stdout


def test_version_and_known_commands_do_not_load_plugins(
    squall: Any, tmp_path: Path, installed: dict[str, str]
) -> None:
    """A broken plugin package shows up only where plugins are consulted."""
    broken = tmp_path / "broken"
    shutil.copytree(PLUGIN, broken, ignore=shutil.ignore_patterns("__pycache__"))
    (broken / "squall_sample_plugin" / "__init__.py").write_text('raise ImportError("broken")\n')
    env = {**installed, "PYTHONPATH": str(broken)}
    version = squall("--version", env=env)
    assert version.code == 0 and "cannot load" not in version.stderr
    schema = squall("schema", env=env)
    assert schema.code == 0 and "cannot load" not in schema.stderr
    unknown = squall("nope", env=env)
    assert unknown.code == 2
    assert "cannot load the installed squall plugins: ImportError: broken" in unknown.stderr
