"""Kills at random moments: every owed rollback is played exactly once.

Each case is one trial of tests/support/killtrial.py (read its docstring for what is
checked): a real ``squall run`` gets a signal at a random moment of the named phase,
then ``squall recover RUN_ID`` runs from another directory, and the rollbacks' marker
lines are counted. The fixed cases cover each signal in each phase under both
strategies that owe rollbacks; the slow one draws every choice. A longer campaign:
``.venv/bin/python tests/support/killtrial.py 300``.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from killtrial import trial

KILL, TERM, INT = signal.SIGKILL, signal.SIGTERM, signal.SIGINT

CASES = [
    # (seed, strategy, signal, moment, second signal, second run, recovery killed)
    (1, "default", KILL, "rollbacks", False, False, False),
    (2, "always", KILL, "method", False, True, False),
    (3, "default", KILL, "rollbacks", False, False, True),
    (4, "default", TERM, "rollbacks", False, False, False),
    (5, "always", TERM, "rollbacks", True, False, False),
    (7, "default", INT, "rollbacks", True, True, False),
]
SLOW_CASES = [
    (6, "always", INT, "method", False, False, False),
    (8, "always", TERM, "start", False, False, False),
]


@pytest.mark.parametrize(
    ("seed", "strategy", "sig", "moment", "second", "again", "kill_recovery"),
    [
        *CASES,
        *(pytest.param(*c, marks=pytest.mark.slow) for c in SLOW_CASES),
    ],
    ids=[f"{c[1]}-{c[2].name}-{c[3]}{'-twice' if c[4] else ''}" for c in CASES + SLOW_CASES],
)
def test_a_kill_at_a_random_moment_of_a_phase(
    tmp_path: Path,
    seed: int,
    strategy: str,
    sig: signal.Signals,
    moment: str,
    second: bool,
    again: bool,
    kill_recovery: bool,
) -> None:
    outcome = trial(
        seed,
        tmp_path,
        strategy=strategy,
        sig=sig,
        moment=moment,
        second=second,
        again=again,
        kill_recovery=kill_recovery,
    )
    assert outcome.problems == [], outcome.description


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 108))
def test_a_kill_at_a_random_moment(tmp_path: Path, seed: int) -> None:
    outcome = trial(seed, tmp_path)
    assert outcome.problems == [], outcome.description
