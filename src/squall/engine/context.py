"""RunContext: everything one run shares, passed once instead of ten parameters."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from squall._record import Record
from squall.engine.outputs import OutputStore
from squall.experiment.model import Activity
from squall.journal.model import ActivityRun, HypothesisRun
from squall.journal.recorder import Recorder
from squall.plan import Plan
from squall.providers import ProviderRegistry

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost

if TYPE_CHECKING:
    from typing import Any, Protocol

    from squall.hooks.manager import HookCaller
    from squall.hooks.view import RunView

__all__ = ["Interruption", "Listener", "LoggingListener", "NullListener", "RunContext", "now_iso"]


_time_ns = time.time_ns
#: (first nanosecond, first nanosecond of the next, "YYYY-MM-DDTHH:MM:SS") of the second of
#: the last timestamp: one tuple, swapped whole
_second: tuple[int, int, str] = (0, 0, "")


def now_iso() -> str:
    """The time now as ``datetime.now(UTC).isoformat()`` writes it (microseconds floored,
    left out when zero), in a fifth of its time: the date and time of the second are
    formatted once per second (two timestamps per activity), and the microseconds are
    counted from the second's first nanosecond (no division of the whole clock)."""
    now = _time_ns()
    known = _second
    if not known[0] <= now < known[1]:
        known = _second_text(now)
    micro = (now - known[0]) // 1000
    # six digits, zeros first: the digits of 1000000 + micro but its leading 1 (cheaper
    # than a format specification)
    return f"{known[2]}.{str(1_000_000 + micro)[1:]}+00:00" if micro else f"{known[2]}+00:00"


def _second_text(now: int) -> tuple[int, int, str]:
    global _second
    second = now // 1_000_000_000
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
    _second = (second * 1_000_000_000, (second + 1) * 1_000_000_000, text)
    return _second


if TYPE_CHECKING:

    class Listener(Protocol):
        """Receives progress as the run goes (the CLI prints it)."""

        def phase(self, name: str) -> None: ...

        def activity_started(self, activity: Activity, phase: str) -> None: ...

        def pausing(self, activity: Activity, where: str, seconds: float) -> None: ...

        def activity_finished(self, run: ActivityRun, phase: str) -> None: ...

        def hypothesis_finished(self, phase: str, result: HypothesisRun) -> None: ...

        def warning(self, text: str) -> None: ...

        def run_started(self, title: str, run_id: str) -> None: ...


class NullListener:
    def phase(self, name: str) -> None:
        pass

    def activity_started(self, activity: Activity, phase: str) -> None:
        pass

    def pausing(self, activity: Activity, where: str, seconds: float) -> None:
        pass

    def activity_finished(self, run: ActivityRun, phase: str) -> None:
        pass

    def hypothesis_finished(self, phase: str, result: HypothesisRun) -> None:
        pass

    def warning(self, text: str) -> None:
        pass

    def run_started(self, title: str, run_id: str) -> None:
        pass


class LoggingListener(NullListener):
    """The listener of a run given none (the Python API, the pytest plugin, an ``Engine``
    made without one): the run's warnings (an undeclared override key, a rollback played
    again, the run history...) go to the ``squall.run`` logger at WARNING, masked, so a
    program sees them on stderr as Python shows any library's warning when logging is not
    configured, and routes or silences them with :mod:`logging` when it is."""

    def warning(self, text: str) -> None:
        from squall._log import get_logger
        from squall.errors import printable
        from squall.masking import mask_text

        get_logger("squall.run").warning("%s", printable(mask_text(text)))


class Interruption(Record):
    """Why the run was asked to stop."""

    __slots__ = ("kind", "name", "play_rollbacks", "reason", "wait_background")

    def __init__(
        self,
        name: str,
        reason: str,
        play_rollbacks: bool = True,
        wait_background: bool = False,
        kind: str = "signal",
    ) -> None:
        self.kind = kind  # "signal", "control" or "plugin"
        self.name = name  # SIGINT, SIGTERM, SIGUSR1, SIGUSR2, or a control's name
        self.reason = reason
        self.play_rollbacks = play_rollbacks  # False after SIGUSR2 (exit "ungracefully")
        self.wait_background = wait_background  # True after SIGUSR1 (exit "gracefully")


class RunContext:
    """The state of one run, shared by the engine's functions and threads."""

    __slots__ = (
        "aborted_by",
        "activity_hooks",
        "configuration",
        "fail_fast_tripped",
        "halt",
        "hooks",
        "interruption",
        "listener",
        "lock",
        "outputs",
        "plan",
        "raise_on_signal",
        "recorder",
        "registry",
        "repeats",
        "secrets",
        "shield",
        "stop",
        "variables",
        "view",
    )

    def __init__(
        self,
        *,
        plan: Plan,
        registry: ProviderRegistry,
        recorder: Recorder,
        listener: Listener,
        configuration: dict[str, Any] | None = None,
        secrets: dict[str, dict[str, Any]] | None = None,
        variables: Mapping[str, Any] | None = None,
        hooks: HookCaller | None = None,
    ) -> None:
        self.plan = plan
        self.registry = registry
        self.recorder = recorder
        self.listener = listener
        # the same objects the ${} lookup reads: a control's change is seen by later activities
        self.configuration: dict[str, Any] = {} if configuration is None else configuration
        self.secrets: dict[str, dict[str, Any]] = {} if secrets is None else secrets
        self.variables: Mapping[str, Any] = {} if variables is None else variables
        self.hooks = hooks
        #: whether any plugin or control wants to see each activity (checked per activity)
        self.activity_hooks = self.hooked("squall_before_activity") or self.hooked(
            "squall_after_activity"
        )
        self.view: RunView | None = None
        #: the run was asked to stop: no further activity starts
        self.stop = threading.Event()
        #: the activity that runs must stop now (set with ``stop``, except by the first
        #: signal during rollbacks, which lets the running rollback finish)
        self.halt = threading.Event()
        self.interruption: Interruption | None = None
        #: True while the main thread runs user code or sleeps: a signal may raise there.
        self.raise_on_signal = False
        #: while rollbacks play: signals received (the first lets the current rollback
        #: finish and leaves the rest owed; a second may stop it); None outside rollbacks
        self.shield: int | None = None
        self.fail_fast_tripped = False
        #: the method activity whose failure policy ("abort") stopped the method
        self.aborted_by = ""
        self.lock = threading.Lock()
        #: iterations asked for by hooks (RunView.request_repeat), by id of the mapping
        self.repeats: dict[int, int] = {}
        #: outputs of finished activities, for ${outputs...} (see engine/outputs.py)
        self.outputs = OutputStore(plan.experiment.raw, placeholders=plan.experiment.placeholders)

    @property
    def stopped(self) -> bool:
        """A stop was asked (the phase machine reads the context as its state)."""
        return self.stop.is_set()

    def fire(self, name: str, **kwargs: Any) -> None:
        """Call a lifecycle hook (no cost when no plugin implements it)."""
        if self.hooks is not None and self.hooks.active(name):
            self.hooks.call(name, run=self.view, **kwargs)

    def hooked(self, name: str) -> bool:
        return self.hooks is not None and self.hooks.active(name)
