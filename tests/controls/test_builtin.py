"""squall's own controls (squall.controls.*) run through the real ``squall`` CLI, declared
in experiments exactly as a third-party control would be."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from sqharness import EXAMPLES, LocalServer

CONTROLS = EXAMPLES / "controls"


def names(entries: list[dict[str, Any]]) -> list[str]:
    return [entry["activity"]["name"] for entry in entries]


def test_safeguard_breach_stops_the_run_at_once_and_plays_rollbacks(
    squall: Any, tmp_path: Path
) -> None:
    started = time.monotonic()
    result = squall("run", str(CONTROLS / "safeguard-trips.json"))
    elapsed = time.monotonic() - started
    assert result.code == 130, result.stderr
    journal = result.journal
    assert journal["status"] == "interrupted"
    assert journal["interruption"]["kind"] == "safeguard"
    assert journal["interruption"]["name"] == "not-tripped"
    assert 'safeguard probe "not-tripped" breached' in journal["interruption"]["reason"]
    # the 30 s action was cut short (a run that waited it out takes longer), the next
    # one never ran
    assert elapsed < 30, elapsed
    assert names(journal["run"]) == ["trip-later", "long-wait"]
    long_wait = journal["run"][1]
    assert long_wait["status"] == "failed"
    assert long_wait["duration"] < 30, long_wait
    assert not (tmp_path / "reached").exists()
    # a breach plays the rollbacks (default strategy): the faults are undone
    assert [(e["activity"]["name"], e["status"]) for e in journal["rollbacks"]] == [
        ("cleanup", "succeeded")
    ]
    assert (tmp_path / "rolled-back").exists()
    assert 'safeguard probe "not-tripped" breached' in result.stderr


def test_safeguard_breach_under_never_plays_no_rollback(squall: Any, tmp_path: Path) -> None:
    result = squall("run", "--rollback-strategy", "never", str(CONTROLS / "safeguard-trips.json"))
    assert result.code == 130, result.stderr
    assert result.journal["rollbacks"] == []
    assert not (tmp_path / "rolled-back").exists()


def test_blocking_safeguard_that_holds_lets_the_run_go(
    squall: Any, tmp_path: Path, http_server: LocalServer
) -> None:
    result = squall(
        "run",
        "--var",
        f"health_url={http_server.url}/health",
        str(CONTROLS / "safeguard-before.json"),
    )
    assert result.code == 0, result.stderr
    assert result.journal["status"] == "completed"
    assert (tmp_path / "injected").exists()
    assert [r[1] for r in http_server.requests] == ["/health"]


def test_blocking_safeguard_breach_injects_nothing(
    squall: Any, tmp_path: Path, http_server: LocalServer
) -> None:
    result = squall(
        "run",
        "--var",
        f"health_url={http_server.url}/down",
        str(CONTROLS / "safeguard-before.json"),
    )
    assert result.code == 130, result.stderr
    journal = result.journal
    assert journal["status"] == "interrupted"
    assert journal["interruption"]["name"] == "service-healthy"
    assert journal["run"] == []
    assert journal["rollbacks"] == []  # nothing was injected, nothing to undo
    assert not (tmp_path / "injected").exists()


def test_safeguard_with_invalid_arguments_is_refused_before_the_run(
    squall: Any, tmp_path: Path
) -> None:
    experiment = tmp_path / "bad.json"
    experiment.write_text(
        '{"title": "t", "description": "d", "controls": [{"name": "guard", "provider": '
        '{"type": "python", "module": "squall.controls.safeguards", "arguments": '
        '{"probes": []}}}], "method": [{"type": "action", "name": "a", "provider": '
        '{"type": "python", "module": "sqtest", "func": "touch", "arguments": {"path": "x"}}}]}'
    )
    for command in ("validate", "run"):
        result = squall(command, str(experiment))
        assert result.code == 2, result.stderr
        assert 'control "guard" is invalid: "probes" must be a non-empty list' in result.stderr
        assert "/controls/0/provider/arguments" in result.stderr
    assert not (tmp_path / "x").exists()


def test_repeat_runs_each_iteration_as_its_own_entry(squall: Any, tmp_path: Path) -> None:
    result = squall("run", str(CONTROLS / "repeat.json"))
    assert result.code == 3, result.stderr  # 'flaky' failed: the experiment broke
    run = result.journal["run"]
    assert names(run) == ["count", "count", "count", "flaky", "after"]
    assert [e["activity"].get("iteration_index") for e in run[:3]] == [None, 1, 2]
    lines = (tmp_path / "count.txt").read_text().splitlines()
    assert [line.split()[-1] for line in lines] == ["ran", "ran", "ran"]
    assert run[4]["output"] == 3
    # break_if_previous_iteration_failed: the failing action is not repeated
    assert run[3]["status"] == "failed"


def test_bypass_skips_by_type_and_name_and_the_journal_says_so(squall: Any, tmp_path: Path) -> None:
    result = squall("run", "--rollback-strategy", "always", str(CONTROLS / "bypass.json"))
    assert result.code == 0, result.stderr
    run = {e["activity"]["name"]: e for e in result.journal["run"]}
    assert run["skip-me"]["activity"]["dry"] is True
    assert run["method-probe"]["activity"]["dry"] is True
    assert "dry" not in run["run-me"]["activity"]
    assert [run[n]["output"] for n in ("skip-me", "run-me", "method-probe")] == [
        None,
        "ran",
        None,
    ]
    assert not (tmp_path / "skipped-ran").exists()
    assert not (tmp_path / "method-probe-ran").exists()
    assert (tmp_path / "ran").exists() and (tmp_path / "undone").exists()
    assert "these activities will not be executed: skip-me" in result.stderr


#: the first action's sleep: long, so that only a breach that cuts it short ends the run
#: before it, however slow the machine (a 20 s bound on a 30 s sleep failed at load 20)
SLEEPY = 120


def test_safeguard_from_the_settings_with_a_background_probe(squall: Any, tmp_path: Path) -> None:
    """A global safeguard (settings ``controls``) whose ``background`` probe runs once as
    the run starts and breaches while the first action sleeps."""
    import yaml

    (tmp_path / "tripped").touch()
    settings = {
        "controls": {
            "global-guard": {
                "provider": {
                    "type": "python",
                    "module": "squall.controls.safeguards",
                    "arguments": {
                        "probes": [
                            {
                                "type": "probe",
                                "name": "nothing-tripped",
                                "background": True,
                                "tolerance": False,
                                "provider": {
                                    "type": "python",
                                    "module": "sqtest",
                                    "func": "file_exists",
                                    "arguments": {"path": "tripped"},
                                },
                            }
                        ]
                    },
                }
            }
        }
    }
    (tmp_path / "settings.yaml").write_text(yaml.safe_dump(settings))
    experiment = tmp_path / "plain.json"
    experiment.write_text(
        '{"title": "t", "description": "d", "method": ['
        '{"type": "action", "name": "sleepy", "provider": {"type": "python", "module": "sqtest",'
        ' "func": "sleep", "arguments": {"seconds": ' + str(SLEEPY) + "}}},"
        '{"type": "action", "name": "after", "provider": {"type": "python", "module": "sqtest",'
        ' "func": "touch", "arguments": {"path": "reached"}}}]}'
    )
    started = time.monotonic()
    result = squall("run", str(experiment), timeout=SLEEPY + 60)
    elapsed = time.monotonic() - started
    assert result.code == 130, result.stderr
    assert result.journal["interruption"]["name"] == "nothing-tripped"
    # the one-shot probe runs in the background as the run starts: the breach stops
    # the run before or during the first action (cut short: a run that waited for it
    # takes longer), never later
    assert elapsed < SLEEPY, (elapsed, result.stderr)
    run = result.journal["run"]
    assert names(run) in ([], ["sleepy"])
    assert all(e["status"] == "failed" and e["duration"] < SLEEPY for e in run), run
    assert not (tmp_path / "reached").exists()


def test_two_safeguard_declarations_both_guard(squall: Any, tmp_path: Path) -> None:
    """Each declaration's probes are kept (the module serves every declaration of the
    run); the second one's blocking probe breaches, and is checked once."""
    probe = {
        "type": "probe",
        "tolerance": 1,
        "provider": {
            "type": "python",
            "module": "sqtest",
            "func": "append_line",
            "arguments": {"path": "checks.txt", "text": "x"},
        },
    }
    controls = [
        {
            "name": f"guard-{n}",
            "provider": {
                "type": "python",
                "module": "squall.controls.safeguards",
                "arguments": {"probes": [{**probe, "name": f"check-{n}"}]},
            },
        }
        for n in (1, 2)
    ]
    experiment = {
        "title": "t",
        "description": "d",
        "controls": controls,
        "method": [
            {
                "type": "action",
                "name": "a",
                "provider": {
                    "type": "python",
                    "module": "sqtest",
                    "func": "touch",
                    "arguments": {"path": "x"},
                },
            }
        ],
    }
    (tmp_path / "two.json").write_text(json.dumps(experiment))
    result = squall("run", "two.json")
    assert result.code == 130, result.stderr
    # check-1 appended line 1 (tolerance 1: held), check-2 appended line 2: breached
    assert result.journal["interruption"]["name"] == "check-2"
    assert len((tmp_path / "checks.txt").read_text().splitlines()) == 2
    assert not (tmp_path / "x").exists()


def test_bypass_all_skips_every_activity_rollbacks_included(squall: Any, tmp_path: Path) -> None:
    experiment = json.loads((CONTROLS / "bypass.json").read_text())
    experiment["controls"] = [
        {
            "name": "dry-everything",
            "provider": {
                "type": "python",
                "module": "squall.controls.bypass",
                "arguments": {"target_all": True},
            },
        }
    ]
    (tmp_path / "all.json").write_text(json.dumps(experiment))
    result = squall("run", "--rollback-strategy", "always", "all.json")
    assert result.code == 0, result.stderr
    entries = result.journal["run"] + result.journal["rollbacks"]
    assert len(entries) == 4
    assert all(e["activity"]["dry"] is True and e["output"] is None for e in entries)
    for name in ("skipped-ran", "ran", "method-probe-ran", "undone"):
        assert not (tmp_path / name).exists()
    assert "bypass: no activity will be executed" in result.stderr
