"""The exception tree of squall; each user-facing error knows its exit code.

    SquallError                      base; ``exit_code`` is what ``squall`` exits with
    ├── InputError (2)               the user gave something squall cannot use
    │   ├── LoadError                a source cannot be read or parsed
    │   └── ValidationError          a document is readable but wrong (all problems at once)
    ├── ActivityFailed (3)           a driver function's way to say "this did not work"
    │   └── ActivityTimeout          an activity overran its ``timeout``
    └── Interrupted (130)            a signal or a control stopped the run

    KeyboardInterrupt
    └── RunInterrupted               Ctrl-C stopped a run of ``squall.run_experiment``
                                     (its rollbacks played); ``journal`` is the run's

``Problem`` is one finding about a document: what is wrong, where (JSON pointer and, when
known, file:line:column) and how to fix it.
"""

from __future__ import annotations

from squall._record import Record

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from squall.journal.model import Journal

__all__ = [
    "ActivityFailed",
    "ActivityTimeout",
    "Cancelled",
    "InputError",
    "Interrupted",
    "LoadError",
    "Problem",
    "RunInterrupted",
    "SquallError",
    "ValidationError",
    "describe",
    "early_signal",
    "message_of",
    "note_early_signal",
    "printable",
]

#: the stop signal ("SIGINT", "SIGTERM") the command received before a run's own
#: handlers took over; user code (a driver imported for validation, a plugin) may have
#: swallowed the KeyboardInterrupt it raised, so the CLI and the engine ask here
_early: list[str] = []


def note_early_signal(name: str) -> None:
    """Remember a stop signal received while squall was still loading (the CLI's
    early handler calls this, then raises KeyboardInterrupt)."""
    if not _early:
        _early.append(name)


def early_signal() -> str:
    """The stop signal received before a run took over its handlers, or ""."""
    return _early[0] if _early else ""


def describe(exc: BaseException) -> str:
    """``Type: message`` (the type alone when there is no message), for any exception
    user code raised, ``SystemExit`` and other ``BaseException`` subclasses included."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def message_of(exc: BaseException) -> str:
    """What a check that raised says: the text of an ordinary exception, else (SystemExit,
    KeyboardInterrupt, an exception without text) ``describe(exc)``."""
    text = str(exc)
    return text if text and isinstance(exc, Exception) else describe(exc)


def printable(text: object) -> str:
    """Text from an experiment, a driver or a journal as a terminal or a CI log shows it
    as is, on its line: control and invisible characters escaped as Python writes them
    (``\\x1b``, ``\\n``, ``\\u202e``), so a name cannot move the cursor, retitle the
    terminal, or start a line a CI runner reads as a command (``::error::``)."""
    value = str(text)
    if value.isprintable():
        return value
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in value)


class Problem(Record):
    """One thing wrong with a document, located by JSON pointer (and line:column if known)."""

    __slots__ = ("column", "hint", "line", "message", "pointer", "source")

    def __init__(
        self,
        pointer: str,
        message: str,
        hint: str = "",
        source: str = "",
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.pointer = pointer
        self.message = message
        self.hint = hint
        self.source = source
        self.line = line
        self.column = column

    def located(self, source: str, line: int | None, column: int | None) -> Problem:
        """Return a copy that knows its file and position."""
        return self.replace(source=source, line=line, column=column)

    def where(self) -> str:
        """``file:line:column`` (or the parts known), then the JSON pointer."""
        place = self.source or "<experiment>"
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        return f"{place} at {self.pointer or '/'}"

    def __str__(self) -> str:
        text = f"{self.where()}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


class SquallError(Exception):
    """Base of every error squall raises on purpose."""

    exit_code: int = 2


class InputError(SquallError):
    """Something the user gave (file, option, value) cannot be used."""

    exit_code = 2


class LoadError(InputError):
    """A source could not be read or parsed."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems: list[Problem] = problems or []

    def __str__(self) -> str:
        head = super().__str__()
        if not self.problems:
            return head
        return head + "".join(f"\n  - {p}" for p in self.problems)


class ValidationError(InputError):
    """A document has one or more problems; all of them are listed."""

    def __init__(self, problems: list[Problem], source: str = "") -> None:
        self.problems = problems
        self.source = source
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{source or 'experiment'}: {count} {noun} found")

    def __str__(self) -> str:
        lines = [super().__str__()]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class ActivityFailed(SquallError):
    """Raised by a driver to report that an activity did not do its job.

    Any other exception raised by a driver function is treated the same way; this class
    only lets a driver choose the message. It is compatible in spirit with
    ``chaoslib.exceptions.ActivityFailed``.
    """

    exit_code = 3


class ActivityTimeout(ActivityFailed):
    """An activity ran longer than its ``timeout`` and was abandoned."""


class Interrupted(SquallError):
    """A signal (or a control) asked the run to stop."""

    exit_code = 130

    def __init__(self, reason: str, signal_name: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.signal_name = signal_name


class Cancelled(Interrupted):
    """Raised by squall in the thread of a Python activity it stops (a stop of the run,
    or its parallel group's first failure), again every 50 ms while the call runs. A
    cancelled call's journal entry ends with ``squall.errors.Cancelled: cancelled by
    squall``. Code that catches it should let it go on: squall abandons a call that does
    not stop within its grace."""

    def __init__(self) -> None:  # raised as a class, without arguments
        super().__init__("cancelled by squall", CANCELLED)


#: what a cancelled Python call's entry says it was interrupted by
CANCELLED = "a cancel (the run stopped, or its parallel group's first failure)"


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) stopped a run of ``squall.run_experiment``: raised once the run
    has ended, its rollbacks played as its strategy owes and its journal written.
    ``journal`` is the run's journal (outcome ``interrupted``). A ``KeyboardInterrupt``,
    so a program that does not catch it stops as Ctrl-C asks."""

    def __init__(self, reason: str, journal: Journal) -> None:
        super().__init__(reason)
        self.reason = reason
        #: the run's ``squall.Journal``
        self.journal = journal
