"""``python`` provider: import ``module``, bind ``arguments`` to ``func`` and call it."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import BuiltinFunctionType, CodeType, FunctionType

from squall.compat import import_module
from squall.errors import ActivityFailed, ActivityTimeout, Cancelled, Interrupted, Problem
from squall.experiment.model import PythonSpec
from squall.experiment.substitute import substitute
from squall.masking import run_in_context
from squall.providers.base import Call, select_secrets
from squall.show import show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["PythonProvider", "UserCodeError", "resolve_target"]

INJECTED = ("configuration", "secrets")


class UserCodeError(ActivityFailed):
    """A driver function raised; keeps the formatted traceback for the journal."""

    def __init__(self, message: str, lines: list[str]) -> None:
        super().__init__(message)
        self.lines = lines


class _Target:
    """A resolved function and what its signature accepts."""

    __slots__ = ("func", "params", "required", "wants_configuration", "wants_secrets")

    def __init__(
        self,
        func: Callable[..., Any],
        params: frozenset[str] | None,  # None: unknown signature (a builtin) or **kwargs
        required: frozenset[str],
        wants_configuration: bool,
        wants_secrets: bool,
    ) -> None:
        self.func = func
        self.params = params
        self.required = required
        self.wants_configuration = wants_configuration
        self.wants_secrets = wants_secrets


class PythonProvider:
    """Calls plain Python functions; module imports and signatures are cached per engine."""

    type = "python"

    def __init__(self) -> None:
        self._targets: dict[tuple[str, str], _Target] = {}
        #: the threads that run calls with a timeout, kept for the run's next ones
        self._workers = _Workers()

    def close(self) -> None:
        """The run is over: its idle worker threads end."""
        self._workers.close()

    def check(self, spec: PythonSpec, pointer: str) -> list[Problem]:
        try:
            target = self._targets.get((spec.module, spec.func)) or self._target(
                spec.module, spec.func
            )
        except _ResolveError as exc:
            return [Problem(f"{pointer}/provider/{exc.field}", str(exc), exc.hint)]
        return _check_arguments(target, spec, pointer)

    def run(self, spec: PythonSpec, call: Call) -> Any:
        target = self._targets.get((spec.module, spec.func)) or self._target(spec.module, spec.func)
        kwargs = (
            substitute(spec.arguments, call.variables) if spec.templated else dict(spec.arguments)
        )
        if call.extra_arguments:
            kwargs = {**kwargs, **call.extra_arguments}
        if target.wants_configuration:
            kwargs["configuration"] = dict(call.configuration)
        if target.wants_secrets and spec.secrets:
            kwargs["secrets"] = select_secrets(call, spec.secrets)
        if call.isolation == "process":
            from squall.providers.isolation import run_isolated

            return run_isolated(spec.module, spec.func, kwargs, call)
        if call.cancel is not None:  # background, parallel: a stop interrupts it
            return _invoke_in_worker(
                target.func, kwargs, call.timeout, call.name, self._workers, call.cancel
            )
        if call.timeout is None:
            return _invoke(target.func, kwargs)
        return _invoke_in_worker(target.func, kwargs, call.timeout, call.name, self._workers)

    def _target(self, module_name: str, func_name: str) -> _Target:
        key = (module_name, func_name)
        target = self._targets.get(key)
        if target is None:
            target = self._targets[key] = resolve_target(module_name, func_name)
        return target


class _ResolveError(ActivityFailed):
    """The module or function of a python provider cannot be found."""

    def __init__(self, message: str, field: str, hint: str) -> None:
        super().__init__(message)
        self.field = field
        self.hint = hint


def resolve_target(module_name: str, func_name: str) -> _Target:
    """``module_name.func_name`` imported and described (validate's argument-type check
    finds the function this way too).

    Raises:
        ActivityFailed: the module cannot be imported (whatever its own code raised) or
            has no such function; the message says which and why.
    """
    try:
        module = import_module(module_name)
    except ImportError as exc:
        missing = f" (missing: {exc.name})" if exc.name and exc.name != module_name else ""
        raise _ResolveError(
            f"cannot import module {show_value(module_name)}: {exc}{missing}; interpreter "
            f"{sys.executable}",
            "module",
            getattr(exc, "squall_hint", None)
            or f"install the driver into the interpreter squall runs on ({sys.executable})",
        ) from exc
    except BaseException as exc:  # SystemExit in the module's own code too
        raise _ResolveError(
            f"cannot import module {show_value(module_name)}: importing it raised "
            f"{type(exc).__name__}: {exc}",
            "module",
            "the module itself is broken: run `python -c 'import "
            f"{module_name}'` to see the traceback",
        ) from exc
    func = getattr(module, func_name, None)
    if func is None or not callable(func):
        public = sorted(n for n in getattr(module, "__all__", dir(module)) if not n.startswith("_"))
        raise _ResolveError(
            f"function {show_value(func_name)} not found in module {show_value(module_name)}",
            "func",
            "available: " + ", ".join(public[:15]) + (" ..." if len(public) > 15 else ""),
        )
    return _describe(func)


_CO_VARKEYWORDS = 0x08


def _describe(func: Callable[..., Any]) -> _Target:
    """What ``func`` accepts; read from its code object when it is a plain function
    (``inspect`` is costly to import), with ``inspect.signature`` for anything else."""
    if type(func) is FunctionType and not hasattr(func, "__wrapped__"):
        code = func.__code__
        if code.co_posonlyargcount == 0:
            return _from_code(func, code)
    if type(func) is BuiltinFunctionType:  # os.getpid, time.sleep ...
        target = _from_text_signature(func)
        if target is not None:
            return target
    return _from_signature(func)


def _from_text_signature(func: Callable[..., Any]) -> _Target | None:
    """A builtin's ``__text_signature__`` read as ``inspect.signature`` reads it, when it
    is a simple list of names (None otherwise: quotes, brackets or annotations)."""
    text = getattr(func, "__text_signature__", None)
    if not text or not (text.startswith("(") and text.endswith(")")):
        return None
    inner = text[1:-1]
    if any(c in inner for c in "'\"()[]{}:<>"):
        return None
    tokens = [t.strip() for t in inner.split(",") if t.strip()]
    if tokens and tokens[0].startswith("$"):
        tokens = tokens[1:]  # the module or the object the builtin is bound to
    if "/" in tokens:
        tokens = tokens[tokens.index("/") + 1 :]  # positional-only: never given by name
    named: list[str] = []
    required: list[str] = []
    all_names: list[str] = []
    var_keyword = False
    for token in tokens:
        name, has_default, _ = token.partition("=")
        name = name.strip()
        if name == "*":
            continue
        if name.startswith("**"):
            var_keyword = True
            all_names.append(name[2:])
        elif name.startswith("*"):
            all_names.append(name[1:])
        elif name.isidentifier():
            named.append(name)
            all_names.append(name)
            if not has_default and name not in INJECTED:
                required.append(name)
        else:
            return None
    return _Target(
        func=func,
        params=None if var_keyword else frozenset(named),
        required=frozenset(required),
        wants_configuration="configuration" in all_names,
        wants_secrets="secrets" in all_names,
    )


def _from_code(func: FunctionType, code: CodeType) -> _Target:
    count, kw_count = code.co_argcount, code.co_kwonlyargcount
    by_position = code.co_posonlyargcount  # f(a, /): "a" cannot be given by name
    positional = code.co_varnames[by_position:count]
    keyword_only = code.co_varnames[count : count + kw_count]
    defaults = len(func.__defaults__ or ())
    kw_defaults = func.__kwdefaults__ or {}
    names = frozenset(positional + keyword_only)
    required = frozenset(positional[: max(count - by_position - defaults, 0)]) | {
        n for n in keyword_only if n not in kw_defaults
    }
    return _Target(
        func=func,
        params=None if code.co_flags & _CO_VARKEYWORDS else names,
        required=required - set(INJECTED),
        wants_configuration="configuration" in names,
        wants_secrets="secrets" in names,
    )


def _from_signature(func: Callable[..., Any]) -> _Target:
    import inspect

    try:
        signature = inspect.signature(func)
    except (ValueError, TypeError):  # builtins without a signature, e.g. time.time
        return _Target(func, None, frozenset(), False, False)
    params = signature.parameters
    var_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
    named = frozenset(
        n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    )
    required = frozenset(
        n
        for n, p in params.items()
        if p.default is p.empty
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        and n not in INJECTED
    )
    return _Target(
        func=func,
        params=None if var_kw else named,
        required=required,
        wants_configuration="configuration" in params,
        wants_secrets="secrets" in params,
    )


def _check_arguments(target: _Target, spec: PythonSpec, pointer: str) -> list[Problem]:
    arguments = spec.arguments
    params = target.params
    if (params is None or params.issuperset(arguments)) and target.required.issubset(arguments):
        return []  # the usual case: every argument accepted, none missing
    given = set(arguments)
    where = f"{pointer}/provider/arguments"
    problems = []
    if target.params is not None:
        for name in sorted(given - target.params):
            problems.append(_unknown_argument(target, spec, f"{where}/{name}", name))
    for name in sorted(target.required - given):
        problems.append(
            Problem(
                where,
                f"{spec.func}() requires argument {show_value(name)}",
                f'add "{name}" to arguments',
            )
        )
    return problems


def _unknown_argument(target: _Target, spec: PythonSpec, where: str, name: str) -> Problem:
    """An argument the function does not take by name: none of that name, or one it
    takes only by position (``getitem(a, b, /)``), which squall cannot pass."""
    import inspect

    try:
        signature = inspect.signature(target.func)
    except (ValueError, TypeError):
        signature = None
    params = signature.parameters if signature is not None else {}
    if name in params and params[name].kind is inspect.Parameter.POSITIONAL_ONLY:
        return Problem(
            where,
            f"{spec.func}{signature} takes {show_value(name)} by position only: it cannot "
            "be given by name, and squall passes arguments by name",
            f"wrap {spec.func}() in a function of your own that takes {show_value(name)} by name",
        )
    accepted = ", ".join(sorted((target.params or frozenset()) - set(INJECTED))) or "none"
    return Problem(
        where,
        f"{spec.func}() has no argument {show_value(name)}",
        f"accepted arguments: {accepted}",
    )


def _invoke(func: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    try:
        return func(**kwargs)
    except Interrupted:
        raise
    except ActivityFailed as exc:
        raise UserCodeError(str(exc), _traceback(exc)) from exc
    except BaseException as exc:  # sys.exit(), KeyboardInterrupt...: must not end squall
        message = f"{type(exc).__name__}: {exc}"
        raise UserCodeError(message, _traceback(exc)) from exc


def _traceback(exc: BaseException) -> list[str]:
    import traceback

    return traceback.format_exception(exc)


def _invoke_in_worker(
    func: Callable[..., Any],
    kwargs: dict[str, Any],
    timeout: float | None,
    name: str,
    workers: _Workers,
    cancel: threading.Event | None = None,
) -> Any:
    """Run in a daemon worker thread; abandon it if it overruns (Python cannot kill a
    thread): that thread is never given another call. Once ``cancel`` is set (a stop),
    ``Interrupted`` is raised in that thread (``_interrupt``), so Python code stops at
    its next line; code that swallows it or is blocked in C is left to the caller's
    grace."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        threading.current_thread().name = f"squall-activity-{name}"
        box["thread"] = threading.get_ident()
        try:
            box["value"] = _invoke(func, kwargs)
        except BaseException as exc:
            box["error"] = exc
        finally:
            done.set()

    worker = workers.take()
    # the caller's context: the run's secret scope masks what the function prints
    worker.put(run_in_context(work))
    if not _wait(done, timeout, cancel, box):
        worker.put(None)  # it ends once the abandoned call returns, if it ever does
        raise ActivityTimeout(
            f"activity {show_value(name)} did not finish within its timeout of {timeout:g}s; "
            "it was abandoned (use a process provider, or isolation, to have it killed)"
        )
    if "stopped" in box:
        worker.put(None)  # a late interruption must not reach the worker's next call
    else:
        workers.give_back(worker)
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _wait(
    done: threading.Event, timeout: Any, cancel: threading.Event | None, box: dict[str, Any]
) -> bool:
    """Wait for the call (False: its timeout passed); interrupt it while ``cancel`` is set."""
    if cancel is None:
        return done.wait(timeout)
    import time

    deadline = None if timeout is None else time.monotonic() + timeout
    while not done.wait(0.05):
        if cancel.is_set() and "thread" in box:
            box["stopped"] = True
            _interrupt(box["thread"])
        if deadline is not None and time.monotonic() >= deadline:
            return False
    return True


