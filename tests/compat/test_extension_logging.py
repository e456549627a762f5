"""What a Chaos Toolkit extension logs (through logzero's ``logger`` or chaoslib's
``chaostoolkit`` logger) goes through squall's console and ``--log-file``, masked:
warnings on the console, everything with ``-v`` and in the log file. With the real
logzero (installed with chaostoolkit-lib, as in this venv) its own console handler,
which showed every level in its own format, is replaced.
(tests/compat/test_without_chaoslib.py checks the same with squall's stand-in.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

TOKEN = "canary-3f9e2b7a10"
DRIVER = """
import logging
from logzero import logger

modern = logging.getLogger("chaostoolkit")

def leak(secrets=None):
    logger.debug("debug: token is %s", secrets["token"])
    logger.info("info: token is %s", secrets["token"])
    logger.warning("warning: token is %s", secrets["token"])
    modern.warning("modern warning: token is %s", secrets["token"])
    return True
"""


@pytest.fixture
def experiment(tmp_path: Path) -> Path:
    pytest.importorskip("logzero")  # the dev extra installs chaostoolkit-lib and logzero
    (tmp_path / "leakdrv.py").write_text(DRIVER)
    path = tmp_path / "leak.json"
    provider = {"type": "python", "module": "leakdrv", "func": "leak", "secrets": ["s"]}
    path.write_text(
        json.dumps(
            {
                "title": "t",
                "description": "d",
                "secrets": {"s": {"token": {"type": "env", "key": "LEAK_TOKEN"}}},
                "method": [{"type": "action", "name": "leak", "provider": provider}],
            }
        )
    )
    return path


def _env(tmp_path: Path) -> dict[str, str]:
    return {"LEAK_TOKEN": TOKEN, "PYTHONPATH": str(tmp_path)}


def test_warnings_on_the_console_everything_in_the_log_file(
    squall: Any, tmp_path: Path, experiment: Path
) -> None:
    log = tmp_path / "run.log"
    result = squall("--log-file", str(log), "run", str(experiment), env=_env(tmp_path))
    assert result.code == 0, result.stderr
    shown = [line for line in result.stderr.splitlines() if "token is" in line]
    assert shown == [
        "squall: WARNING: warning: token is ***",
        "squall: WARNING: modern warning: token is ***",
    ]
    kept = log.read_text()
    for level, text in [("DEBUG", "debug"), ("INFO", "info"), ("WARNING", "warning")]:
        assert f"{level}] [leakdrv:" in kept and f"{text}: token is ***" in kept
    assert TOKEN not in kept + result.stderr + result.stdout


def test_verbose_shows_every_level_once(squall: Any, tmp_path: Path, experiment: Path) -> None:
    result = squall("-v", "run", str(experiment), env=_env(tmp_path))
    assert result.code == 0, result.stderr
    shown = [line for line in result.stderr.splitlines() if "token is" in line]
    assert shown == [
        "squall: DEBUG: debug: token is ***",
        "squall: INFO: info: token is ***",
        "squall: WARNING: warning: token is ***",
        "squall: WARNING: modern warning: token is ***",
    ]


def test_a_record_whose_arguments_do_not_fit_its_format_fails_nothing(
    squall: Any, tmp_path: Path, experiment: Path
) -> None:
    """Found: squall's masking filter formatted the record in the driver's call, so a
    driver's ``logger.warning("%d", token)`` failed its activity (a rollback too) with
    squall's filter in the traceback; the Chaos Toolkit goes on. Now the line is shown
    unformatted, masked."""
    (tmp_path / "leakdrv.py").write_text(
        DRIVER.replace('"modern warning: token is %s"', '"modern warning: %d tokens"')
    )
    log = tmp_path / "run.log"
    result = squall("--log-file", str(log), "run", str(experiment), env=_env(tmp_path))
    assert result.code == 0, result.stderr
    said = "squall: WARNING: modern warning: %d tokens ('***',) (not formatted: TypeError:"
    assert said in result.stderr, result.stderr
    assert "modern warning: %d tokens ('***',)" in log.read_text()
    assert "Traceback" not in result.stderr and "Logging error" not in result.stderr
    assert TOKEN not in log.read_text() + result.stderr + result.stdout
