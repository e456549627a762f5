"""The parts of the experiment workflow (:mod:`squall.temporal.workflow` puts them
together): its state, and how it performs each kind of step the phase machine issues.

This is workflow code. It runs in Temporal's sandbox, passed through (``squall worker``
lets ``squall``'s modules through, :func:`squall.temporal.worker.workflow_runner`), so
it must stay deterministic: time is ``workflow.now()``, waits are durable timers
(``workflow.sleep``, ``workflow.wait_condition``), no I/O, no randomness, and a replay
issues the same Temporal commands in the same order (tests/temporal/test_replay.py).
It holds no rules of the run: the phase machine (:mod:`squall.engine.machine`) decides
what runs next, and :mod:`squall.engine.rules` how the journal ends.
"""

from __future__ import annotations
