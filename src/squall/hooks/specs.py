"""Every lifecycle hook of a run. An implementation may accept any subset of a spec's
arguments (pluggy checks the names when the plugin registers).

Order during ``squall run`` (each ``before`` has its ``after``, even when the block failed)::

    squall_configure
    squall_before_experiment
      squall_before_hypothesis
        squall_before_activity ... squall_after_activity   (per probe)
      squall_after_hypothesis
      squall_before_method
        squall_before_activity  (per activity, background ones too)  squall_after_activity
      squall_after_method
      (hypothesis after the method, as above)
      squall_before_rollbacks ... squall_after_rollbacks
    squall_after_experiment
    squall_cleanup

Arguments:
    run: the ``RunView`` of this run: ``experiment`` (typed model), ``configuration``,
        ``secrets``, ``journal`` (so far), ``run_id``, ``settings``, and
        ``request_stop(reason)`` to interrupt the run cleanly.
    phase: where the hypothesis or activity runs: ``hypothesis-before``,
        ``hypothesis-during``, ``hypothesis-after``, ``method`` or ``rollbacks``.
    activity: the activity as a plain (mutable) mapping; a before-hook may set
        ``"dry": true`` to skip it.
    result / entries / entry / journal: what the block produced.

A hook that raises is reported with its plugin's name; the run goes on. To stop the run a
hook calls ``run.request_stop(reason)`` or raises ``squall.Interrupted``.
"""

from __future__ import annotations

from typing import Any

from squall.hooks.markers import hookspec

__all__ = ["LifecycleSpec"]


class LifecycleSpec:
    """The hook specifications (names start with ``squall_``)."""

    @hookspec
    def squall_configure(self, run: Any) -> None:
        """Once, after configuration and secrets are resolved, before anything runs."""

    @hookspec
    def squall_before_experiment(self, run: Any) -> None:
        """Before the first phase."""

    @hookspec
    def squall_after_experiment(self, run: Any, journal: Any) -> None:
        """After rollbacks, with the journal (final status set)."""

    @hookspec
    def squall_before_hypothesis(self, run: Any, phase: str) -> None:
        """Before a steady-state hypothesis check."""

    @hookspec
    def squall_after_hypothesis(self, run: Any, phase: str, result: Any) -> None:
        """After a check, with its ``HypothesisRun``."""

    @hookspec
    def squall_before_method(self, run: Any) -> None:
        """Before the method's first activity."""

    @hookspec
    def squall_after_method(self, run: Any, entries: list[Any]) -> None:
        """After the method, with its run entries."""

    @hookspec
    def squall_before_rollbacks(self, run: Any) -> None:
        """Before the rollbacks (only when they are played)."""

    @hookspec
    def squall_after_rollbacks(self, run: Any, entries: list[Any]) -> None:
        """After the rollbacks, with their run entries."""

    @hookspec
    def squall_before_activity(self, run: Any, activity: dict[str, Any], phase: str) -> None:
        """Before an activity; setting ``activity["dry"] = True`` skips it."""

    @hookspec
    def squall_after_activity(
        self, run: Any, activity: dict[str, Any], phase: str, entry: Any
    ) -> None:
        """After an activity, with its ``ActivityRun``."""

    @hookspec
    def squall_cleanup(self, run: Any) -> None:
        """Once, at the very end (even after an interruption)."""
