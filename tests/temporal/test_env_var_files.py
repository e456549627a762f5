"""A ``.env`` var file sets the command line's environment, which a Temporal run's
activities (on workers) never see: ``run --engine temporal`` and ``schedule add`` refuse
it before connecting (exit 2, naming the file), rather than run without it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from sqharness import ROOT, subprocess_env
from sqworker import squall_cli

#: nothing listens there: a refusal must come before any connection (which would be exit 3)
NOWHERE = "127.0.0.1:9"


@pytest.mark.parametrize(
    "command",
    [["run", "--engine", "temporal"], ["schedule", "add", "nightly", "--every", "1h"]],
    ids=["run", "schedule-add"],
)
def test_a_dotenv_var_file_is_refused_before_connecting(tmp_path: Path, command: list[str]) -> None:
    dotenv = tmp_path / "vars.env"
    dotenv.write_text("CONF_WHO=dotenv\n")
    done = subprocess.run(
        [*squall_cli(), *command, "--var-file", str(dotenv), str(ROOT / "examples" / "basics" / "hello.json")],
        env=subprocess_env(SQUALL_TEMPORAL_ADDRESS=NOWHERE),
        capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert f"{dotenv}: a .env file sets this process's environment" in done.stderr
    assert "give that environment to the worker" in done.stderr
    assert "Traceback" not in done.stderr
