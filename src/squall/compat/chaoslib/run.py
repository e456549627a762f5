"""``chaoslib.run``: the event handler classes controls subclass and import.

squall serves the classes so such modules import, and hands controls an
``EventHandlerRegistry`` in ``configure_control``: squall.hooks.ctkevents sends the
run's events to the handlers registered there (docs/compatibility.md, "Run event
handlers").
"""

from __future__ import annotations

from typing import Any

from squall._log import get_logger

__all__ = ["EVENTS", "EventHandlerRegistry", "RunEventHandler"]

log = get_logger("squall.compat")

#: the run events of chaoslib's RunEventHandler, in the order a run meets them
EVENTS = (
    "started",
    "running",
    "start_hypothesis_before",
    "hypothesis_before_completed",
    "start_continuous_hypothesis",
    "continuous_hypothesis_iteration",
    "continuous_hypothesis_completed",
    "start_method",
    "start_activity",
    "activity_completed",
    "method_completed",
    "start_hypothesis_after",
    "hypothesis_after_completed",
    "start_rollbacks",
    "rollbacks_completed",
    "start_cooldown",
    "cooldown_completed",
    "interrupted",
    "signal_exit",
    "finish",
)


def _ignore(self: Any, *args: Any, **kwargs: Any) -> None:
    """A handler method that does nothing unless a subclass overrides it."""


def _dispatch(event: str) -> Any:
    def call(self: EventHandlerRegistry, *args: Any, **kwargs: Any) -> None:
        for handler in self.handlers:
            try:
                getattr(handler, event)(*args, **kwargs)
            except Exception:
                log.debug("handler %s failed", type(handler).__name__, exc_info=True)

    call.__name__ = event
    return call


class RunEventHandler:
    """Base class of a handler: every event method does nothing by default."""


class EventHandlerRegistry:
    """Handlers, each called for every event (a failing one is logged and skipped)."""

    def __init__(self) -> None:
        self.handlers: list[Any] = []

    def register(self, handler: Any) -> None:
        self.handlers.append(handler)


for _event in EVENTS:
    setattr(RunEventHandler, _event, _ignore)
    setattr(EventHandlerRegistry, _event, _dispatch(_event))
