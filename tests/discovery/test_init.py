"""squall init: an experiment from a discovery, by an answers file or by prompts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from squall.cli import main
from squall.cli.app import cli

ANSWERS = {
    "title": "Counting survives a cut cable",
    "description": "A test experiment.",
    "hypothesis": {
        "title": "things are counted",
        "probes": [
            {
                "activity": "count_things",
                "arguments": {"path": "/tmp", "limit": "3"},
                "tolerance": 3,
            },
        ],
    },
    "method": [
        {"activity": "cut_cable", "arguments": {"port": 8080}, "pauses": {"after": 0}},
        {"activity": "fakedrv.probes:count_things", "arguments": {"path": "/", "deep": "yes"}},
    ],
    "rollbacks": [{"activity": "undo_it", "arguments": {"name": "svc"}}],
}


@pytest.fixture
def discovery(driver_path: Path) -> Path:
    result = CliRunner().invoke(cli, ["discover", "fakedrv"])
    assert result.exit_code == 0, result.output
    return Path("discovery.json")


def _init(answers: object, *args: str, suffix: str = ".yaml") -> tuple[int, str]:
    path = Path(f"answers{suffix}")
    path.write_text(yaml.safe_dump(answers) if suffix == ".yaml" else json.dumps(answers))
    result = CliRunner().invoke(cli, ["init", "--answers", str(path), *args])
    return result.exit_code, result.output


def _valid(path: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", path])
    assert code == 0, capsys.readouterr().err


def test_answers_to_json(discovery: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _init(ANSWERS)
    assert code == 0, out
    text = Path("experiment.json").read_text()
    assert text.startswith('{\n    "title"')  # 4-space indent
    experiment = json.loads(text)
    probe = experiment["steady-state-hypothesis"]["probes"][0]
    assert probe == {
        "type": "probe",
        "name": "count-things",
        "provider": {
            "type": "python",
            "module": "fakedrv.probes",
            "func": "count_things",
            "arguments": {"path": "/tmp", "limit": 3},
        },
        "tolerance": 3,
    }
    method = experiment["method"]
    assert [a["name"] for a in method] == ["cut-cable", "count-things-2"]
    assert method[0]["pauses"] == {"after": 0}
    assert method[1]["provider"]["arguments"] == {"path": "/", "deep": True}
    assert experiment["rollbacks"][0]["provider"]["func"] == "undo_it"
    _valid("experiment.json", capsys)


def test_answers_json_to_yaml(discovery: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _init(ANSWERS, "--experiment-path", "exp.yaml", suffix=".json")
    assert code == 0, out
    experiment = yaml.safe_load(Path("exp.yaml").read_text())
    assert experiment["title"] == ANSWERS["title"]
    _valid("exp.yaml", capsys)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rollbacks": ["count_things"]}, 'rollback 1: "count_things" is a probe, not a action'),
        ({"hypothesis": {"probes": ["cut_cable"]}}, "is a action, not a probe"),
        ({"hypothesis": {"probes": [{"activity": "look_around"}]}}, "needs a tolerance"),
        (
            {"method": [{"activity": "cut_cable", "arguments": {"port": "eighty"}}]},
            'argument "port" of cut_cable: expected integer, got "eighty"',
        ),
        ({"method": ["cut_cable"]}, 'cut_cable needs the argument "port"'),
        (
            {"method": [{"activity": "look_around", "arguments": {"x": 1}}]},
            'look_around takes no argument "x"',
        ),
        ({"method": ["nope"]}, 'no activity "nope" in the discovery'),
        ({"method": []}, "the method needs at least one activity"),
        ({"title": ""}, "an experiment needs a title"),
        # a key squall init does not use is refused, not dropped without a word
        ({"bogus": 1}, 'the answers: unknown key "bogus" (known keys: title, description'),
        ({"hypothesis": {"title": "t", "probe": []}}, 'the hypothesis: unknown key "probe"'),
        ({"hypothesis": "things are counted"}, "the hypothesis must be a mapping"),
        (
            {"method": [{"activity": "cut_cable", "argments": {"port": 80}}]},
            'method activity 1: unknown key "argments"',
        ),
        ({"configuration": ["port", 8080]}, "the answers' configuration must be a mapping"),
    ],
)
def test_bad_answers_exit_2(discovery: Path, change: dict, message: str) -> None:
    code, out = _init({**ANSWERS, **change})
    assert code == 2
    assert message in out and "Traceback" not in out
    assert not Path("experiment.json").exists()


def test_configuration_and_secrets_are_copied(
    discovery: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the activities use through ``${name}`` can be given with the answers, and a
    ``${name}`` argument is left for the run to substitute (not checked against the type)."""
    monkeypatch.setenv("API_TOKEN", "t0ken")
    answers = {
        **ANSWERS,
        "configuration": {"port": 8080},
        "secrets": {"api": {"token": {"type": "env", "key": "API_TOKEN"}}},
        "method": [{"activity": "cut_cable", "arguments": {"port": "${port}"}}],
    }
    code, out = _init(answers)
    assert code == 0, out
    experiment = json.loads(Path("experiment.json").read_text())
    assert list(experiment)[:5] == ["title", "description", "tags", "configuration", "secrets"]
    assert experiment["configuration"] == {"port": 8080}
    assert experiment["secrets"] == answers["secrets"]
    assert experiment["method"][0]["provider"]["arguments"] == {"port": "${port}"}
    _valid("experiment.json", capsys)


def test_no_discovery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = _init(ANSWERS)
    assert code == 2 and "no discovery at discovery.json" in out


def test_interactive(discovery: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Answers piped in (a wrong one, and a terminal: test_init_prompts.py)."""
    groups = [
        ["Prompted experiment", ""],  # title, description (N/A)
        ["y", "Counting works"],  # a hypothesis and its title
        ["2", "y"],  # count_things
        ["/tmp", "5", "", "", "", ""],  # path, limit 5, defaults
        ["5", ""],  # tolerance; no more probes
        ["1", "y", "8080", ""],  # method: cut_cable with port 8080
        ["y", "3", "y", "svc", ""],  # rollbacks: undo_it
    ]
    lines = [line for group in groups for line in group]
    result = CliRunner().invoke(
        cli, ["init", "--experiment-path", "e.yml"], input="\n".join(lines) + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "Number of the probe for the hypothesis (empty: done): 2\n" in result.output
    experiment = yaml.safe_load(Path("e.yml").read_text())
    assert experiment["description"] == "N/A"
    probe = experiment["steady-state-hypothesis"]["probes"][0]
    assert probe["provider"]["arguments"] == {"path": "/tmp", "limit": 5}
    assert probe["tolerance"] == 5
    assert experiment["method"][0]["provider"]["arguments"] == {"port": 8080}
    assert experiment["rollbacks"][0]["provider"]["arguments"] == {"name": "svc"}
    _valid("e.yml", capsys)
