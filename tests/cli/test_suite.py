"""``squall run a.json b.yaml dir/``: several experiments in turn, each with its journal,
one summary, the most severe exit code; all are checked before the first one runs."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from squall.cli.suite import SEVERITY, journal_paths, worst_exit_code

from sqharness import subprocess_env


def _probe(name: str, func: str, **arguments: Any) -> dict[str, Any]:
    provider = {"type": "python", "module": "sqtest", "func": func, "arguments": arguments}
    return {"type": "probe", "name": name, "provider": provider}


def _action(name: str, func: str, **arguments: Any) -> dict[str, Any]:
    return {**_probe(name, func, **arguments), "type": "action"}


def write(path: Path, *, gate: bool = True, method_fails: bool = False, sleep: float = 0) -> Path:
    """An experiment that touches ``<stem>.ran`` next to itself when its method runs."""
    ran = path.with_suffix(".ran")
    method = [_action("mark", "touch", path=str(ran))]
    if sleep:
        method.append(_action("wait", "sleep", seconds=sleep))
    if method_fails:
        method.append(_action("fail", "boom"))
    probe = _probe("gate", "echo", value=gate)
    probe["tolerance"] = True
    experiment = {
        "title": path.stem,
        "description": "suite test",
        "steady-state-hypothesis": {"title": "gate", "probes": [probe]},
        "method": method,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(experiment))
    return path


def run(tmp_path: Path, *args: str, json_log: bool = False) -> subprocess.CompletedProcess[str]:
    log = ["--log-format", "json"] if json_log else []
    argv = [sys.executable, "-m", "squall", "--settings", str(tmp_path / "s.yaml"), *log, "run"]
    return subprocess.run(
        [*argv, "--no-history", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=subprocess_env(),
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_each_runs_in_turn_with_its_journal_and_the_worst_code(tmp_path: Path) -> None:
    held = write(tmp_path / "a-held.json")
    broken = write(tmp_path / "b-broken.json", method_fails=True)
    not_run = write(tmp_path / "c-not-run.json", gate=False)
    done = run(tmp_path, str(held), str(broken), str(not_run), "--journal-dir", "out")
    assert done.returncode == 4, done.stderr  # not run ranks above broken
    out = tmp_path / "out"
    statuses = {p.name: json.loads(p.read_text())["squall"]["exit_code"] for p in out.iterdir()}
    assert statuses == {
        "a-held.journal.json": 0,
        "b-broken.journal.json": 3,
        "c-not-run.journal.json": 4,
    }
    summary = done.stderr[done.stderr.index("3 experiments, exit 4") :].splitlines()
    assert [line.split()[:2] for line in summary[1:]] == [
        [str(held), "held"],
        [str(broken), "broken"],
        [str(not_run), "not"],
    ]
    assert held.with_suffix(".ran").exists() and not not_run.with_suffix(".ran").exists()


def test_a_directory_stands_for_its_experiment_files_in_name_order(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    write(suite / "2-second.yaml")  # JSON is YAML: a .yaml suffix loads too
    write(suite / "1-first.json")
    write(suite / "nested" / "0-not-included.json")
    (suite / "notes.txt").write_text("not an experiment")
    done = run(tmp_path, str(suite), json_log=True)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stderr.strip().splitlines()[-1])
    assert record["event"] == "suite" and record["exit_code"] == 0
    assert [Path(r["source"]).name for r in record["runs"]] == ["1-first.json", "2-second.yaml"]
    assert [Path(r["journal"]).name for r in record["runs"]] == [
        "1-first.journal.json",
        "2-second.journal.json",
    ]
    assert not (suite / "nested" / "0-not-included.ran").exists()


def test_one_invalid_experiment_means_none_runs(tmp_path: Path) -> None:
    good = write(tmp_path / "good.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"title": "t", "description": "d", "method": [{"type": "nope"}]}))
    done = run(tmp_path, str(good), str(bad))
    assert done.returncode == 2, done.stderr
    assert "bad.json" in done.stderr and "problem" in done.stderr
    assert not good.with_suffix(".ran").exists()
    assert not list(tmp_path.glob("*.journal.json"))


def test_stop_on_failure_skips_the_rest(tmp_path: Path) -> None:
    first = write(tmp_path / "first.json", method_fails=True)
    second = write(tmp_path / "second.json")
    done = run(tmp_path, str(first), str(second), "--stop-on-failure")
    assert done.returncode == 3, done.stderr
    assert "not run (--stop-on-failure)" in done.stderr
    assert not second.with_suffix(".ran").exists()
    again = run(tmp_path, str(first), str(second))
    assert again.returncode == 3 and second.with_suffix(".ran").exists()


def test_a_signal_stops_the_suite(tmp_path: Path) -> None:
    slow = write(tmp_path / "slow.json", sleep=20)
    after = write(tmp_path / "after.json")
    argv = [sys.executable, "-m", "squall", "--settings", str(tmp_path / "s.yaml"), "run"]
    proc = subprocess.Popen(
        [*argv, "--no-history", str(slow), str(after)],
        cwd=tmp_path,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 20
    while not slow.with_suffix(".ran").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert not after.with_suffix(".ran").exists()
    assert "1 experiment, exit 130 (interrupted)" in stderr


def test_usage_errors(tmp_path: Path) -> None:
    a, b = write(tmp_path / "a.json"), write(tmp_path / "b.json")
    done = run(tmp_path, str(a), str(b), "--journal-path", "j.json")
    assert done.returncode == 2 and "use --journal-dir" in done.stderr
    done = run(tmp_path, str(a), "--journal-path", "j.json", "--journal-dir", "d")
    assert done.returncode == 2 and "use --journal-dir" in done.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    done = run(tmp_path, str(empty))
    assert done.returncode == 2 and "no experiment files" in done.stderr


def test_journal_names_that_collide_are_numbered() -> None:
    names = journal_paths(["x/exp.json", "y/exp.yaml", "-", "https://h/e.json?v=1"], "j")
    assert names == [
        "j/exp.journal.json",
        "j/exp-2.journal.json",
        "j/stdin.journal.json",
        "j/e.journal.json",
    ]


@pytest.mark.parametrize(
    ("codes", "worst"),
    [((0, 1), 1), ((1, 3), 3), ((3, 4), 4), ((4, 2), 2), ((2, 130), 130), ((0, 7), 7), ((), 0)],
)
def test_worst_exit_code_follows_the_documented_order(codes: tuple[int, ...], worst: int) -> None:
    assert worst_exit_code(codes) == worst
    assert SEVERITY[-1] == 130


def test_one_report_and_one_junit_file_for_the_whole_suite(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    held = write(tmp_path / "held.json")
    broken = write(tmp_path / "broken.json", method_fails=True)
    done = run(
        tmp_path, str(held), str(broken), "--junit", "junit.xml", "--report", "markdown:r.md"
    )
    assert done.returncode == 3, done.stderr
    suites = ET.parse(tmp_path / "junit.xml").getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == ["held", "broken"]
    markdown = (tmp_path / "r.md").read_text()
    assert "held" in markdown and "broken" in markdown


def test_journal_dir_names_the_journal_of_a_single_experiment_too(tmp_path: Path) -> None:
    done = run(tmp_path, str(write(tmp_path / "only.json")), "--journal-dir", "out")
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "out" / "only.journal.json").read_text())["status"] == "completed"
    assert "1 experiment, exit" not in done.stderr  # one experiment: no suite summary
