"""EDGE: the ``squall`` command. Nothing imports this package.

``main`` answers ``--version`` before importing click, so that stays fast, and runs the
usual ``squall run`` command lines without click (``squall.cli.fast``).
"""

from __future__ import annotations

import gc
import sys

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["main", "settled"]

#: True when this process is the ``squall`` command itself (``main()`` reading
#: sys.argv), not a caller running a command in-process (tests, click's CliRunner)
own_process = False
#: the command's collector is off until its start-up is over (``settled``)
_starting = False
#: ``settled`` froze the objects of modules that are not squall's (drivers, controls,
#: plugins imported while the experiment was checked)
_froze_others = False


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (tests call this in-process, with ``argv``:
    then the process's signal handlers are left alone)."""
    args = sys.argv[1:] if argv is None else argv
    if argv is None:
        global _starting
        _starting = True
        gc.disable()  # until start-up is over: see settled()
        if sys.stdout is None or sys.stderr is None or sys.stdin is None:
            _null_for_closed_streams()
    if args == ["--version"]:
        from squall._version import __version__

        sys.stdout.write(f"squall {__version__}\n")
        if argv is None:
            gc.freeze()
        return 0
    if argv is None:  # the real command: its own process's signals
        global own_process
        own_process = True
        _stop_on_sigterm()
    try:
        from squall.masking import MaskedStream
    except KeyboardInterrupt:
        sys.stderr.write("squall: interrupted\n")
        return 130
    # every line squall (or a driver, a control) prints is masked (squall.masking)
    streams = sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__
    masked = MaskedStream(sys.stdout), MaskedStream(sys.stderr)
    sys.stdout, sys.stderr = masked
    if streams[2] is streams[0] and streams[3] is streams[1]:  # print(file=sys.__stderr__)
        _originals(*masked)
    kept = None if argv is None else _dispositions()
    try:
        code = _main(args)
        code = _after_early_signal(code)
    finally:
        for stream in masked:
            stream.drain()
        if argv is not None:  # in-process: the caller's streams back; the command keeps
            # its masked ones until the process is gone (work abandoned at a timeout may
            # still print while Python exits: joining a thread pool, atexit handlers)
            sys.stdout, sys.stderr = streams[:2]
            _originals(*streams[2:])
        if kept:
            _restore(kept)
    if argv is None:
        settled()
        _ignore_stop_signals()
        from squall.cli.leave import exit_before_finalizing, nothing_to_finalize

        if "temporalio" in sys.modules or nothing_to_finalize():
            exit_before_finalizing(code)
        if _froze_others:  # their objects get Python's usual finalisation (see settled)
            gc.unfreeze()
    return code


def _originals(stdout: Any, stderr: Any) -> None:
    """Set ``sys.__stdout__`` and ``sys.__stderr__`` (typed final, but plain attributes)."""
    setattr(sys, "__stdout__", stdout)  # noqa: B010
    setattr(sys, "__stderr__", stderr)  # noqa: B010


def settled() -> None:
    """Start-up is over (the command's modules are imported): collect garbage from now on.

    The ``squall`` command (``main()`` in its own process) starts with Python's cyclic
    garbage collector off: importing allocates long-lived objects (modules, functions,
    classes), which the collections triggered by these allocations scanned again and
    again for nothing. Here every object that exists is moved to the collector's
    permanent generation (``gc.freeze``: never scanned again, neither by the run's
    collections nor by the ones Python runs at exit) and the collector is turned back
    on: the run's own garbage is collected as before. A trivial run executes about 10 %
    fewer instructions (docs/performance.md). Called before a run's engine starts,
    before click handles any other command, and when ``main`` returns; idempotent.
    Nothing happens in-process (``main(argv)``: tests, embedders keep their collector).

    Python's exit never frees frozen objects: a buffered file that a driver's module
    keeps open would not be flushed. So when modules other than squall's were frozen
    (``squall.cli.leave.only_harmless_modules``), ``main`` unfreezes them before Python
    finalises (when squall leaves without finalising, only squall's were).
    """
    global _starting, _froze_others
    if _starting:
        _starting = False
        gc.freeze()
        gc.enable()
        from squall.cli.leave import only_harmless_modules

        _froze_others = not only_harmless_modules()


def _null_for_closed_streams() -> None:
    """Started with stdin, stdout or stderr closed (``>&-``, a daemon's habit; Python then
    has None for it): ``/dev/null`` takes its place, descriptor included. The console
    then writes nowhere instead of failing (a closed stderr refused every run, exit 3;
    a closed stdout ended in a traceback), a driver's write to descriptor 1 does not
    fail, and no file squall opens later (the journal, the event file) becomes
    descriptor 1 or 2 for a library to write into."""
    import os

    for fd, name in enumerate(("stdin", "stdout", "stderr")):
        if getattr(sys, name) is not None:
            continue
        null = os.open(os.devnull, os.O_RDWR)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
        stream = open(fd, "r" if fd == 0 else "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _main(args: list[str]) -> int:
    try:
        result = _without_click(args)
        if result is None:
            from squall.cli.app import cli

            settled()
            result = cli.main(args=args, prog_name="squall", standalone_mode=False)
    except SystemExit as exc:  # click's own exits; sys.exit("text") from a plugin is not one
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        sys.stderr.write(f"squall: error: SystemExit: {exc.code}\n")
        return 3
    except KeyboardInterrupt:
        sys.stderr.write("squall: interrupted\n")
        return 130
    except BaseException as exc:  # any other: one line, never a traceback
        return _handle(exc)
    return int(result or 0)


def _without_click(args: list[str]) -> int | None:
    """``squall run`` for the usual command lines, without importing click; None when
    click should handle the command line."""
    if "run" not in args:
        return None
    from squall.cli.fast import run

    return run(args)


def _stop_on_sigterm() -> None:
    """SIGTERM (and SIGHUP, unless nohup ignores it) stops squall as SIGINT does (exit 130)
    from the start, not only once a run installs its own handlers: a SIGTERM while loading
    must not kill squall with -15.
    Both are remembered (squall.errors.early_signal): code that swallows the
    KeyboardInterrupt (a driver module imported for validation catches everything) must
    not turn the stop into another exit code, nor let a run start after it."""
    from squall import _signal as signal
    from squall.errors import note_early_signal

    def stop(signum: int, frame: object) -> None:
        note_early_signal(signal.name_of(signum))
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    if signal.getsignal(signal.SIGHUP) == signal.SIG_DFL:  # not under nohup
        signal.signal(signal.SIGHUP, stop)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, stop)


def _after_early_signal(code: int) -> int:
    """130 when a stop signal arrived while squall was loading, whatever the code it
    reached (a swallowed KeyboardInterrupt looks like a broken module: exit 2)."""
    from squall.errors import early_signal

    name = early_signal()
    if not name or code == 130:
        return code
    sys.stderr.write(f"squall: interrupted by {name} while loading\n")
    return 130


def _dispositions() -> dict[int, object]:
    """The handlers of the signals a command may change for its own end (SIGUSR1/2 after
    a run), when called in-process (tests, embedders: their process keeps its own)."""
    import threading

    from squall import _signal as signal

    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.getsignal(sig) for sig in (signal.SIGUSR1, signal.SIGUSR2)}


