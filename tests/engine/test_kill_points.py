"""Crash safety, point by point: a real ``squall run`` is killed with SIGKILL at each
named point of a run (tests/examples/kill-points.json: every activity is a
``sqtest.stop_point`` that blocks when asked, so the kill lands inside it, with no
timing guess), then ``squall recover`` finishes it. Each rollback writes its effect to a
real file only when it completes; the file must show every rollback the strategy owes
exactly once, never twice, also when ``recover`` is itself killed or run again.

A kill *between* two activities leaves an event stream that ends with the first one's
``activity`` line (each line is flushed when written, so the file is always a prefix of
the stream). ``test_recover_from_every_prefix_of_the_stream`` builds exactly those
files, one per line boundary (and one torn last line), from the stream of a full run,
and recovers each.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from squall.engine.recover import recover_run
from squall.journal.recovery import stream_path
from squall.journal.store import events_path_for

from sqharness import EXAMPLES, run_streams, subprocess_env

EXPERIMENT = str(EXAMPLES / "kill-points.json")
BOTH = ["undo-1", "undo-2"]
DEVIATE = "check_pattern=^check#1$"


class Run:
    """Paths of one killed run: its journal, its stop points and its effects."""

    def __init__(self, tmp_path: Path) -> None:
        self.dir = tmp_path
        self.journal = tmp_path / "journal.json"
        self.points = tmp_path / "points.txt"
        self.effects = tmp_path / "effects.txt"
        self.history = tmp_path / "history.sqlite3"

    def variables(self, stop_at: str) -> list[str]:
        return [
            "--var",
            f"points={self.points}",
            "--var",
            f"effects={self.effects}",
            "--var",
            f"stop_at={stop_at}",
        ]

    def lines(self, path: Path) -> list[str]:
        return path.read_text().splitlines() if path.exists() else []

    def start(self, argv: list[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "squall", "--settings", str(self.dir / "s.yaml"), *argv],
            env=subprocess_env(SQUALL_HISTORY=str(self.history)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def kill_at(self, proc: subprocess.Popen[bytes], label: str) -> None:
        """SIGKILL the process once it is blocked at ``label``."""
        deadline = time.monotonic() + 60
        while label not in self.lines(self.points):
            if proc.poll() is not None:
                raise AssertionError(f"ended before {label}: {proc.stderr.read()!r}")  # type: ignore[union-attr]
            assert time.monotonic() < deadline, f"never reached {label}"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL

    def run_killed_at(self, label: str, *extra: str) -> None:
        argv = ["run", "--journal-path", str(self.journal), EXPERIMENT, *self.variables(label)]
        self.kill_at(self.start([*argv, *extra]), label)
        assert not self.journal.exists()
        assert len(run_streams()) == 1

    def recover(self, squall: Any, stop_at: str = "none") -> Any:
        return squall(
            "recover",
            str(self.journal),
            *self.variables(stop_at),
            env={"SQUALL_HISTORY": str(self.history)},
        )


# (where the run is killed, extra run options, the rollbacks owed)
POINTS = [
    ("check#1", (), []),  # the hypothesis before: nothing injected, nothing owed
    ("inject#1", (), BOTH),  # during the first action
    ("hold#1", (), BOTH),  # during the second action (the first one finished)
    ("check#2", (), BOTH),  # during the hypothesis after the method
    ("undo-1#1", (), BOTH),  # during the first rollback (it had no effect yet)
    ("undo-2#1", (), BOTH),  # during the second: the first finished, never again
    ("check#1", ("--rollback-strategy", "always"), BOTH),  # always: even before the method
    ("inject#1", ("--rollback-strategy", "never"), []),
    ("inject#1", ("--rollback-strategy", "deviated"), []),  # no deviation was seen
    ("undo-1#1", ("--rollback-strategy", "always"), BOTH),
    # deviated: the check after the method fails (it accepts only the first check)
    ("check#2", ("--rollback-strategy", "deviated", "--var", DEVIATE), []),  # not yet known
    ("undo-1#1", ("--rollback-strategy", "deviated", "--var", DEVIATE), BOTH),
    ("undo-2#1", ("--rollback-strategy", "deviated", "--var", DEVIATE), BOTH),
]


@pytest.mark.parametrize(
    ("label", "extra", "owed"),
    POINTS,
    ids=[f"{label}{'-' + extra[1] if extra else ''}" for label, extra, _ in POINTS],
)
def test_kill_at_a_point_then_recover(
    squall: Any, tmp_path: Path, label: str, extra: tuple[str, ...], owed: list[str]
) -> None:
    run = Run(tmp_path)
    run.run_killed_at(label, *extra)
    done = run.recover(squall)
    assert done.code == 0, done.stderr
    effects = run.lines(run.effects)
    assert [e for e in effects if e.startswith("undo")] == owed, "each owed rollback once"
    data = json.loads(run.journal.read_text())
    assert data["status"] == "interrupted" and data["interruption"]["kind"] == "crash"
    assert data["squall"]["outcome"] == "interrupted" and data["squall"]["exit_code"] == 130
    succeeded = [r["activity"]["name"] for r in data["rollbacks"] if r["status"] == "succeeded"]
    assert succeeded == owed
    killed = label.split("#", maxsplit=1)[0]
    entries = data["run"] + data["rollbacks"]
    assert all(e["status"] in ("succeeded", "failed") for e in entries)
    if killed in ("inject", "hold", "undo-1", "undo-2"):  # the one that was running
        stopped = [e for e in entries if e["activity"]["name"] == killed]
        assert stopped[0]["status"] == "failed"
        assert "still running when the run stopped" in stopped[0]["exception"][0]
    assert run_streams() == []
    again = run.recover(squall)
    assert again.code == 2 and "nothing to do" in again.stderr
    assert run.lines(run.effects) == effects, "a second recover plays nothing"
    record = json.loads(
        squall(
            "runs", "show", data["squall"]["run_id"], "--json", "--history", str(run.history)
        ).stdout
    )
    assert (record["outcome"], record["recovered"]) == ("interrupted", True)


def test_the_second_rollback_is_played_once_when_killed_during_it(
    squall: Any, tmp_path: Path
) -> None:
    run = Run(tmp_path)
    run.run_killed_at("undo-2#1")
    assert run.lines(run.effects) == ["injected", "undo-1"]
    assert run.recover(squall).code == 0
    assert run.lines(run.effects) == ["injected", "undo-1", "undo-2"]
    data = json.loads(run.journal.read_text())
    assert [(r["activity"]["name"], r["status"]) for r in data["rollbacks"]] == [
        ("undo-1", "succeeded"),
        ("undo-2", "failed"),  # killed while it ran
        ("undo-2", "succeeded"),  # played by recover
    ]


def test_a_killed_recovery_is_recovered_without_playing_twice(squall: Any, tmp_path: Path) -> None:
    run = Run(tmp_path)
    run.run_killed_at("undo-1#1")  # the run dies during its first rollback
    # the recovery plays undo-1 (undo-1#2), then is killed during undo-2
    proc = run.start(["recover", str(run.journal), *run.variables("undo-2#1")])
    run.kill_at(proc, "undo-2#1")
    assert run.lines(run.effects) == ["injected", "undo-1"]
    assert not run.journal.exists()
    done = run.recover(squall)  # and a third process finishes it
    assert done.code == 0, done.stderr
    assert run.lines(run.effects) == ["injected", "undo-1", "undo-2"]
    assert run.recover(squall).code == 2
    assert run.lines(run.effects) == ["injected", "undo-1", "undo-2"]


def _full_stream(tmp_path: Path) -> tuple[list[str], Any]:
    """The event stream of a complete run (kept with --keep-events)."""
    run = Run(tmp_path / "full")
    run.dir.mkdir()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "squall",
            "run",
            "--no-history",
            "--keep-events",
            "--journal-path",
            str(run.journal),
            EXPERIMENT,
            *run.variables("none"),
        ],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return Path(events_path_for(run.journal)).read_text().splitlines(keepends=True), run


def _effects_of(prefix: list[str]) -> list[str]:
    """The effects a run had when its stream was cut here: those of finished activities."""
    effects = []
    for line in prefix:
        record = json.loads(line) if line.endswith("\n") else {}
        if record.get("event") == "activity":
            name = record["run"]["activity"]["name"]
            effects.append("injected" if name == "inject" else name)
    return [e for e in effects if e != "hold"]


def test_recover_from_every_prefix_of_the_stream(tmp_path: Path) -> None:
    lines, _ = _full_stream(tmp_path)
    assert [json.loads(line)["event"] for line in lines][-1] == "end"
    cuts = [(n, lines[:n]) for n in range(1, len(lines) + 1)]
    # a torn last line: the process died while writing it
    cuts += [(n, [*lines[: n - 1], lines[n - 1][: len(lines[n - 1]) // 2]]) for n in (5, 11)]
    for n, prefix in cuts:
        run = Run(tmp_path / f"cut-{n}-{len(prefix[-1])}")
        run.dir.mkdir()
        start = json.loads(prefix[0])
        start["journal_path"] = str(run.journal)
        events = Path(stream_path(start["run_id"]))
        events.parent.mkdir(parents=True, exist_ok=True)
        events.write_text("".join([json.dumps(start) + "\n", *prefix[1:]]))
        before = _effects_of(prefix)
        run.effects.write_text("".join(e + "\n" for e in before))
        started_method = any('"phase": "method"' in line for line in prefix)
        journal = recover_run(
            str(events),
            overrides={"points": str(run.points), "effects": str(run.effects), "stop_at": "none"},
        )
        after = run.lines(run.effects)
        for name in BOTH:
            assert after.count(name) == (1 if started_method else 0), (n, after)
        assert after[: len(before)] == before, "nothing finished is played again"
        ended = any('"event": "end"' in line for line in prefix if line.endswith("\n"))
        data = json.loads(run.journal.read_text())
        assert data["status"] == ("completed" if ended else "interrupted"), n
        assert (journal.outcome is not None) and data["squall"]["outcome"] == journal.outcome.value
        assert not events.exists()
        shutil.rmtree(run.dir)


def test_a_recovery_after_a_torn_line_starts_a_new_line(squall: Any, tmp_path: Path) -> None:
    """The run died while writing a line; the recovery's events must not be glued to it
    (a glued line cannot be read back, and its event would be lost to a later recover)."""
    lines, _ = _full_stream(tmp_path)
    run = Run(tmp_path / "torn")
    run.dir.mkdir()
    events = Path(events_path_for(run.journal))
    # cut inside the line that records the first method activity as finished
    events.write_text("".join(lines[:4]) + lines[4][:40])
    proc = run.start(["recover", str(run.journal), *run.variables("undo-2#1")])
    run.kill_at(proc, "undo-2#1")  # the recovery finished undo-1, then died in undo-2
    written = events.read_text().splitlines()
    assert written[4] == lines[4][:40]  # the torn line is left as it was
    appended = [json.loads(line) for line in written[5:]]
    assert [(e["event"], e.get("name") or e["run"]["activity"]["name"]) for e in appended] == [
        ("activity-start", "undo-1"),
        ("activity", "undo-1"),
        ("activity-start", "undo-2"),
    ]
    assert run.recover(squall).code == 0
    assert [e for e in run.lines(run.effects) if e.startswith("undo")] == BOTH


def test_a_run_that_decided_not_to_roll_back_is_recovered_by_its_decision(
    squall: Any, tmp_path: Path
) -> None:
    """SIGINT during the method: the default strategy plays no rollbacks (as the Chaos
    Toolkit). Killed after that decision, before its journal was written (here: the
    stream of such a run without its ``end`` line), the run must not be rolled back by
    ``recover`` either."""
    run = Run(tmp_path)
    argv = ["run", "--keep-events", "--journal-path", str(run.journal), EXPERIMENT]
    proc = run.start([*argv, *run.variables("hold#1")])
    deadline = time.monotonic() + 60
    while "hold#1" not in run.lines(run.points):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    events = Path(events_path_for(run.journal))
    records = [json.loads(line) for line in events.read_text().splitlines()]
    assert records[-2] == {"play": False, "event": "rollbacks-decided"}
    events.write_text("".join(line + "\n" for line in events.read_text().splitlines()[:-1]))
    run.journal.unlink()
    assert run.recover(squall).code == 0
    assert run.lines(run.effects) == ["injected"], "no rollback: the run had decided so"
    assert json.loads(run.journal.read_text())["rollbacks"] == []
