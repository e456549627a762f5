"""How the ``squall`` command leaves (``squall.cli.leave``): without Python's
finalisation only when no code but squall's and harmless standard modules ran, and
then after the exit handlers and with every line printed; otherwise as usual, so that a
driver's buffered file is still written at exit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqharness import subprocess_env

#: The real command (``main()`` reading sys.argv, in its own process); a line printed
#: after ``main`` returns only when the command left Python to finalise as usual.
COMMAND = """
import atexit, sys
from squall.cli import main
atexit.register(lambda: print("exit handlers ran", flush=True))
sys.argv = ["squall", *sys.argv[1:]]
code = main()
print("finalised as usual", flush=True)
sys.exit(code)
"""

#: A driver whose module (imported during the run, as drivers import their parts on
#: first use) writes through a buffered file it never flushes nor closes: its data
#: reaches the file only when Python finalises that module's objects at exit. (A module
#: imported before the run starts is frozen with squall's start-up objects, gc.freeze,
#: and Python's exit never deallocates those: squall.cli.settled.)
DRIVER = """
def note(text):
    import leaky
    return leaky.note(text)
"""
LEAKY = """
_log = open(__file__ + ".out", "w", buffering=65536)

def note(text):
    _log.write(text)
    return True
"""


def _activity(name: str, provider: dict[str, object]) -> dict[str, object]:
    return {"type": "action", "name": name, "provider": provider}


def _run(
    tmp_path: Path, method: list[dict[str, object]], name: str = "e.json"
) -> subprocess.CompletedProcess[str]:
    experiment = tmp_path / name  # e.yaml: read by PyYAML (JSON is YAML)
    experiment.write_text(json.dumps({"title": "t", "description": "d", "method": method}))
    return subprocess.run(
        [sys.executable, "-c", COMMAND, "run", "--journal-path", str(tmp_path / "j.json"),
         str(experiment)],
        capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path,
        env=subprocess_env(SQUALL_HISTORY=str(tmp_path / "h.sqlite3"), PYTHONPATH=str(tmp_path)),
    )  # fmt: skip


def test_a_run_of_squall_alone_leaves_without_finalising_after_its_exit_handlers(
    tmp_path: Path,
) -> None:
    done = _run(
        tmp_path,
        [
            _activity("pid", {"type": "python", "module": "os", "func": "getpid"}),
            _activity("true", {"type": "process", "path": "true"}),
            _activity("false", {"type": "process", "path": "false"}),
        ],
    )
    assert done.returncode == 0, done.stderr
    assert "exit handlers ran" in done.stdout
    assert "finalised as usual" not in done.stdout
    # every line the run printed is out, the last one included
    assert done.stderr.rstrip().endswith(f"journal: {tmp_path / 'j.json'}")
    assert json.loads((tmp_path / "j.json").read_text())["status"] == "completed"


def test_a_yaml_experiment_read_by_pyyaml_leaves_the_same_way(tmp_path: Path) -> None:
    method = [_activity("pid", {"type": "python", "module": "os", "func": "getpid"})]
    done = _run(tmp_path, method, "e.yaml")
    assert done.returncode == 0, done.stderr
    assert "exit handlers ran" in done.stdout
    assert "finalised as usual" not in done.stdout


def test_a_run_whose_journal_the_history_compresses_leaves_the_same_way(
    tmp_path: Path,
) -> None:
    # enough activities for a journal the history stores compressed (zlib is loaded)
    pid = {"type": "python", "module": "os", "func": "getpid"}
    done = _run(tmp_path, [_activity(f"pid-{i}", pid) for i in range(300)])
    assert done.returncode == 0, done.stderr
    assert len((tmp_path / "j.json").read_text()) >= 64 * 1024
    assert "exit handlers ran" in done.stdout
    assert "finalised as usual" not in done.stdout


def test_a_failed_run_keeps_its_exit_code(tmp_path: Path) -> None:
    method = [_activity("x", {"type": "python", "module": "os", "func": "no_such_function"})]
    done = _run(tmp_path, method)
    assert done.returncode == 2, done.stderr  # refused before the run: a located message
    assert "finalised as usual" not in done.stdout


def _assert_flushed_at_exit(tmp_path: Path, module: str) -> None:
    """A python activity of ``module`` writes through leaky.py's unflushed file: squall
    leaves as usual and the text is in the file."""
    (tmp_path / "leaky.py").write_text(LEAKY)
    method = [
        _activity("n", {"type": "python", "module": module, "func": "note",
                        "arguments": {"text": "kept at exit"}}),
    ]  # fmt: skip
    done = _run(tmp_path, method)
    assert done.returncode == 0, done.stderr
    assert "finalised as usual" in done.stdout
    assert (tmp_path / "leaky.py.out").read_text() == "kept at exit"


def test_a_driver_s_unflushed_file_is_still_written_at_exit(tmp_path: Path) -> None:
    (tmp_path / "driver.py").write_text(DRIVER)  # imports leaky during the run
    _assert_flushed_at_exit(tmp_path, "driver")


def test_a_driver_module_checked_before_the_run_gets_its_file_flushed_at_exit(
    tmp_path: Path,
) -> None:
    """The module of a python activity is imported when the experiment is checked,
    before the run: its objects were frozen with squall's start-up (gc.freeze), which
    Python's exit never frees, so its buffered file was not flushed."""
    _assert_flushed_at_exit(tmp_path, "leaky")


def test_a_thread_still_alive_means_the_usual_exit() -> None:
    code = (
        "import threading; from squall.cli.leave import nothing_to_finalize; "
        "before = nothing_to_finalize(); stop = threading.Event(); "
        "t = threading.Thread(target=stop.wait, daemon=True); t.start(); "
        "print(before, nothing_to_finalize()); stop.set()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
        check=True, env=subprocess_env(),
    )  # fmt: skip
    assert done.stdout.split() == ["True", "False"]


def test_a_stream_that_cannot_be_flushed_exits_120_as_python_does() -> None:
    code = (
        "import sys\n"
        "class Broken:\n"
        "    def write(self, text): return len(text)\n"
        "    def flush(self): raise BrokenPipeError(32, 'Broken pipe')\n"
        "from squall.cli.leave import exit_before_finalizing\n"
        "sys.stdout = Broken()\n"
        "exit_before_finalizing(0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], timeout=60, check=False)
    assert done.returncode == 120