def _restore(kept: dict[int, object]) -> None:
    from squall import _signal as signal

    for sig, handler in kept.items():
        signal.signal(sig, handler)  # type: ignore[arg-type]


def _ignore_stop_signals() -> None:
    """The command is done and its exit code known: a SIGINT or SIGTERM now (while
    Python shuts down, when it puts the default handlers back) must not turn it into
    -2 or -15."""
    from squall import _signal as signal

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)


#: what a Temporal command says when the ``temporal`` extra is not installed
_TEMPORAL_MISSING = (
    "this command needs the temporal extra (the temporalio package), which is not "
    "installed: in your clone of squall, pip install -e '.[temporal]' "
    "(squall is not on PyPI); see docs/scale-out.md"
)


def _missing_temporal(exc: BaseException) -> bool:
    """A Temporal command run without ``temporalio`` (the ``temporal`` extra): squall
    imports it only there, so this is an installation to complete, not a bug."""
    name = getattr(exc, "name", None) if isinstance(exc, ModuleNotFoundError) else None
    return isinstance(name, str) and name.split(".")[0] == "temporalio"


def _handle(exc: BaseException) -> int:
    import click

    from squall.errors import SquallError

    if isinstance(exc, click.exceptions.Abort):
        sys.stderr.write("squall: aborted\n")
        return 130
    if isinstance(exc, click.ClickException):
        from squall.cli._errors import show_click_error

        show_click_error(exc)
        # click's usage and parameter errors are bad input (2); a command that gave its
        # error a code of its own (workshop check without its demo: 3) keeps it
        return 2 if exc.exit_code == 1 else exc.exit_code
    if isinstance(exc, (SquallError, OSError)):
        from squall._log import to_log_file

        sys.stderr.write(f"squall: error: {exc}\n")
        to_log_file(f"squall: error: {exc}")
        return exc.exit_code if isinstance(exc, SquallError) else 2
    if _missing_temporal(exc):
        sys.stderr.write(f"squall: error: {_TEMPORAL_MISSING}\n")
        return 2
    # a bug in squall or a plugin: one line, the traceback only when asked for
    sys.stderr.write(
        f"squall: internal error: {type(exc).__name__}: {exc} (please report it; "
        "run with --verbose to see the traceback)\n"
    )
    if "--verbose" in sys.argv or "-v" in sys.argv:
        import traceback

        traceback.print_exception(exc)
    return 3
