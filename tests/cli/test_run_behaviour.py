"""The reference's behaviour table (chaos-toolkit-measured.md section 5), through the real
``squall`` command in a subprocess: exit code, journal status, which activities ran."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from sqharness import EXAMPLES


def statuses(entries: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["activity"]["name"], e["status"]) for e in entries]


def test_trivial_json_and_yaml_hold(squall: Any) -> None:
    for name in ("trivial.json", "trivial.yaml"):
        result = squall("run", str(EXAMPLES / name))
        assert result.code == 0, result.stderr
        assert result.journal["status"] == "completed"
        assert result.journal["deviated"] is False
        assert result.journal["steady_states"]["before"]["steady_state_met"] is True
        assert result.journal["steady_states"]["after"]["steady_state_met"] is True
        assert statuses(result.journal["run"]) == [("get-pid", "succeeded")]
        assert result.journal["squall"]["outcome"] == "held"
        assert "HELD (exit 0)" in result.stderr


def test_journal_keys_are_the_reference_keys_in_order(squall: Any) -> None:
    journal = squall("run", str(EXAMPLES / "trivial.json")).journal
    assert list(journal) == [
        "chaoslib-version",
        "platform",
        "node",
        "experiment",
        "start",
        "status",
        "deviated",
        "steady_states",
        "run",
        "rollbacks",
        "end",
        "duration",
        "squall",
    ]
    entry = journal["run"][0]
    assert list(entry) == ["activity", "output", "start", "status", "end", "duration"]
    assert journal["experiment"]["dry"] is None
    assert journal["duration"] >= 0


def test_deviation_exits_1_and_plays_rollbacks(squall: Any, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    result = squall("run", str(EXAMPLES / "deviated.json"), "--var", f"marker={marker}")
    assert result.code == 1, result.stderr
    journal = result.journal
    assert journal["status"] == "completed" and journal["deviated"] is True
    assert statuses(journal["rollbacks"]) == [("remove-marker", "succeeded")]
    assert not marker.exists(), "the rollback removed the marker"
    assert "DEVIATED (exit 1)" in result.stderr
    assert "marker-absent" in result.stderr and "expected false, got true" in result.stderr


def test_gate_not_met_exits_4_and_injects_nothing(squall: Any) -> None:
    result = squall("run", str(EXAMPLES / "gate-not-met.json"))
    assert result.code == 4, result.stderr
    journal = result.journal
    assert journal["status"] == "completed" and journal["deviated"] is False
    assert journal["run"] == [] and journal["steady_states"]["after"] is None
    assert journal["rollbacks"] == [], "nothing was injected, so nothing is rolled back"
    assert "NOT RUN (exit 4)" in result.stderr and "missing-exists" in result.stderr


def test_hypothesis_probe_raising_is_failed_and_not_run(squall: Any) -> None:
    result = squall("run", str(EXAMPLES / "failed-probe.json"))
    assert result.code == 4
    journal = result.journal
    assert journal["status"] == "failed"
    probe = journal["steady_states"]["before"]["probes"][0]
    assert probe["status"] == "failed" and probe["tolerance_met"] is False
    assert any("FileNotFoundError" in line for line in probe["exception"])
    assert journal["run"] == []


def test_failing_action_is_broken_but_the_method_goes_on(squall: Any) -> None:
    result = squall("run", str(EXAMPLES / "action-fails.yaml"))
    assert result.code == 3, result.stderr
    journal = result.journal
    assert journal["status"] == "completed"
    assert statuses(journal["run"]) == [("explode", "failed"), ("after-explosion", "succeeded")]
    assert statuses(journal["rollbacks"]) == [("rollback-true", "succeeded")]
    assert "RuntimeError: kaboom" in "".join(journal["run"][0]["exception"])
    assert "BROKEN (exit 3)" in result.stderr and "explode" in result.stderr


def test_every_provider_enforces_the_activity_timeout(squall: Any, http_server: Any) -> None:
    started = time.monotonic()
    result = squall(
        "run", str(EXAMPLES / "timeouts.json"), "--var", f"slow_url={http_server.url}/slow?s=3"
    )
    elapsed = time.monotonic() - started
    assert result.code == 3, result.stderr
    runs = result.journal["run"]
    assert statuses(runs) == [
        ("python-sleeps", "failed"),
        ("process-sleeps", "failed"),
        ("http-slow", "failed"),
        ("still-runs", "succeeded"),
    ]
    for entry in runs[:3]:
        assert entry["duration"] < 1.5
        assert "ActivityTimeout" in "".join(entry["exception"])
    assert elapsed < 10


def test_missing_module_is_a_clear_error_with_its_place(squall: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"title": "t", "description": "d", "method": [\n'
        '  {"type": "action", "name": "nope",\n'
        '   "provider": {"type": "python", "module": "no_such_module_xyz", "func": "f"}}]}'
    )
    result = squall("run", str(bad))
    assert result.code == 2
    assert result.journal is None
    assert "Traceback" not in result.stderr
    assert f"{bad}:3:" in result.stderr and "/method/0/provider/module" in result.stderr
    assert "no_such_module_xyz" in result.stderr and "interpreter" in result.stderr


def test_missing_module_without_validation_fails_the_activity(squall: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"title": "t", "description": "d", "steady-state-hypothesis": {"title": "h", "probes": ['
        '{"type": "probe", "name": "p", "tolerance": true,'
        ' "provider": {"type": "python", "module": "no_such_module_xyz", "func": "f"}}]},'
        ' "method": []}'
    )
    result = squall("run", "--no-validation", str(bad))
    assert result.code == 4, result.stderr
    assert "Traceback" not in result.stderr
    probe = result.journal["steady_states"]["before"]["probes"][0]
    assert probe["status"] == "failed"


def test_unknown_provider_never_succeeds_without_validation(squall: Any) -> None:
    result = squall("run", "--no-validation", str(EXAMPLES / "unknown-provider.json"))
    assert result.code == 3
    assert statuses(result.journal["run"]) == [("ftp-thing", "failed")]
    with_validation = squall("run", str(EXAMPLES / "unknown-provider.json"))
    assert with_validation.code == 2 and 'unknown provider type "ftp"' in with_validation.stderr


def test_builtin_without_signature_validates_and_runs(squall: Any) -> None:
    assert squall("validate", str(EXAMPLES / "builtin-no-signature.json")).code == 0
    result = squall("run", str(EXAMPLES / "builtin-no-signature.json"))
    assert result.code == 0, result.stderr
    assert isinstance(result.journal["run"][0]["output"], float)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ('{"description": "d", "method": []}', 'requires "title"'),
        ('{"title": "t", "description": "d"}', 'requires a "method"'),
        (
            '{"title": "t", "description": "d", "method": [{"type": "actoin", "name": "x",'
            ' "provider": {"type": "python", "module": "os", "func": "getpid"}}]}',
            'unknown activity type "actoin"',
        ),
        (
            '{"title": "t", "description": "d", "method": [{"type": "action", "name": "x",'
            ' "provider": {"type": "process", "path": "/nonexistent/bin/x"}}]}',
            "not found",
        ),
        (
            '{"title": "t", "description": "d", "method": [{"type": "action", "name": "x",'
            ' "provider": {"type": "python", "module": "os.path", "func": "exists",'
            ' "arguments": {"bogus": 1}}}]}',
            'has no argument "bogus"',
        ),
    ],
    ids=["no-title", "no-method", "bad-activity-type", "missing-process-path", "bad-argument"],
)
def test_invalid_experiments_exit_2_with_a_located_message(
    squall: Any, tmp_path: Path, body: str, needle: str
) -> None:
    path = tmp_path / "exp.json"
    path.write_text(body)
    for command in ("run", "validate"):
        result = squall(command, str(path))
        assert result.code == 2, result.stderr
        assert needle in result.stderr
        assert f"{path}:1:" in result.stderr
        assert "Traceback" not in result.stderr
        assert result.journal is None


def test_every_problem_is_reported_at_once(squall: Any, tmp_path: Path) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text(
        "description: d\n"
        "method:\n"
        "  - type: action\n"
        "    provider: {type: python, module: os}\n"
        "  - type: probe\n"
        "    name: p\n"
        "    timeout: soon\n"
        "    provider: {type: process, path: 'true'}\n"
    )
    result = squall("validate", str(path))
    assert result.code == 2
    assert "4 problems" in result.stderr
    assert f'{path}:1:1 at /: an experiment requires "title"' in result.stderr
    assert f'{path}:3:5 at /method/0: an activity requires "name"' in result.stderr
    assert f'{path}:4:15 at /method/0/provider: a python provider requires "func"' in result.stderr
    assert f"{path}:7:14 at /method/1/timeout" in result.stderr


def test_malformed_yaml_and_missing_file(squall: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("title: 'unterminated\ndescription: d\n")
    result = squall("run", str(path))
    assert result.code == 2 and f"{path}:3:1" in result.stderr and "Traceback" not in result.stderr
    missing = squall("run", str(tmp_path / "nope.json"))
    assert missing.code == 2 and "experiment file not found" in missing.stderr


def test_unsafe_yaml_tags_are_rejected(squall: Any, tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text(
        "title: !!python/object/apply:os.system ['touch pwned']\ndescription: d\nmethod: []\n"
    )
    result = squall("run", str(path))
    assert result.code == 2 and "only plain YAML" in result.stderr
    assert not (tmp_path / "pwned").exists()


def test_process_non_zero_exit_is_recorded_not_failed(squall: Any, tmp_path: Path) -> None:
    path = tmp_path / "exp.json"
    path.write_text(
        '{"title": "t", "description": "d", "method": [{"type": "action", "name": "false",'
        ' "provider": {"type": "process", "path": "false"}}]}'
    )
    result = squall("run", str(path))
    assert result.code == 0
    assert result.journal["run"][0]["status"] == "succeeded"
    assert result.journal["run"][0]["output"]["status"] == 1
    assert "exited with code 1" in result.stderr


def test_dry_activities_runs_nothing(squall: Any, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    result = squall(
        "run", "--dry", "activities", str(EXAMPLES / "deviated.json"), "--var", f"marker={marker}"
    )
    assert result.code == 0
    assert result.journal["experiment"]["dry"] == "activities"
    assert [e["output"] for e in result.journal["run"]] == [None]
    assert not marker.exists()


def test_stdout_stays_empty_in_text_mode(squall: Any) -> None:
    result = squall("run", str(EXAMPLES / "trivial.json"))
    assert result.stdout == ""


def test_a_probe_tolerance_gets_value_injected_at_validation_too(
    squall: Any, tmp_path: Path
) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text(
        "title: t\ndescription: d\nmethod: []\nsteady-state-hypothesis:\n  title: h\n  probes:\n"
        "    - type: probe\n      name: n\n"
        "      provider: {type: python, module: sqtest, func: echo, arguments: {value: 5}}\n"
        "      tolerance: {type: probe, name: above, provider: {type: python, module: sqtest,"
        " func: above, arguments: {threshold: 3}}}\n"
    )
    assert squall("validate", str(path)).code == 0
    result = squall("run", str(path))
    assert result.code == 0, result.stderr
    path.write_text(path.read_text().replace("threshold: 3", "threshold: 9"))
    assert squall("run", str(path)).code == 4


def test_sys_exit_in_an_activity_fails_it_and_the_run_goes_on(squall: Any, tmp_path: Path) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text(
        "title: t\ndescription: d\nmethod:\n"
        "  - {type: action, name: quits, provider: {type: python, module: sqtest, func: exit_now, arguments: {code: 0}}}\n"
        "  - {type: action, name: next, provider: {type: python, module: os, func: getpid}}\n"
    )
    result = squall("run", str(path))
    assert result.code == 3, result.stderr
    assert statuses(result.journal["run"]) == [("quits", "failed"), ("next", "succeeded")]
    assert "SystemExit" in result.journal["run"][0]["exception"][-1]


def test_console_shows_the_substituted_title_and_missed_tolerances(
    squall: Any, tmp_path: Path
) -> None:
    result = squall(
        "run",
        str(EXAMPLES / "config-secrets.yaml"),
        "--var",
        "overridden=nope",
        env={"SQUALL_TEST_TOKEN": "twelve-chars"},
    )
    assert 'running "configuration hello and secrets"' in result.stderr
    assert "MISS before   probe  override-wins" in result.stderr
    assert 'expected "from-cli", got "nope"' in result.stderr


def test_an_unwritable_journal_location_is_refused_before_anything_runs(
    squall: Any, tmp_path: Path
) -> None:
    marker = tmp_path / "m"
    result = squall(
        "run",
        "--journal-path",
        "/proc/no-such-dir/j.json",
        str(EXAMPLES / "deviated.json"),
        "--var",
        f"marker={marker}",
    )
    assert result.code == 2
    assert "cannot write the journal in /proc/no-such-dir" in result.stderr
    assert "Traceback" not in result.stderr
    assert not marker.exists(), "nothing was injected"


def test_a_journal_that_cannot_be_written_at_the_end_keeps_the_event_stream(tmp_path: Path) -> None:
    from squall import run_experiment
    from squall.engine import RunOptions

    target = tmp_path / "journal.json"
    target.mkdir()  # writing the journal over a directory fails; the event stream does not
    journal = run_experiment(EXAMPLES / "trivial.json", run_options=RunOptions(journal_path=target))
    assert journal.outcome.value == "broken", "a run without its journal must not pass"
    assert "could not be written" in journal.reasons[0]
    from squall.journal.recovery import stream_path

    assert os.path.exists(stream_path(journal.run_id))


@pytest.mark.parametrize("example", ["trivial.json", "deviated.json"])
def test_a_journal_written_to_a_full_device_breaks_the_run(
    squall: Any, tmp_path: Path, example: str
) -> None:
    """/dev/full accepts the open and fails the write (ENOSPC): a CI step must not pass
    (exit 0) or report a mere deviation (exit 1) without its journal."""
    result = squall(
        "run",
        "--journal-path",
        "/dev/full",
        str(EXAMPLES / example),
        "--var",
        f"marker={tmp_path / 'm'}",
    )
    assert result.code == 3, result.stderr
    assert "BROKEN (exit 3): the journal could not be written" in result.stderr
    assert "No space left on device" in result.stderr
    assert "Traceback" not in result.stderr
