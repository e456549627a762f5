"""Plugins: found through the ``squall.plugins`` entry-point group, called at each hook,
isolated when they raise, and able to stop a run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from squall import load_experiment
from squall.engine import Engine, RunOptions
from squall.hooks import hookimpl
from squall.hooks.discovery import find_entry_points
from squall.journal import Outcome
from squall.plan import PlanOptions, make_plan

from sqharness import EXAMPLES


def test_entry_points_are_read_from_dist_info(tmp_path: Path) -> None:
    info = tmp_path / "squall_example_plugin-1.0.dist-info"
    info.mkdir()
    (info / "entry_points.txt").write_text(
        "[console_scripts]\nx = y:z\n\n[squall.plugins]\nrecorder = squall_example_plugin:Recorder\n"
    )
    (tmp_path / "other-2.0.dist-info").mkdir()
    found = find_entry_points("squall.plugins", [str(tmp_path)])
    assert [(p.name, p.value, p.distribution) for p in found] == [
        ("recorder", "squall_example_plugin:Recorder", "squall-example-plugin")
    ]


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    @hookimpl
    def squall_before_activity(self, activity: dict[str, Any], phase: str) -> None:
        self.calls.append(f"{phase}:{activity['name']}")

    @hookimpl
    def squall_after_experiment(self, journal: Any) -> None:
        self.calls.append(f"end:{journal.status.value}")


class Broken:
    @hookimpl
    def squall_before_method(self) -> None:
        raise RuntimeError("plugin bug")


class Stopper:
    @hookimpl
    def squall_before_activity(self, run: Any, activity: dict[str, Any]) -> None:
        if activity["name"] == "get-pid":
            run.request_stop("enough", "stopper")


def run_with(*plugins: object) -> Any:
    plan = make_plan(load_experiment(EXAMPLES / "trivial.json"), PlanOptions())
    return Engine(plugins=plugins, entry_points=False).run(plan, RunOptions())


def test_plugin_sees_every_activity_and_the_end() -> None:
    recorder = Recorder()
    run_with(recorder)
    assert recorder.calls == [
        "hypothesis-before:root-exists",
        "method:get-pid",
        "hypothesis-after:root-exists",
        "end:completed",
    ]


def test_a_raising_plugin_is_named_and_the_run_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    journal = run_with(Broken(), Recorder())
    assert journal.outcome is Outcome.HELD
    assert any("plugin" in r.message and "plugin bug" in r.message for r in caplog.records)


def test_a_plugin_can_stop_the_run() -> None:
    journal = run_with(Stopper())
    assert journal.outcome is Outcome.INTERRUPTED
    assert journal.interruption == {"kind": "plugin", "name": "stopper", "reason": "enough"}
    assert journal.after is None


def test_a_plain_run_does_not_import_pluggy(tmp_path: Path) -> None:
    """Nor the chaoslib stand-in's finder (importlib.abc pulls in ~15 ms of modules)."""
    import subprocess

    code = (
        "import sys, io, contextlib; from squall.cli import main\n"
        "with contextlib.redirect_stderr(io.StringIO()):\n"
        f"    main(['run', {str(EXAMPLES / 'trivial.json')!r}, '--journal-path', {str(tmp_path / 'j.json')!r}])\n"
        "print(sorted({'pluggy', 'importlib.metadata', 'importlib.abc', 'squall.compat._finder',"
        " 'yaml', 'httpx'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
