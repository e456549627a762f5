"""RunContext: everything one run shares, passed once instead of ten parameters."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from squall.experiment.model import Activity
from squall.journal.model import ActivityRun, HypothesisRun
from squall.journal.recorder import Recorder
from squall.plan import Plan
from squall.providers import ProviderRegistry

if TYPE_CHECKING:
    from squall.hooks.manager import HookCaller
    from squall.hooks.view import RunView

__all__ = ["Interruption", "Listener", "NullListener", "RunContext", "now_iso"]


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


class Listener(Protocol):
    """Receives progress as the run goes (the CLI prints it)."""

    def phase(self, name: str) -> None: ...

    def activity_started(self, activity: Activity, phase: str) -> None: ...

    def activity_finished(self, run: ActivityRun, phase: str) -> None: ...

    def hypothesis_finished(self, phase: str, result: HypothesisRun) -> None: ...

    def warning(self, text: str) -> None: ...


class NullListener:
    def phase(self, name: str) -> None:
        pass

    def activity_started(self, activity: Activity, phase: str) -> None:
        pass

    def activity_finished(self, run: ActivityRun, phase: str) -> None:
        pass

    def hypothesis_finished(self, phase: str, result: HypothesisRun) -> None:
        pass

    def warning(self, text: str) -> None:
        pass


@dataclass(slots=True)
class Interruption:
    """Why the run was asked to stop."""

    name: str  # SIGINT, SIGTERM, SIGUSR1, SIGUSR2, or a control's name
    reason: str
    play_rollbacks: bool = True  # False after SIGUSR2 (exit "ungracefully")
    wait_background: bool = False  # True after SIGUSR1 (exit "gracefully")


@dataclass(slots=True)
class RunContext:
    plan: Plan
    registry: ProviderRegistry
    recorder: Recorder
    listener: Listener
    configuration: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, dict[str, Any]] = field(default_factory=dict)
    variables: Mapping[str, Any] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    interruption: Interruption | None = None
    #: True while the main thread runs user code or sleeps: a signal may raise there.
    raise_on_signal: bool = False
    fail_fast_tripped: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    hooks: HookCaller | None = None
    view: RunView | None = None

    def fire(self, name: str, **kwargs: Any) -> None:
        """Call a lifecycle hook (no cost when no plugin implements it)."""
        if self.hooks is not None and self.hooks.active(name):
            self.hooks.call(name, run=self.view, **kwargs)

    def hooked(self, name: str) -> bool:
        return self.hooks is not None and self.hooks.active(name)
