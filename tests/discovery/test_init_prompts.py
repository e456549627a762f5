"""``squall init`` without --answers, as a person runs it: on a real terminal (a pty: the
prompts wait for each answer, a wrong one is asked again) and with answers piped in (one
a line: each question is shown with its answer, and a wrong or missing answer stops with
exit 2 naming its line, instead of taking the next line as its answer and putting every
later answer out of step). The tutorial's driver (docs/examples/first-driver)."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "first-driver"

#: (the question's start, the answer): the tutorial's experiment (answers.yaml), asked
QUESTIONS = [
    ("Experiment's title", "A stray port"),
    ("Description [N/A]", ""),
    ("Add a steady-state hypothesis? [Y/n]", "y"),
    ("Hypothesis' title", "nothing listens on 47123"),
    ("Number of the probe for the hypothesis (empty: done)", "3"),
    ("Use port_is_open? [Y/n]", ""),
    ("port (integer)", "47123"),
    ("host (string) [127.0.0.1]", ""),
    ("timeout (number) [1.0]", ""),
    ("Tolerance (a value, list or object)", "false"),
    ("Number of the probe for the hypothesis (empty: done)", ""),
    ("Number of the activity for the method", "2"),
    ("Use open_port? [Y/n]", "y"),
    ("port (integer)", "47123"),
    ("host (string) [127.0.0.1]", ""),
    ("seconds (number) [0.0]", "1"),
    ("Number of the activity for the method (empty: done)", ""),
    ("Add rollbacks? [y/N]", "y"),
    ("Number of the rollback action (empty: done)", "1"),
    ("Use close_port? [Y/n]", "y"),
    ("port (integer)", "47123"),
    ("Number of the rollback action (empty: done)", ""),
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    done = _squall(tmp_path, "discover", "squall_first_driver", "--no-system-info")
    assert done.returncode == 0, done.stderr
    return tmp_path


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(EXAMPLE), "NO_COLOR": "1", "TERM": "dumb"}


def _squall(cwd: Path, *args: str, answers: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "squall", *args],
        check=False,
        cwd=cwd,
        env=_env(),
        input=answers,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _check(experiment: dict[str, object]) -> None:
    """What the answers asked for (the tutorial's experiment, without its pause)."""
    assert experiment["title"] == "A stray port" and experiment["description"] == "N/A"
    hypothesis = experiment["steady-state-hypothesis"]
    assert isinstance(hypothesis, dict)
    assert [
        (p["name"], p["provider"]["arguments"], p["tolerance"]) for p in hypothesis["probes"]
    ] == [("port-is-open", {"port": 47123}, False)]
    method = experiment["method"]
    assert isinstance(method, list)
    assert [(a["name"], a["provider"]["arguments"]) for a in method] == [
        ("open-port", {"port": 47123, "seconds": 1.0})
    ]
    rollbacks = experiment["rollbacks"]
    assert isinstance(rollbacks, list)
    assert [(a["name"], a["provider"]["arguments"]) for a in rollbacks] == [
        ("close-port", {"port": 47123})
    ]


class Terminal:
    """A real pseudo-terminal: squall's stdin, stdout and stderr are its other end."""

    def __init__(self, cwd: Path) -> None:
        self.master, slave = os.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "squall", "init"],
            cwd=cwd,
            env=_env(),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)
        self.screen = ""
        self.seen = 0  # where the text waited for last ends

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        """Read until ``text`` is on the screen after the text waited for before it."""
        deadline = time.monotonic() + timeout
        while (found := self.screen.find(text, self.seen)) < 0:
            left = deadline - time.monotonic()
            assert left > 0, f"no {text!r} on the terminal; it shows:\n{self.screen[-2000:]}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready and not self._read():
                raise AssertionError(f"squall ended before {text!r}:\n{self.screen[-2000:]}")
        self.seen = found + len(text)

    def type(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def finish(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.5)
            if ready and not self._read():
                break
        code = self.proc.wait(timeout=max(deadline - time.monotonic(), 1))
        os.close(self.master)
        return code

    def _read(self) -> bool:
        try:
            data = os.read(self.master, 4096)
        except OSError:  # EIO: the other end is closed
            return False
        self.screen += data.decode("utf-8", "replace").replace("\r\n", "\n")
        return bool(data)


def test_on_a_terminal_each_question_waits_and_a_wrong_answer_is_asked_again(
    folder: Path,
) -> None:
    term = Terminal(folder)
    for question, answer in QUESTIONS:
        term.wait_for(question + ":")
        if question.startswith("Number of the probe") and answer == "3":
            term.type("9")  # out of range: said, then asked again
            term.wait_for("Give a number from 1 to 3.")
            term.wait_for(question + ":")
        if question == "seconds (number) [0.0]":
            term.type("soon")
            term.wait_for('Not a valid value: expected number, got "soon".')
            term.wait_for(question + ":")
        term.type(answer)
    term.wait_for("experiment.json: experiment written")
    assert term.finish() == 0, term.screen
    assert "A stray port" in term.screen  # the terminal echoes what was typed
    _check(json.loads((folder / "experiment.json").read_text()))


def test_piped_answers_build_the_same_experiment_and_show_a_transcript(folder: Path) -> None:
    answers = "".join(answer + "\n" for _, answer in QUESTIONS)
    done = _squall(folder, "init", answers=answers)
    assert done.returncode == 0, done.stdout + done.stderr
    _check(json.loads((folder / "experiment.json").read_text()))
    lines = [line.rstrip() for line in done.stdout.splitlines()]
    for question, answer in QUESTIONS:  # each question on a line of its own, its answer after
        assert f"{question}: {answer}".rstrip() in lines
    assert lines[-1] == "experiment.json: experiment written"


@pytest.mark.parametrize(
    ("line", "wrong", "message"),
    [
        (
            5,
            "9",
            "answer on line 5 of the input (Number of the probe for the hypothesis "
            "(empty: done)): give a number from 1 to 3",
        ),
        (
            16,
            "soon",
            "answer on line 16 of the input (seconds (number)): not a valid value: "
            'expected number, got "soon"',
        ),
        (
            3,
            "maybe",
            "answer on line 3 of the input (Add a steady-state hypothesis?): answer "
            'y or n, not "maybe"',
        ),
    ],
    ids=["number", "argument", "yes-no"],
)
def test_a_wrong_piped_answer_stops_with_exit_2_and_its_line(
    folder: Path, line: int, wrong: str, message: str
) -> None:
    """Asked again, it would take the next line as its answer: every later answer would go
    to the wrong question (how a newcomer's piped answers got out of step)."""
    answers = [answer for _, answer in QUESTIONS]
    answers[line - 1] = wrong
    done = _squall(folder, "init", answers="".join(a + "\n" for a in answers))
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip() == f"squall: {message}"
    assert not (folder / "experiment.json").exists()


def test_piped_answers_that_run_out_stop_with_exit_2(folder: Path) -> None:
    done = _squall(folder, "init", answers="A stray port\n\ny\n")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip() == "squall: the answers ended before line 4 (Hypothesis' title)"
    assert not (folder / "experiment.json").exists()
