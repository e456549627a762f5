"""``squall run --output agent`` and ``--events-file`` through the real command: stdout
holds the report only, secrets reach neither, bad uses are refused before anything runs.
(tests/conformance/test_agent_output.py compares both with the Chaos Toolkit's.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

CANARY = "canary-8d1f0c55e2"


def _experiment(tmp_path: Path) -> Path:
    """A method that prints a secret on stdout (python) and echoes it (process)."""
    (tmp_path / "loud.py").write_text(
        "def shout(token):\n    print('token is', token)\n    return token\n"
    )
    experiment = {
        "title": "loud",
        "description": "prints its secret",
        "secrets": {"app": {"token": {"type": "env", "key": "APP_TOKEN"}}},
        "steady-state-hypothesis": {
            "title": "fine",
            "probes": [
                {
                    "type": "probe",
                    "name": "there",
                    "tolerance": True,
                    "provider": {
                        "type": "python",
                        "module": "os.path",
                        "func": "exists",
                        "arguments": {"path": str(tmp_path)},
                    },
                }
            ],
        },
        "method": [
            {
                "type": "action",
                "name": "shout",
                "provider": {
                    "type": "python",
                    "module": "loud",
                    "func": "shout",
                    "secrets": ["app"],
                    "arguments": {"token": "${token}"},
                },
            },
            {
                "type": "action",
                "name": "echo",
                "provider": {
                    "type": "process",
                    "path": "echo",
                    "arguments": "${token}",
                    "secrets": ["app"],
                },
            },
        ],
    }
    path = tmp_path / "loud.json"
    path.write_text(json.dumps(experiment))
    return path


def _env(tmp_path: Path) -> dict[str, str]:
    return {"APP_TOKEN": CANARY, "PYTHONPATH": str(tmp_path)}


def test_stdout_is_the_report_and_no_sink_gets_the_secret(squall: Any, tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    result = squall(
        "run", "--output", "agent", "--events-file", str(events), str(_experiment(tmp_path)),
        env=_env(tmp_path),
    )  # fmt: skip
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)  # the activities' prints went to stderr
    assert "token is ***" in result.stderr
    assert report["outcome"] == "passed" and report["conclusive"] is True
    assert report["exit_code"] == 0
    assert report["squall"]["outcome"] == "held"
    assert report["events_path"] == str(events)
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    assert [e["type"] for e in lines][:2] == ["run-started", "hypothesis-started"]
    assert lines[-1] == {**lines[-1], "type": "run-finished", "status": "completed"}
    shout = next(e for e in lines if e["type"] == "activity-completed" and e["name"] == "shout")
    assert shout["output"] == "***"
    for sink in (result.stdout, result.stderr, events.read_text(), json.dumps(result.journal)):
        assert CANARY not in sink


def test_a_large_output_is_left_to_the_journal(squall: Any, tmp_path: Path) -> None:
    experiment = json.loads(_experiment(tmp_path).read_text())
    experiment["method"] = [
        {
            "type": "action",
            "name": "big",
            "provider": {"type": "process", "path": "head", "arguments": "-c 6000 /dev/zero"},
        }
    ]
    path = tmp_path / "big.json"
    path.write_text(json.dumps(experiment))
    events = tmp_path / "events.jsonl"
    result = squall("run", "--events-file", str(events), str(path), env=_env(tmp_path))
    assert result.code == 0, result.stderr
    assert result.stdout == ""  # text output: nothing on stdout
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    big = next(e for e in lines if e["type"] == "activity-completed" and e["name"] == "big")
    assert big["output_truncated"] is True
    assert big["output_size"] > 6000 and "output" not in big


@pytest.mark.parametrize(
    ("content", "stage", "kind"),
    [
        (None, "load", "LoadError"),
        ('{"title": "no method", "description": "d"}', "validation", "ValidationError"),
        ("{not json", "load", "LoadError"),
    ],
)
def test_a_run_that_cannot_start_gets_an_error_report(
    squall: Any, tmp_path: Path, content: str | None, stage: str, kind: str
) -> None:
    path = tmp_path / "exp.json"
    if content is not None:
        path.write_text(content)
    result = squall("run", "--output", "agent", str(path))
    assert result.code == 2
    report = json.loads(result.stdout)
    assert report["outcome"] == "error" and report["exit_code"] == 2
    assert report["error"]["stage"] == stage and report["error"]["type"] == kind
    assert report["error"]["message"] and report["journal"] is None
    assert "squall" in result.stderr  # the usual message, on stderr


def test_an_unresolvable_secret_masks_nothing_it_should_not(squall: Any, tmp_path: Path) -> None:
    """Validation refuses a secret whose variable is unset: the report says where."""
    result = squall("run", "--output", "agent", str(_experiment(tmp_path)))
    assert result.code == 2
    report = json.loads(result.stdout)
    assert report["error"]["stage"] == "validation"
    assert "APP_TOKEN" in report["error"]["message"]


@pytest.mark.parametrize(
    "extra",
    [
        ["--plan"],
        ["--engine", "temporal"],
        ["SECOND"],
    ],
)
def test_agent_output_reports_one_local_run(squall: Any, tmp_path: Path, extra: list[str]) -> None:
    path = _experiment(tmp_path)
    extra = [str(path) if e == "SECOND" else e for e in extra]
    result = squall("run", "--output", "agent", str(path), *extra, env=_env(tmp_path))
    assert result.code == 2
    assert "--output agent reports one experiment" in result.stderr
    assert result.stdout == "" and result.journal is None


def test_events_file_is_refused_for_temporal_and_unwritable_paths(
    squall: Any, tmp_path: Path
) -> None:
    path = str(_experiment(tmp_path))
    temporal = squall("run", "--engine", "temporal", "--events-file", "e.jsonl", path)
    assert temporal.code == 2 and "--events-file streams a local run" in temporal.stderr
    missing = tmp_path / "no" / "such" / "dir" / "e.jsonl"
    result = squall("run", "--events-file", str(missing), path, env=_env(tmp_path))
    assert result.code == 2
    assert f"--events-file {missing}: No such file or directory" in result.stderr
    assert result.journal is None  # nothing ran


def test_the_events_control_can_be_declared_like_any_control(squall: Any, tmp_path: Path) -> None:
    """The option adds a built-in control; a settings file or experiment can too."""
    events = tmp_path / "declared.jsonl"
    experiment = json.loads(_experiment(tmp_path).read_text())
    experiment["controls"] = [
        {
            "name": "events",
            "provider": {
                "type": "python",
                "module": "squall.controls.events_file",
                "arguments": {"path": str(events)},
            },
        }
    ]
    path = tmp_path / "declared.json"
    path.write_text(json.dumps(experiment))
    result = squall("run", str(path), env=_env(tmp_path))
    assert result.code == 0, result.stderr
    types = [json.loads(line)["type"] for line in events.read_text().splitlines()]
    assert types[0] == "run-started" and types[-1] == "run-finished"
    assert types.count("activity-completed") == 4  # the probe twice, two actions
    bad = dict(experiment, controls=[{**experiment["controls"][0], "provider": {
        "type": "python", "module": "squall.controls.events_file"}}])  # fmt: skip
    path.write_text(json.dumps(bad))
    refused = squall("validate", str(path), env=_env(tmp_path))
    assert refused.code == 2 and "'path' must name the file" in refused.stderr