def _interrupt(thread: int) -> None:
    """Raise ``Cancelled`` in ``thread`` at its next Python line (CPython's
    ``PyThreadState_SetAsyncExc``)."""
    import ctypes

    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), ctypes.py_object(Cancelled))


class _Worker:
    """A daemon thread that runs the calls it is given, one after the other, until it is
    given None. Starting a thread for each call cost about 30 µs of the caller's CPU and
    100 µs of wall time (load 20), where a call without a timeout costs 1.5 µs."""

    __slots__ = ("_jobs",)

    def __init__(self) -> None:
        from queue import SimpleQueue

        self._jobs: SimpleQueue[Callable[[], None] | None] = SimpleQueue()
        threading.Thread(target=self._loop, name="squall-activity", daemon=True).start()

    def put(self, job: Callable[[], None] | None) -> None:
        self._jobs.put(job)

    def _loop(self) -> None:
        while True:
            try:
                while (job := self._jobs.get()) is not None:
                    job()
                return
            except Cancelled:  # a stop's interruption that came as its call ended
                continue


class _Workers:
    """Idle worker threads, shared by the calls of a run (parallel ones each take their
    own); an overrun call's worker is never given back."""

    _KEEP = 4  # idle threads kept at most (parallel groups may have made more)

    def __init__(self) -> None:
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    def take(self) -> _Worker:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return _Worker()

    def give_back(self, worker: _Worker) -> None:
        with self._lock:
            if len(self._idle) < self._KEEP:
                self._idle.append(worker)
                return
        worker.put(None)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.put(None)
