"""Secret scopes: the secrets of one run are masked in that run, not in the next one
the same process runs.

A :class:`SecretScope` holds the secrets registered while it is the context's current
scope (a :mod:`contextvars` variable: it follows ``asyncio`` tasks, and threads started
with :meth:`SecretScope.bind` or ``contextvars.copy_context().run``). What a context
masks:

- inside a scope: its own secrets, those of the scopes it was opened in (its
  ancestors) and of the process (registered outside any scope), and those of the scopes
  opened inside it that have ended (a suite's summary masks every run of the suite);
  not those of its sibling scopes (the previous run of a suite, another experiment of a
  worker);
- outside any scope (the process's own code, and any thread started without the
  context, such as a background activity's): **every secret registered so far**, in any
  scope, ended or not. A thread of a run that did not carry the run's scope therefore
  still masks that run's secrets, even after the run ended (a Python activity abandoned
  at its timeout keeps running): masking never depends on a thread having the right
  context, only its precision does.

Ending a scope (:meth:`SecretScope.close`) never unmasks anything in a context that
could write about that run: its secrets move to the enclosing scope (or stay in the
process-wide set), and a context still running inside the ended scope keeps its view.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from _weakrefset import WeakSet  # weakref.WeakSet itself, without weakref (1.7 M instructions)
from collections.abc import Callable, Iterable, Iterator

from squall.masking._masker import Masker

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any, ParamSpec, TypeVar

    _P = ParamSpec("_P")
    _T = TypeVar("_T")

__all__ = [
    "SecretScope",
    "current_scope",
    "open_scope",
    "register_in_scope",
    "run_in_context",
    "scope_masker",
    "secret_scope",
]


_LOCK = threading.RLock()
_CURRENT: contextvars.ContextVar[SecretScope | None] = contextvars.ContextVar(
    "squall_secret_scope", default=None
)
#: every secret registered in this process, in any scope: what a context outside any
#: scope masks (it never shrinks)
_EVERYTHING = Masker()
#: False until a first secret is registered: until then no masker holds anything and
#: every mask function returns its argument at once (the usual run has no secret)
any_secret = False
#: secrets registered outside any scope: masked in every scope too
_PROCESS: set[str] = set()
#: the scopes still referenced (open, or the context of a thread that outlived its run)
_SCOPES: WeakSet[SecretScope] = WeakSet()


class SecretScope:
    """The secrets of one run (or of a suite of runs, with a scope per run inside it).

    Open one with :func:`secret_scope` (or :func:`open_scope`, then :meth:`active` for
    each part of the work and :meth:`close` at the end)."""

    __slots__ = ("__weakref__", "_closed", "_kept", "_own", "_view", "parent")

    def __init__(self, parent: SecretScope | None) -> None:
        self.parent = parent
        self._own: set[str] = set()
        #: secrets of the scopes opened inside this one that have ended
        self._kept: set[str] = set()
        self._closed = False
        inherited = set(_PROCESS)
        for ancestor in self._ancestors():
            inherited |= ancestor._own
        self._view = Masker(inherited)

    def _ancestors(self) -> Iterator[SecretScope]:
        scope = self.parent
        while scope is not None:
            yield scope
            scope = scope.parent

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def masker(self) -> Masker:
        """What a context inside this scope masks."""
        return self._view

    @contextlib.contextmanager
    def active(self) -> Iterator[SecretScope]:
        """Make this scope the context's current one for the block: what is registered
        there is this scope's; what is masked there is this scope's view."""
        token = _CURRENT.set(self)
        try:
            yield self
        finally:
            _CURRENT.reset(token)

    def bind(self, function: Callable[_P, _T]) -> Callable[_P, _T]:
        """``function`` made to run inside this scope (for a thread's target)."""

        def bound(*args: _P.args, **kwargs: _P.kwargs) -> _T:
            with self.active():
                return function(*args, **kwargs)

        return bound

    def close(self) -> None:
        """End the scope: its secrets are masked from now on only where the enclosing
        scope's are (and, as always, outside any scope). Idempotent."""
        with _LOCK:
            if self._closed:
                return
            self._closed = True
            if self.parent is not None:
                ended = self._own | self._kept
                self.parent._kept |= ended
                self.parent._view.add(ended)

    def _register(self, texts: set[str]) -> None:
        self._own |= texts
        for scope in list(_SCOPES):
            if scope is self or self in scope._ancestors():
                scope._view.add(texts)


def current_scope() -> SecretScope | None:
    """The context's current scope (``None``: outside any scope)."""
    return _CURRENT.get()


def open_scope() -> SecretScope:
    """A new scope inside the context's current one (not made current: see
    :meth:`SecretScope.active`)."""
    with _LOCK:
        scope = SecretScope(_CURRENT.get())
        _SCOPES.add(scope)
        return scope


@contextlib.contextmanager
def secret_scope() -> Iterator[SecretScope]:
    """A scope for the block (a run): opened inside the current one, current in the
    block, closed at its end, whatever ends it."""
    scope = open_scope()
    try:
        with scope.active():
            yield scope
    finally:
        scope.close()


def register_in_scope(texts: Iterable[str]) -> None:
    """Mask ``texts`` in the context's current scope (outside any scope: everywhere)."""
    new = {t for t in texts if t}
    if not new:
        return
    global any_secret
    with _LOCK:
        _EVERYTHING.add(new)
        any_secret = True
        scope = _CURRENT.get()
        if scope is not None:
            scope._register(new)
            return
        _PROCESS.update(new)
        for each in list(_SCOPES):
            each._view.add(new)


def scope_masker() -> Masker:
    """What the calling context masks with (see the module's doc)."""
    scope = _CURRENT.get()
    return _EVERYTHING if scope is None else scope._view


def run_in_context(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` made to run in a copy of the caller's context (its secret scope
    included): for the target of a thread."""
    context = contextvars.copy_context()
    return lambda *args, **kwargs: context.run(function, *args, **kwargs)
