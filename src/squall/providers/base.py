"""The provider interface: how an activity touches the world."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from squall.errors import Problem

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any, Protocol

__all__ = ["Call", "Provider", "ProviderRegistry", "cancel_event", "cancellable", "new_call"]


class _Cancel(threading.local):
    """This thread's ``cancellable`` event. The class default answers a thread that never
    set one: ``getattr`` of a missing attribute of a bare ``threading.local`` raised and
    caught an AttributeError on every call (about 4 k instructions per activity)."""

    event: threading.Event | None = None


_CANCEL = _Cancel()


class cancellable:
    """Within this block (one thread), calls carry ``event`` as ``Call.cancel``: a provider
    that can stop its work early (the process provider kills its process) does so when it
    is set. The engine uses it for the activities of a parallel group."""

    __slots__ = ("event",)

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __enter__(self) -> None:
        _CANCEL.event = self.event

    def __exit__(self, *exc_info: object) -> None:
        _CANCEL.event = None


def cancel_event() -> threading.Event | None:
    """The event of the ``cancellable`` block this thread is in, if any."""
    return _CANCEL.event


class Call:
    """What a provider gets for one execution."""

    __slots__ = (
        "cancel",
        "configuration",
        "extra_arguments",
        "in_hypothesis",
        "isolation",
        "name",
        "secrets",
        "stop",
        "timeout",
        "variables",
        "warnings",
    )

    def __init__(
        self,
        *,
        name: str,
        variables: Mapping[str, Any],
        configuration: Mapping[str, Any] | None = None,
        secrets: Mapping[str, Mapping[str, Any]] | None = None,
        timeout: float | None = None,
        in_hypothesis: bool = False,
        extra_arguments: Mapping[str, Any] | None = None,
        warnings: list[str] | None = None,
        isolation: str | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.name = name
        self.variables = variables  # configuration, then secrets, for ${name} substitution
        self.configuration: Mapping[str, Any] = configuration or {}
        self.secrets: Mapping[str, Mapping[str, Any]] = secrets or {}
        self.timeout = timeout  # activity-level timeout, enforced by every provider
        self.in_hypothesis = in_hypothesis
        self.extra_arguments: Mapping[str, Any] = extra_arguments or {}  # e.g. tolerance value
        self.warnings: list[str] = [] if warnings is None else warnings
        #: set when the engine wants this call to stop early (see ``cancellable``)
        self.cancel: threading.Event | None = _CANCEL.event
        self.isolation = isolation  # "process": run a python function in a child process
        self.stop = stop  # the run's stop request: an isolated python call is then killed


_new = object.__new__


def new_call(
    name: str,
    variables: Mapping[str, Any],
    configuration: Mapping[str, Any],
    secrets: Mapping[str, Mapping[str, Any]],
    timeout: float | None,
    in_hypothesis: bool,
    extra_arguments: Mapping[str, Any],
    warnings: list[str],
    isolation: str | None,
    stop: threading.Event | None,
) -> Call:
    """``Call(...)`` with every field given, in order: the engine's call of each activity.
    A class called with keywords gets them as a new dict (``type.__call__`` to
    ``__init__``): 8.4 k instructions per call against 4.0 k here."""
    call = _new(Call)
    call.name = name
    call.variables = variables
    call.configuration = configuration
    call.secrets = secrets
    call.timeout = timeout
    call.in_hypothesis = in_hypothesis
    call.extra_arguments = extra_arguments
    call.warnings = warnings
    call.cancel = _CANCEL.event
    call.isolation = isolation
    call.stop = stop
    return call


if TYPE_CHECKING:

    class Provider(Protocol):
        """A provider type: ``check`` before the run, ``run`` during it."""

        type: str

        def check(self, spec: Any, pointer: str) -> list[Problem]:
            """Problems that can be found before running (never raises)."""
            ...

        def run(self, spec: Any, call: Call) -> Any:
            """Execute and return the activity's output.

            Raises:
                ActivityFailed: the activity did not work (ActivityTimeout when it overran).
            """
            ...


class ProviderRegistry:
    """Provider types by name; owned by one engine (no global state)."""

    def __init__(self, providers: list[Provider] | None = None) -> None:
        self._providers: dict[str, Provider] = {}
        for provider in providers or []:
            self.add(provider)

    def add(self, provider: Provider) -> None:
        self._providers[provider.type] = provider

    def get(self, kind: str) -> Provider | None:
        return self._providers.get(kind)

    def types(self) -> list[str]:
        return sorted(self._providers)

    def close(self) -> None:
        """The run is over: providers that keep something open for it (the http
        provider's kept-alive connections) close it."""
        for provider in self._providers.values():
            close = getattr(provider, "close", None)
            if callable(close):
                close()


def select_secrets(call: Call, scopes: tuple[str, ...]) -> dict[str, Any]:
    """The listed secret scopes merged into one flat mapping (the reference's rule)."""
    merged: dict[str, Any] = {}
    for scope in scopes:
        merged.update(call.secrets.get(scope, {}))
    return merged
