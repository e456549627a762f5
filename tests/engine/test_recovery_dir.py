"""Each run's recovery data is its own and self-contained (issue 10, items 2-4).

- A second run with the same ``--journal-path`` does not overwrite the stream of a
  killed one: streams are keyed by run id in the recovery directory; ``run`` warns
  about the unrecovered run and ``recover --list`` shows it.
- ``recover`` works from any directory, plays the experiment as it ran (not the file as
  edited since), resolves secrets from their sources again, and refuses (nothing
  played) when an owed rollback needs an inline secret, whose value is never on disk.
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

from sqharness import EXAMPLES, documented_line, run_streams, shape_line, subprocess_env

SECRET = "inline-s3cr3t"
ENV = {"SQTEST_FROM_ENV": "env-value"}


def documented(start: str) -> str:
    return documented_line("recovery.md", start)


def squall_in(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "squall", "--settings", str(cwd / "s.yaml"), *args],
        cwd=cwd,
        env=subprocess_env(**(env if env is not None else ENV)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def killed_run(workdir: Path, *extra: str) -> str:
    """Run ./experiment.json in ``workdir`` with relative paths, SIGKILL it during the
    method; return its run id."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "squall", "run", "experiment.json", "--var", "method_sleep:int=30",
         *extra],
        cwd=workdir,
        env=subprocess_env(**ENV),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    log = workdir / "log.txt"
    deadline = time.monotonic() + 30
    while not (log.exists() and "method-started" in log.read_text()):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    (stream,) = [s for s in run_streams() if json.loads(s.read_text().splitlines()[0])]
    return json.loads(stream.read_text().splitlines()[0])["run_id"]


def undo_lines(log: Path) -> list[str]:
    """What the rollbacks wrote (every line but the method's)."""
    texts = [line.split(" ", 1)[1] for line in log.read_text().splitlines()]
    return [text for text in texts if text != "method-started"]


def setup(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(EXAMPLES / "recover-secrets.json", work / "experiment.json")
    return work


def test_a_second_run_keeps_the_first_ones_stream_and_warns(tmp_path: Path) -> None:
    work = setup(tmp_path)
    first = killed_run(work)
    second = squall_in(work, "run", "experiment.json")  # same ./journal.json
    assert second.returncode == 0, second.stderr
    assert f"run {first} of this experiment" in second.stderr and "1 rollback owed" in (
        second.stderr
    )
    listed = squall_in(tmp_path, "recover", "--list", "--json")
    (entry,) = json.loads(listed.stdout)["runs"]
    assert entry["run_id"] == first and entry["owed"] == ["undo"] and not entry["running"]
    assert entry["journal_path"] == str(work / "journal.json")
    text = squall_in(tmp_path, "recover", "--list").stdout
    assert shape_line(text.splitlines()[0]) == documented("RUN ID ")
    warning = [line for line in second.stderr.splitlines() if "warning" in line]
    assert [shape_line(line) for line in warning] == [documented("squall: warning: run")]
    assert first in text and "1 rollback owed" in text and "owed: undo" in text
    done = squall_in(tmp_path, "recover", first[:6], "--var-file", str(secrets_file(tmp_path)))
    assert done.returncode == 0, done.stderr
    # the first run's rollback ran once (the second run's own, once too)
    assert undo_lines(work / "log.txt") == [f"undo {SECRET} env-value"] * 2
    assert json.loads((work / "journal.json").read_text())["squall"]["run_id"] == first
    assert squall_in(tmp_path, "recover", "--list").stderr == "squall: no run to recover\n"


def secrets_file(where: Path) -> Path:
    path = where / "secrets.json"
    path.write_text(json.dumps({"secrets": {"app": {"token": SECRET}}}))
    return path


def test_recover_from_elsewhere_refuses_without_the_inline_secret(tmp_path: Path) -> None:
    work = setup(tmp_path)
    run_id = killed_run(work)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    refused = squall_in(elsewhere, "recover", run_id)
    assert refused.returncode == 2
    assert shape_line(refused.stderr.strip()) == documented("squall: error: the rollbacks")
    assert "app.token" in refused.stderr and "--var-file" in refused.stderr
    assert "nothing was played" in refused.stderr and "Traceback" not in refused.stderr
    assert undo_lines(work / "log.txt") == [], "never played with a masked value"
    stream = run_streams()[0].read_text()
    assert SECRET not in stream and "env-value" not in stream, "no secret value on disk"
    missing_env = squall_in(
        elsewhere, "recover", run_id, "--var-file", str(secrets_file(elsewhere)), env={}
    )
    assert missing_env.returncode == 2 and "SQTEST_FROM_ENV" in missing_env.stderr
    done = squall_in(elsewhere, "recover", run_id, "--var-file", str(secrets_file(elsewhere)))
    assert done.returncode == 0, done.stderr
    assert f"journal: {work / 'journal.json'}" in done.stderr
    assert shape_line(done.stderr.strip().splitlines()[-1]) == documented("squall: recovered run")
    assert undo_lines(work / "log.txt") == [f"undo {SECRET} env-value"]
    assert not (elsewhere / "journal.json").exists() and not (elsewhere / "log.txt").exists()


def test_recover_plays_the_experiment_as_it_ran_not_as_edited(tmp_path: Path) -> None:
    work = setup(tmp_path)
    run_id = killed_run(work, "--var", "word:str=restore")
    experiment = work / "experiment.json"
    edited = json.loads(experiment.read_text())
    edited["rollbacks"][0]["provider"]["arguments"]["text"] = "edited"
    experiment.write_text(json.dumps(edited))
    done = squall_in(tmp_path, "recover", run_id, "--var-file", str(secrets_file(tmp_path)))
    assert done.returncode == 0, done.stderr
    # the run's own --var (word=restore) is kept; the file's later edit is not used
    assert undo_lines(work / "log.txt") == [f"restore {SECRET} env-value"]
    assert "edited" not in (work / "log.txt").read_text()


def test_discard_a_run_that_will_not_be_recovered(tmp_path: Path) -> None:
    work = setup(tmp_path)
    run_id = killed_run(work)
    discarded = squall_in(tmp_path, "recover", run_id, "--discard")
    assert discarded.returncode == 0, discarded.stderr
    assert "its 1 owed rollback (undo) will not be played" in discarded.stderr
    assert run_streams() == []
    assert squall_in(tmp_path, "recover", "--list").stderr == "squall: no run to recover\n"
    assert squall_in(tmp_path, "recover", run_id).returncode == 2
    assert undo_lines(work / "log.txt") == []
