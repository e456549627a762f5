"""``squall run --output agent`` and ``--events-file``: the Chaos Toolkit's outputs for
programs (CI jobs, agents), around the run the command makes.

With ``--output agent`` stdout carries one JSON document, printed when the command is
over (``squall.report.agent``): what the run's activities, controls or plugins print
goes to stderr meanwhile, as the Chaos Toolkit does. A run that could not start (the
file cannot be loaded, it is not valid, its configuration or secrets cannot be
resolved) gets the report of an ``error`` outcome, and the usual message on stderr.
The exit code is the one the command has without the option.
"""

from __future__ import annotations

import json
import sys

from squall.errors import InputError, SquallError

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any, TextIO

    from squall._sink import Sink
    from squall.journal.model import Journal

__all__ = [
    "AgentOutput",
    "check_program_outputs",
    "refuse_overwriting",
    "refuse_shared",
    "start_events_file",
]


def check_program_outputs(
    output_format: str, events_file: str | None, params: dict[str, Any]
) -> str:
    """``--output agent`` reports one experiment run by this process; ``--events-file``
    streams local runs. Returns the source the report names.

    Raises:
        click.UsageError: they are asked for where they cannot be (exit 2).
    """
    from squall.cli._errors import usage_error
    from squall.cli.suite import expand_sources

    sources = params["sources"]
    local = params.get("engine", "local") == "local"
    if output_format == "agent":
        several = len(sources) > 1 or expand_sources(sources) != list(sources)
        if several or params.get("show_plan") or not local:
            raise usage_error(
                "--output agent reports one experiment run by this process: not with "
                "several experiments, a directory, --plan or --engine temporal "
                "(--report json:PATH reports several)"
            )
    if events_file is not None and not local:
        raise usage_error(
            "--events-file streams a local run: a Temporal run's progress is in "
            "`squall runs attach` and its journal"
        )
    return str(sources[0])


def refuse_overwriting(option: str, path: str, experiments: list[str]) -> None:
    """An output file must not be one of the experiment files run: ``--events-file``
    emptied it before it was read (the run then failed on an empty file),
    ``--journal-path`` wrote over it after the run.

    Raises:
        InputError: it is one of them (exit 2, nothing is written).
    """
    from squall._files import same_file

    for experiment in experiments:
        if same_file(path, experiment):
            raise InputError(
                f"{option} {path} is the experiment file {experiment}: squall would write "
                "over it; choose another path"
            )


def refuse_shared(events_file: str, journal_path: str) -> None:
    """``--events-file`` must not be the journal's path (``journal.json`` by default): the
    journal, written at the end, would replace the events, which a program was reading.

    Raises:
        InputError: both name one file (exit 2, nothing is written).
    """
    import os

    from squall._files import same_file

    if os.path.realpath(events_file) == os.path.realpath(journal_path) or same_file(
        events_file, journal_path
    ):
        raise InputError(
            f"--events-file {events_file} is the journal's path too (--journal-path "
            f"{journal_path}): the journal would write over the events; choose another path"
        )


def start_events_file(path: str) -> Sink:
    """Empty (or create) ``--events-file``'s file before anything runs: a path that
    cannot be written is bad input (exit 2), found before the run starts, and so is a
    FIFO that no program reads (squall does not wait for one). The caller keeps the
    file open until the command ends, so a FIFO's reader does not see its end between
    runs.

    Raises:
        InputError: it cannot be written.
    """
    from squall._sink import Sink, describe

    try:
        return Sink(path, truncate=True)
    except OSError as exc:
        raise InputError(f"--events-file {path}: {describe(exc)}") from None


class AgentOutput:
    """Holds stdout for the report while the command runs (a context manager)."""

    def __init__(self, source: str, events_path: str | None) -> None:
        self.source = source
        self.events_path = events_path
        self.report: dict[str, Any] | None = None
        self._stdout: TextIO | None = None

    def __enter__(self) -> AgentOutput:
        self._stdout = sys.stdout
        sys.stdout = sys.stderr
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._stdout is not None
        sys.stdout = self._stdout
        if self.report is None and isinstance(exc, SquallError):
            self.failed("load", exc)  # loading, reading variables or control files
        if self.report is not None:
            sys.stdout.write(json.dumps(self.report, indent=2, ensure_ascii=False) + "\n")
            sys.stdout.flush()
            if getattr(sys.stdout, "lost", False):  # a full disk, a reader gone: say so
                sys.stderr.write(
                    "squall: --output agent: the report could not be written to stdout "
                    "(the journal holds the run)\n"
                )

    def failed(self, stage: str, exc: BaseException, message: str | None = None) -> None:
        """The run could not start at ``stage`` (called where its secrets are masked)."""
        from squall.masking import mask_text
        from squall.report.agent import run_error_report

        if self.report is None:
            self.report = run_error_report(
                stage,
                type(exc).__name__,
                mask_text(message if message is not None else str(exc)),
                source=self.source,
                exit_code=getattr(exc, "exit_code", 2),
            )

    def finished(self, journal: Journal, journal_path: str) -> None:
        """The run is over: its report, from the journal as masked as its file (called
        in the run's secret scope)."""
        from squall.masking import mask_value
        from squall.report.agent import run_report

        outcome = journal.outcome
        self.report = run_report(
            mask_value(journal.to_dict()),
            source=self.source,
            journal_path=journal_path,
            exit_code=outcome.exit_code,
            events_path=self.events_path,
            squall=mask_value(
                {"outcome": outcome.value, "reasons": journal.reasons, "run_id": journal.run_id}
            ),
        )
