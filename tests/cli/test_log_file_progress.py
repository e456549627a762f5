"""``squall --log-file FILE run``: the file keeps the run's story (the progress lines
and the verdict, at INFO), as ``chaos --log-file`` does, masked; the console is
unchanged (never twice, not even with ``-v``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqharness import EXAMPLES

CANARY = "canary-51c0ffee"


def _secret_experiment(tmp_path: Path) -> Path:
    experiment = {
        "title": "prints its secret",
        "description": "d",
        "secrets": {"s": {"token": {"type": "env", "key": "LOGGED_TOKEN"}}},
        "method": [
            {
                "type": "action",
                "name": "stat-it",
                "provider": {
                    "type": "python",
                    "module": "os",
                    "func": "stat",
                    "arguments": {"path": "/nonexistent/${token}"},
                    "secrets": ["s"],
                },
            }
        ],
    }
    path = tmp_path / "secret.json"
    path.write_text(json.dumps(experiment))
    return path


def test_the_log_file_keeps_the_progress_and_the_verdict(squall: Any, tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    result = squall("--log-file", str(log), "run", str(EXAMPLES / "trivial.json"))
    assert result.code == 0, result.stderr
    kept = log.read_text().splitlines()
    assert any("INFO] [console:" in line and "squall: running" in line for line in kept)
    assert any("ok method   action get-pid" in line for line in kept)
    assert any("squall: HELD (exit 0)" in line for line in kept)
    assert "INFO" not in result.stderr  # the console shows its lines once, as before


def test_verbose_does_not_show_progress_twice(squall: Any, tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    result = squall("-v", "--log-file", str(log), "run", str(EXAMPLES / "trivial.json"))
    assert result.code == 0, result.stderr
    assert result.stderr.count("squall: running") == 1
    assert result.stderr.count("HELD (exit 0)") == 1


def test_json_console_lines_are_kept_as_json_and_secrets_are_masked(
    squall: Any, tmp_path: Path
) -> None:
    log = tmp_path / "run.log"
    result = squall(
        "--log-file", str(log), "--log-format", "json", "run", str(_secret_experiment(tmp_path)),
        env={"LOGGED_TOKEN": CANARY},
    )  # fmt: skip
    assert result.code == 3, result.stderr  # the action fails, naming the path: broken
    kept = log.read_text()
    assert "/nonexistent/***" in kept
    assert '"event": "verdict"' in kept and '"outcome": "broken"' in kept
    assert CANARY not in kept + result.stderr


def test_quiet_keeps_the_console_short_and_the_log_file_whole(squall: Any, tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    result = squall("--log-file", str(log), "run", "-q", str(EXAMPLES / "trivial.json"))
    assert result.code == 0, result.stderr
    assert "squall: running" not in result.stderr and "get-pid" not in result.stderr
    kept = log.read_text()
    assert "squall: running" in kept and "ok method   action get-pid" in kept


def test_bad_input_is_in_the_log_file_too(squall: Any, tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"title": "no method", "description": "d"}))
    invalid = squall("--log-file", str(log), "run", str(bad))
    assert invalid.code == 2
    missing = squall("--log-file", str(log), "run", str(tmp_path / "missing.json"))
    assert missing.code == 2
    kept = log.read_text()
    assert "ERROR] " in kept and 'an experiment requires a "method"' in kept
    assert "squall: error: experiment file not found" in kept
