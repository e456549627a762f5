"""``squall schedule``: bad input is exit 2 with a located message, an unreachable
server exit 3, both without a traceback; list/pause/delete against a real dev server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sqharness import EXAMPLES
from temporal import TemporalServer


def _no_traceback(result: Any) -> None:
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--every", "5x"], '--every "5x": expected a duration such as 90s'),
        (["--every", "0s"], '--every "0s": the shortest interval is 1s'),
        (["--cron", "0 25 * * *"], '--cron "0 25 * * *": field 2 (hour) "25": 25 is outside 0-23'),
        (["--cron", "* * *"], "expected 5 fields"),
        (["--cron", "@daily", "--timezone", "Mars/Olympus"], '--timezone "Mars/Olympus"'),
        (["--every", "1h", "--cron", "@daily"], "give exactly one of --every and --cron"),
        (["--every", "1h", "--address", "nope"], '--address: "nope" is not a Temporal address'),
    ],
)
def test_bad_timings_and_options_are_exit_2_before_any_connection(
    squall: Any, args: list[str], message: str
) -> None:
    # port 9 (discard) on loopback: nothing listens; the input is refused before connecting
    result = squall(
        "schedule",
        "add",
        "nightly",
        str(EXAMPLES / "trivial.json"),
        *args,
        env={"SQUALL_TEMPORAL_ADDRESS": "127.0.0.1:9"},
    )
    assert result.code == 2, result.stderr
    assert message in result.stderr
    _no_traceback(result)


def test_a_bad_name_is_exit_2(squall: Any) -> None:
    result = squall("schedule", "add", "no/slash", str(EXAMPLES / "trivial.json"), "--every", "1h")
    assert result.code == 2 and 'schedule name "no/slash"' in result.stderr
    _no_traceback(result)


def test_an_unreachable_server_is_exit_3_with_a_clear_message(squall: Any) -> None:
    result = squall("schedule", "list", "--address", "127.0.0.1:9")
    assert result.code == 3, result.stderr
    assert "cannot reach the Temporal server at 127.0.0.1:9 (from --address)" in result.stderr
    assert "Connection refused" in result.stderr
    _no_traceback(result)


def test_an_unknown_namespace_is_exit_2(squall: Any, temporal_server: TemporalServer) -> None:
    result = squall(
        "schedule",
        "list",
        "--namespace",
        "nowhere",
        env={"SQUALL_TEMPORAL_ADDRESS": temporal_server.address},
    )
    assert result.code == 2, result.stderr
    assert '--namespace: the namespace "nowhere" does not exist' in result.stderr
    _no_traceback(result)


def test_pause_and_delete_of_a_missing_schedule_are_exit_2(
    squall: Any, temporal_server: TemporalServer
) -> None:
    for command in (["pause", "ghost"], ["pause", "ghost", "--unpause"], ["delete", "ghost"]):
        result = squall("schedule", *command, env=temporal_server.env())
        assert result.code == 2, result.stderr
        assert 'no schedule named "ghost"' in result.stderr
        _no_traceback(result)


def test_list_shows_a_schedule_squall_did_not_make(
    squall: Any, temporal_server: TemporalServer
) -> None:
    made = temporal_server.cli(
        "schedule",
        "create",
        "--schedule-id",
        "foreign",
        "--interval",
        "1h",
        "--workflow-id",
        "foreign",
        "--task-queue",
        "elsewhere",
        "--type",
        "other",
    )
    assert made.returncode == 0, made.stderr
    started = ""
    try:
        # a fire of it: its workflow is not squall's, so no outcome is read from it
        assert (
            temporal_server.cli("schedule", "trigger", "--schedule-id", "foreign").returncode == 0
        )
        for _ in range(100):
            result = squall("schedule", "list", "--json", env=temporal_server.env())
            assert result.code == 0, result.stderr
            (entry,) = [s for s in json.loads(result.stdout) if s["name"] == "foreign"]
            if entry["last_run_id"]:
                break
        started = entry["last_run_id"]
        assert started.startswith("foreign-") and entry["last_outcome"] is None
        assert entry["squall"] is False and entry["timing"] == "every 1h"
        assert entry["task_queue"] == "elsewhere" and entry["state"] == "active"
        paused = squall("schedule", "pause", "foreign", env=temporal_server.env())
        assert paused.code == 0, paused.stderr
        table = squall("schedule", "list", env=temporal_server.env())
        line = next(ln for ln in table.stdout.splitlines() if ln.startswith("foreign "))
        assert " paused " in line and "(not squall's)" in line
    finally:
        temporal_server.cli("schedule", "delete", "--schedule-id", "foreign")
        if started:
            temporal_server.cli("workflow", "terminate", "--workflow-id", started)


def _stored_payloads(server: TemporalServer, name: str) -> tuple[str, bytes]:
    """What Temporal stores for the schedule: its raw description, and every payload's
    data decoded from the base64 the CLI prints."""
    import base64

    described = server.cli("schedule", "describe", "--schedule-id", name, "-o", "json")
    assert described.returncode == 0, described.stderr
    found: list[bytes] = []
    stack: list[Any] = [json.loads(described.stdout)]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("data"), str):
                found.append(base64.b64decode(node["data"]))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return described.stdout, b"\n".join(found)


def test_secrets_reach_temporal_only_encrypted(
    squall: Any, temporal_server: TemporalServer, tmp_path: Any
) -> None:
    """Inline and --var-file secrets: refused without a payload key (nothing created);
    with one, neither the stored action nor the memo holds them, in clear or in base64."""
    import base64
    import os as _os

    inline, given = "s3cr3t-t0ken-42", "canary-var-file-Zq81"
    var_file = tmp_path / "secrets.json"
    var_file.write_text(json.dumps({"secrets": {"deploy": {"api_token": given}}}))
    experiment = str(Path(__file__).parents[2] / "docs" / "examples" / "masked-secrets.json")
    args = (
        "schedule",
        "add",
        "with-secrets",
        experiment,
        "--every",
        "1h",
        "--var-file",
        str(var_file),
    )

    refused = squall(*args, env=temporal_server.env())
    assert refused.code == 2, refused.stderr
    assert "in clear" in refused.stderr and given not in refused.stderr
    listed = temporal_server.cli("schedule", "list", "-o", "json")
    assert "with-secrets" not in listed.stdout

    key = base64.b64encode(_os.urandom(32)).decode()
    added = squall(*args, env={**temporal_server.env(), "SQUALL_TEMPORAL_KEY": key})
    assert added.code == 0, added.stderr
    try:
        raw, decoded = _stored_payloads(temporal_server, "with-secrets")
        for secret in (inline, given):
            assert secret not in raw and secret.encode() not in decoded
        assert b"deploy" not in decoded and b"masked-secrets" not in decoded
        # the memo reads back with the key, and without it the listing still works
        for env, shown in (
            ({"SQUALL_TEMPORAL_KEY": key}, experiment),
            ({}, "(encrypted with a key not configured here)"),
        ):
            listed = squall("schedule", "list", "--json", env={**temporal_server.env(), **env})
            assert listed.code == 0, listed.stderr
            (entry,) = [s for s in json.loads(listed.stdout) if s["name"] == "with-secrets"]
            assert entry["experiment"] == shown
    finally:
        assert squall("schedule", "delete", "with-secrets", env=temporal_server.env()).code == 0


def test_the_payload_check_can_fail_unencrypted_values_are_seen(
    squall: Any, temporal_server: TemporalServer
) -> None:
    """The control for the test above: without a key, a --var value is in the stored
    payloads (the decoding finds what is there)."""
    canary = "canary-config-value-77"
    added = squall(
        "schedule", "add", "in-clear", str(EXAMPLES / "trivial.json"), "--every", "1h",
        "--var", f"marker={canary}", env=temporal_server.env(),
    )  # fmt: skip
    assert added.code == 0, added.stderr
    try:
        raw, decoded = _stored_payloads(temporal_server, "in-clear")
        assert canary not in raw and canary.encode() in decoded
    finally:
        assert squall("schedule", "delete", "in-clear", env=temporal_server.env()).code == 0


def test_add_checks_the_format_here_and_leaves_imports_to_the_workers(
    squall: Any, temporal_server: TemporalServer, tmp_path: Path
) -> None:
    """As `run --engine temporal`: a malformed experiment is exit 2 with its located
    problems (nothing created); a python provider only the workers can import is fine."""
    broken = tmp_path / "broken.json"
    broken.write_text(
        '{\n  "title": "t",\n  "description": "d",\n  "method": [{"type": "action"}]\n}\n'
    )
    refused = squall(
        "schedule", "add", "broken", str(broken), "--every", "1h", env=temporal_server.env()
    )
    assert refused.code == 2, refused.stderr
    assert f"{broken}:4" in refused.stderr  # located: file and line
    assert "broken" not in temporal_server.cli("schedule", "list", "-o", "json").stdout
    remote = tmp_path / "remote.json"
    remote.write_text(
        json.dumps(
            {
                "title": "t",
                "description": "d",
                "method": [
                    {
                        "type": "action",
                        "name": "on-the-worker",
                        "provider": {"type": "python", "module": "only_on_workers", "func": "f"},
                    }
                ],
            }
        )
    )
    added = squall(
        "schedule", "add", "remote", str(remote), "--every", "1h", env=temporal_server.env()
    )
    assert added.code == 0, added.stderr
    assert squall("schedule", "delete", "remote", env=temporal_server.env()).code == 0
