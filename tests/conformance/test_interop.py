"""Where squall and the Chaos Toolkit meet: `chaos report` renders squall's journals, and
`chaos run` accepts every experiment `squall init` writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import suite
import yaml

pytestmark = pytest.mark.conformance

# journals of varied shapes: deviated, not run, failed and raising activities, background,
# http and process outputs, interrupted runs (no status on the reference's entries), dry
REPORTED = [
    "trivial",
    "trivial-yaml",
    "deviated",
    "gate-not-met",
    "method-action-raises",
    "rollback-raises",
    "background",
    "http-methods",
    "process-outputs",
    "refs",
    "config-inline",
    "dry-base--activities",
    "hs-periodic--continuously",
    "tol-jsonpath-match",
    "sig-python--int-group",
    "sig-python--usr2",
    "ctl-interrupt-before-activity",
    "addon-safeguard-trips",
]


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, CONF_HTTP="http://127.0.0.1:9", CONF_WORK=str(tmp_path))
    env["PYTHONPATH"] = str(suite.EXPERIMENTS)
    return env


def _chaos(
    venv: Path, *args: str, env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / "chaos"), "--no-version-check", "--no-log-file", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def test_chaos_report_renders_squall_journals(
    conformance: Any, ctk_report_venv: Path, tmp_path: Path
) -> None:
    run, _, _ = conformance
    paths, titles = [], []
    for case in REPORTED:
        journal = run.squall[case]["journal"]
        assert journal is not None and "squall" in journal, case
        path = tmp_path / f"{case}.json"
        path.write_text(json.dumps(journal))
        paths.append(str(path))
        titles.append(journal["experiment"]["title"])
    report = tmp_path / "report.md"
    done = _chaos(
        ctk_report_venv,
        "report",
        "--export-format=markdown",
        *paths,
        str(report),
        env=_env(tmp_path),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    text = report.read_text()
    assert text.count("### Result") == len(REPORTED)
    for title in titles:
        assert f"## {title}" in text, title
    # the run entries are rendered with their status, output and exception
    assert "succeeded" in text and "failed" in text
    assert "RuntimeError: fails failed" in text
    assert f"{len(REPORTED)} experiments" in text or "Chaos Engineering Report" in text


# a driver as the Chaos Toolkit's extension template lays it out: actions and probes
DRIVER = {
    "confdrv/__init__.py": '"""A small driver for the init interop test."""\n',
    "confdrv/actions.py": (
        "from confhelpers import mark\n\n__all__ = ['mark', 'add']\n\n\n"
        'def add(a: int, b: int = 1) -> int:\n    """Return a + b."""\n    return a + b\n'
    ),
    "confdrv/probes.py": "from confhelpers import count_calls, echo\n\n__all__ = ['echo', 'count_calls']\n",
}

ANSWERS = [
    {
        "title": "init writes what chaos runs (JSON)",
        "description": "built by squall init from a discovery of confdrv",
        "hypothesis": {
            "title": "echo holds",
            "probes": [{"activity": "echo", "arguments": {"value": "up"}, "tolerance": "up"}],
        },
        "method": [
            {"activity": "add", "arguments": {"a": 2, "b": 3}, "pauses": {"after": 0}},
            {"activity": "mark", "arguments": {"name": "injected"}},
        ],
        "rollbacks": [{"activity": "mark", "arguments": {"name": "rolled-back"}}],
    },
    {
        "title": "init, method only",
        "method": [{"activity": "count_calls", "arguments": {"name": "n"}}],
    },
]


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
@pytest.mark.parametrize("number", range(len(ANSWERS)))
def test_chaos_runs_what_squall_init_writes(
    ctk_venv: Path, tmp_path: Path, number: int, suffix: str
) -> None:
    env = _env(tmp_path)
    for name, text in DRIVER.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env["PYTHONPATH"]])
    squall = [sys.executable, "-m", "squall", "--no-log-file"]

    def sq(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*squall, *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
            check=False,
        )

    done = sq("discover", "--no-system-info", "confdrv")
    assert done.returncode == 0, done.stderr
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump(ANSWERS[number]))
    experiment = tmp_path / f"experiment{suffix}"
    done = sq("init", "--answers", str(answers), "--experiment-path", str(experiment))
    assert done.returncode == 0, done.stdout + done.stderr
    checked = _chaos(ctk_venv, "validate", str(experiment), env=env, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr[-2000:]
    journal = tmp_path / "journal.json"
    ran = _chaos(
        ctk_venv, "run", "--journal-path", str(journal), str(experiment), env=env, cwd=tmp_path
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    result = json.loads(journal.read_text())
    assert result["status"] == "completed" and result["deviated"] is False
    assert [e["status"] for e in result["run"]] == ["succeeded"] * len(ANSWERS[number]["method"])
    ours = sq("run", "--journal-path", str(tmp_path / "squall.json"), str(experiment))
    assert ours.returncode == 0, ours.stderr
