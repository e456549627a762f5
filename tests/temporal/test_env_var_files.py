"""A ``.env`` var file for a run on Temporal (squall.temporal.dotenv): the command line
reads it (its own environment unchanged) and hands the values the experiment's
``type: env`` configuration and secrets read to the run, encrypted: without a payload
key it is refused before connecting (exit 2); with one the run's worker, whose
environment lacks the variables, resolves them from the file, and the values are not
in Temporal's history in clear (the conformance corpus's vars-env-file case compares
both engines: test_corpus_parity.py)."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from sqengine import Bed
from sqharness import subprocess_env
from sqmarks import queue_name
from sqworker import squall_cli

#: nothing listens there: a refusal must come before any connection (which would be exit 3)
NOWHERE = "127.0.0.1:9"
KEY = base64.b64encode(bytes(range(1, 33))).decode()
CANARY = "dotenv-canary-3f9a1c77e2"
CONFIG_CANARY = "dotenv-config-8b2d4e19aa"


def _experiment(path: Path) -> Path:
    """Reads CONF_WHO (configuration, an int) and CONF_TOKEN (a secret) from the env."""
    document = {
        "title": "dotenv on Temporal",
        "description": "configuration and a secret from a .env var file",
        "configuration": {
            "who": {"type": "env", "key": "CONF_WHO"},
            "port": {"type": "env", "key": "CONF_PORT", "env_var_type": "int"},
        },
        "secrets": {"api": {"token": {"type": "env", "key": "CONF_TOKEN"}}},
        "method": [
            {"type": "probe", "name": "who", "provider": {
                "type": "python", "module": "confhelpers", "func": "echo",
                "arguments": {"value": "${who}:${port}"}}},
            {"type": "probe", "name": "token-length", "provider": {
                "type": "python", "module": "confhelpers", "func": "secret_value",
                "secrets": ["api"], "arguments": {"name": "token"}}},
        ],
    }  # fmt: skip
    path.write_text(json.dumps(document))
    return path


def _dotenv(path: Path) -> Path:
    path.write_text(
        f"# the team's variables\nCONF_WHO={CONFIG_CANARY}\nexport CONF_PORT=8443\n"
        f"CONF_TOKEN='{CANARY}'\nUNUSED=whatever\n"
    )
    return path


@pytest.mark.parametrize(
    "command",
    [["run", "--engine", "temporal"], ["schedule", "add", "nightly", "--every", "1h"]],
    ids=["run", "schedule-add"],
)
def test_a_dotenv_var_file_without_a_payload_key_is_refused_before_connecting(
    tmp_path: Path, command: list[str]
) -> None:
    dotenv = _dotenv(tmp_path / "vars.env")
    done = subprocess.run(
        [*squall_cli(), *command, "--var-file", str(dotenv), str(_experiment(tmp_path / "e.json"))],
        env=subprocess_env(SQUALL_TEMPORAL_ADDRESS=NOWHERE),
        capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "who, port, api.token would be read from the .env file" in done.stderr
    assert "in clear: set a payload key" in done.stderr
    assert CANARY not in done.stderr and "Traceback" not in done.stderr


def test_a_malformed_dotenv_line_is_located(tmp_path: Path) -> None:
    dotenv = tmp_path / "vars.env"
    dotenv.write_text("CONF_WHO=x\nno equals sign here\n")
    done = subprocess.run(
        [*squall_cli(), "run", "--engine", "temporal", "--var-file", str(dotenv),
         str(_experiment(tmp_path / "e.json"))],
        env=subprocess_env(SQUALL_TEMPORAL_ADDRESS=NOWHERE, SQUALL_TEMPORAL_KEY=KEY),
        capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert f"{dotenv}:2: expected KEY=VALUE" in done.stderr


@pytest.mark.slow
def test_the_worker_resolves_the_run_s_env_entries_from_the_file_never_in_clear(
    bed: Bed, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    queue = queue_name(request)
    with bed.worker(queue, SQUALL_TEMPORAL_KEY=KEY):  # its environment has no CONF_*
        journal = tmp_path / "journal.json"
        done = bed.squall(
            "run", "--engine", "temporal", "--task-queue", queue, "--journal-path",
            str(journal), "--var-file", str(_dotenv(tmp_path / "vars.env")),
            str(_experiment(tmp_path / "e.json")), SQUALL_TEMPORAL_KEY=KEY,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads(journal.read_text())
    outputs = {e["activity"]["name"]: e["output"] for e in document["run"]}
    assert outputs["who"] == f"{CONFIG_CANARY}:8443"  # converted by its env_var_type
    assert outputs["token-length"] == "***"  # the secret reached the activity, masked
    assert CANARY not in journal.read_text() + done.stderr + done.stdout
    history = bed.history_text(document["squall"]["run_id"])
    assert document["squall"]["run_id"] in history  # the history is the run's
    assert CANARY not in history and CONFIG_CANARY not in history
    assert "whatever" not in history  # the file's other variables stay here
