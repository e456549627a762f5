"""``squall run --engine temporal``, ``squall runs attach``: runs as Temporal workflows,
followed from the command line with the same progress lines, journal, run-history record
and exit codes as a local run.

Several experiments start one workflow each, all at once; they are then followed one
after the other (they run meanwhile on the workers) and end with one summary and the
worst exit code. ``--detach`` prints the run ids and returns: the worker that finishes
such a run records it (see :mod:`squall.temporal.record`), and ``squall runs attach``
follows it and writes its journal here too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Callable, Coroutine, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from squall.cli.console import Console
from squall.errors import Problem

if TYPE_CHECKING:
    from temporalio.client import Client, WorkflowHandle
    from temporalio.converter import DataConverter

    from squall.journal.history import RunHistory
    from squall.plan import Plan
    from squall.temporal.inputs import RunInput
    from squall.temporal.options import ConnectOptions

__all__ = ["TemporalRun", "attach_run", "connection_of", "run_on_temporal", "with_dotenv"]

_T = TypeVar("_T")

#: the run command's connection flags (``--address`` ...) -> ConnectOptions fields
_PREFIX = "temporal_"


def connection_of(obj: Mapping[str, Any], flags: Mapping[str, Any]) -> ConnectOptions:
    """The connection from the ``temporal_*`` flags, the environment and the settings.

    Raises:
        InputError: a malformed value (the message says where it came from).
    """
    from squall.temporal.options import resolve_options

    fields = {k.removeprefix(_PREFIX): v for k, v in flags.items() if k.startswith(_PREFIX)}
    return resolve_options(fields, settings_path=obj.get("settings_path"))


class TemporalRun:
    """One experiment of the command: its plan, source, document and journal path."""

    __slots__ = ("document", "journal_path", "locate", "plan", "report", "reports", "source")

    def __init__(
        self,
        source: str,
        plan: Plan,
        document: Mapping[str, Any],
        journal_path: str,
        locate: Callable[[list[Problem]], list[Problem]] | None = None,
        reports: bool = False,
    ) -> None:
        self.source = source
        self.plan = plan
        self.document = document
        self.journal_path = journal_path
        #: locates problems in the document as read (file:line:column)
        self.locate = locate
        #: reports are asked for: :attr:`report` is made from the journal it ended with
        self.reports = reports
        #: the run's report (squall.report.RunReport), made from its journal's text as
        #: the local engine makes it (never read back from the file); None until then
        self.report: Any = None


def run_on_temporal(
    obj: Mapping[str, Any],
    runs: list[TemporalRun],
    *,
    connection: ConnectOptions,
    detach: bool,
    quiet: bool,
    stop_on_failure: bool,
    overrides: dict[str, Any],
    secret_overrides: dict[str, dict[str, Any]],
    max_output: int | None,
    history: RunHistory | None,
    global_controls: tuple[Any, ...],
    validate: bool = True,
    environment: Mapping[str, str] | None = None,
) -> tuple[int, list[str]]:
    """Start a workflow per experiment; follow them (unless ``detach``); the exit code and
    the journals written.

    Raises:
        InputError: secrets with no payload key, a bad routing key (nothing started);
            the server cannot be reached (TemporalUnavailable, exit 3).
    """
    from squall.temporal.client import reconnect_patience
    from squall.temporal.inputs import run_input

    reconnect_patience(os.environ)  # a bad value is bad input before anything starts
    inputs = []
    for r in runs:
        config, secrets = with_dotenv(
            r.plan.experiment, environment or {}, bool(connection.keys), overrides, secret_overrides
        )
        made = run_input(
            r.plan,
            r.document,
            run_id=os.urandom(6).hex(),
            task_queue=connection.task_queue,
            overrides=config,
            secret_overrides=secrets,
            max_output=max_output,
            encrypted=bool(connection.keys),
            record_on_worker=detach,
            validate=validate,
            global_controls=global_controls,
        )
        inputs.append(made)
    return _explained(
        connection,
        lambda: asyncio.run(
            _run_all(obj, runs, inputs, connection, detach, quiet, stop_on_failure, history)
        ),
    )


def with_dotenv(
    experiment: Any,
    environment: Mapping[str, str],
    encrypted: bool,
    overrides: Mapping[str, Any],
    secret_overrides: Mapping[str, Mapping[str, Any]],
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The run's overrides with what its ``env`` entries read from the .env var files
    (see squall.temporal.dotenv); the secrets taken are masked from now on.

    Raises:
        InputError: a value from a .env file with no payload key to encrypt it.
    """
    config, secrets = dict(overrides), {k: dict(v) for k, v in secret_overrides.items()}
    if not environment:
        return config, secrets
    from squall.masking import register_secrets
    from squall.temporal.dotenv import dotenv_overrides

    extra, extra_secrets = dotenv_overrides(
        experiment,
        environment,
        encrypted=encrypted,
        overrides=overrides,
        secret_overrides=secret_overrides,
    )
    register_secrets(extra_secrets)
    config.update(extra)
    for scope, values in extra_secrets.items():
        secrets.setdefault(scope, {}).update(values)
    return config, secrets


def _explained(connection: ConnectOptions, call: Callable[[], _T]) -> _T:
    """``call()``; an RPC error nobody expected is one line (exit 2 for refused
    credentials, else 3), not an internal error."""
    from temporalio.service import RPCError

    from squall.temporal.connect import explain_rpc_error

    try:
        return call()
    except RPCError as exc:
        raise explain_rpc_error(exc, connection) from None


async def _run_all(
    obj: Mapping[str, Any],
    runs: list[TemporalRun],
    inputs: list[RunInput],
    connection: ConnectOptions,
    detach: bool,
    quiet: bool,
    stop_on_failure: bool,
    history: RunHistory | None,
) -> tuple[int, list[str]]:
    from squall.temporal import client as temporal
    from squall.temporal.connect import connect

    client = await connect(connection)
    if detach:
        for run in inputs:
            await temporal.start(client, run)
            sys.stdout.write(f"{run.run_id}\n")
        sys.stdout.flush()
        return 0, []
    done: list[str] = []
    stopper = _Stopper(client, done)
    with stopper.installed():
        handles = []
        for run in inputs:
            if stopper.received:  # stopped while starting: start nothing more
                break
            handles.append(await temporal.start(client, run))
            stopper.started.append(run.run_id)
        if stopper.received:
            await stopper.stop_started()
        runs, inputs = runs[: len(handles)], inputs[: len(handles)]

        async def follow_all() -> tuple[int, list[str]]:
            return await _follow_all(
                obj, client, runs, inputs, handles, quiet, stop_on_failure, history, done
            )

        result = await stopper.following(follow_all())
    if result is None:
        _left_running([r.run_id for r in inputs if r.run_id not in done])
        return 130, []
    return result


#: the signals a command line following the runs it started passes on to them (SIGHUP:
#: its terminal or session closed, unless ignored: nohup)
_PASSED_ON = ("SIGINT", "SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2")
#: the signals that stop following (a second one for ``run``, the first for ``attach``)
_UNFOLLOW = ("SIGINT", "SIGTERM", "SIGHUP")


def _heeded(names: tuple[str, ...]) -> list[str]:
    """``names`` without SIGHUP when whoever started squall ignores it (``nohup``): a
    hang-up then neither stops the run nor the following, as locally."""
    import signal

    ignored = signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    return [n for n in names if not (n == "SIGHUP" and ignored)]


class _Stopper:
    """The signals of ``squall run --engine temporal`` while it starts and follows its
    runs. The first stops every run started and not ended as that signal stops a local
    run (the workflow's ``stop`` signal, told which one: the strategy decides the
    rollbacks, SIGUSR2 plays none, SIGUSR1 lets background activities end; SIGHUP stops
    them as SIGTERM does, unless nohup ignores it), and the command follows them to
    their end (journal, exit 130). A second SIGINT, SIGTERM or SIGHUP stops following:
    the runs go on stopping in Temporal, their rollbacks are played there (``runs
    attach`` follows them)."""

    def __init__(self, client: Client, done: list[str]) -> None:
        self.client = client
        self.done = done
        self.started: list[str] = []
        self.received = ""
        self._task: asyncio.Future[Any] | None = None
        self._sending: asyncio.Future[None] | None = None

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        import signal

        loop = asyncio.get_running_loop()
        kept = {}
        for name in _heeded(_PASSED_ON):
            signum = getattr(signal, name)
            kept[signum] = signal.getsignal(signum)
            loop.add_signal_handler(signum, self._signalled, name)
        try:
            yield
        finally:
            for signum, handler in kept.items():
                loop.remove_signal_handler(signum)
                signal.signal(signum, signal.SIG_DFL if handler is None else handler)

    def _signalled(self, name: str) -> None:
        if not self.received:
            self.received = name
            if self.started:
                self._sending = asyncio.ensure_future(self.stop_started())
        elif name in _UNFOLLOW and self._task is not None:
            self._task.cancel()

    async def stop_started(self) -> None:
        """Send the stop (with the signal received) to the runs started and not ended."""
        from squall.temporal import client as temporal
        from squall.temporal.client import RunGone

        for run_id in self.started:
            if run_id in self.done:
                continue
            try:
                await temporal.stop(self.client, run_id, "", received=self.received)
            except RunGone:  # it ended meanwhile
                continue
            except Exception as exc:  # the server is out of reach: say how to stop it
                sys.stderr.write(
                    f"squall: could not stop run {run_id} ({type(exc).__name__}: {exc}); "
                    f"`squall stop {run_id}` stops it\n"
                )

    async def following(self, work: Coroutine[Any, Any, _T]) -> _T | None:
        """``work``, or None when a second SIGINT/SIGTERM/SIGHUP ends the following."""
        task: asyncio.Future[_T] = asyncio.ensure_future(work)
        self._task = task
        try:
            return await task
        except asyncio.CancelledError:
            return None
        finally:
            if self._sending is not None and not self._sending.done():
                await asyncio.wait({self._sending}, timeout=5)


async def _interruptible(work: Coroutine[Any, Any, _T]) -> _T | None:
    """``work``, or None when SIGINT, SIGTERM or SIGHUP came first (``runs attach``
    stops following; the run goes on in Temporal)."""
    import signal

    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(work)
    signums = [getattr(signal, name) for name in _heeded(_UNFOLLOW)]
    signals = {signum: signal.getsignal(signum) for signum in signums}
    for signum in signals:
        loop.add_signal_handler(signum, task.cancel)
    try:
        return await task
    except asyncio.CancelledError:
        return None
    finally:
        for signum, handler in signals.items():
            loop.remove_signal_handler(signum)
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)


def _left_running(run_ids: list[str]) -> None:
    """Say that the runs go on without this command line, and how to reach them."""
    for run_id in run_ids:
        sys.stderr.write(
            f"\nsquall: stopped following run {run_id}: it goes on in Temporal "
            f"(`squall runs attach {run_id}` follows it, `squall stop {run_id}` stops it)\n"
        )


async def _follow_all(
    obj: Mapping[str, Any],
    client: Client,
    runs: list[TemporalRun],
    inputs: list[RunInput],
    handles: list[WorkflowHandle[Any, Any]],
    quiet: bool,
    stop_on_failure: bool,
    history: RunHistory | None,
    done: list[str],
) -> tuple[int, list[str]]:
    """Follow each run in turn (they all run meanwhile); one summary for several."""
    from squall.cli.suite import SuiteEntry, print_summary, suite_exit_code
    from squall.temporal import client as temporal

    entries: list[SuiteEntry] = []
    stopping = False  # the later runs were stopped for --stop-on-failure
    for index, (one, started, handle) in enumerate(zip(runs, inputs, handles, strict=True)):
        code, reasons, journal, seconds = await _follow(
            obj, handle, one, started, quiet, history, converter=client.data_converter
        )
        done.append(started.run_id)
        reason = reasons[0] if reasons else ""
        ours = stopping and code == 130 and reason == _STOPPED_FOR_FAILURE
        entries.append(SuiteEntry(one.source, code, seconds, reason, journal, stopped=ours))
        if stop_on_failure and code != 0 and len(runs) > 1 and not stopping:
            stopping = True
            for left in inputs[index + 1 :]:
                await temporal.stop(client, left.run_id, _STOPPED_FOR_FAILURE)
    if len(runs) > 1:
        print_summary(entries, [], json_lines=bool(obj.get("json")))
    # each run's report (made from the journal it ended with), else its journal's path
    made = [r.report or e.journal for r, e in zip(runs, entries, strict=True)]
    return suite_exit_code(entries), [one for one in made if one]


#: the reason a run stopped for ``--stop-on-failure`` gives (its exit code, 130, is not
#: the suite's: the failure before it is, as when a local suite leaves the rest out)
_STOPPED_FOR_FAILURE = "--stop-on-failure: an earlier run failed"


async def _follow(
    obj: Mapping[str, Any],
    handle: WorkflowHandle[Any, Any],
    run: TemporalRun,
    started: RunInput,
    quiet: bool,
    history: RunHistory | None,
    *,
    attached: bool = False,
    converter: DataConverter | None = None,
) -> tuple[int, list[str], str, float]:
    """Follow one run to its end; write its journal and history record; show the verdict
    (``converter``: the client's, reads what workers send). Returns the exit code, the
    reasons, the journal written ("" when none) and the run's duration (the journal's: the
    runs of a suite go on at once, so the time spent following one is not its own)."""
    import json

    from squall.engine.context import now_iso
    from squall.temporal.client import follow, reconnect_patience
    from squall.temporal.record import (
        end_unrun_record,
        finish_record,
        journal_of,
        problem_reasons,
        start_run_record,
    )

    console = Console(source=run.source, json_lines=bool(obj.get("json")), quiet=quiet)
    record = start_run_record(
        run.plan, started.run_id, now_iso(), run.journal_path, history, console, now=not attached
    )
    result = await follow(
        handle,
        console,
        queue=started.task_queue,
        wait=started.schedule_to_start,
        end_unstarted=not attached,
        patience=reconnect_patience(os.environ),
        converter=converter,
    )
    if "problems" in result:
        if console.live is not None:
            console.live.close()
        _print_problems(run, result["problems"])
        problems = result["problems"]
        end_unrun_record(history, record, 2, problem_reasons(problems), console, problems)
        return 2, ["the experiment is not valid where it runs"], "", 0.0
    if "error" in result:
        if console.live is not None:
            console.live.close()
        sys.stderr.write(f"squall: {run.source}: {result['error']}\n")
        code = int(result.get("exit_code") or 3)
        end_unrun_record(history, record, code, [str(result["error"])], console)
        return code, [str(result["error"])], "", 0.0
    text = str(result["journal"])
    document = json.loads(text)
    written = finish_record(document, run.journal_path, history, record, console)
    if run.reports:
        from squall.cli.report import report_of_text

        run.report = report_of_text(written, run.journal_path)
    journal = journal_of(document)
    console.verdict(journal, run.journal_path)
    refused = result.get("refused")
    if refused:  # a worker could not read a step: a configuration error stopped it
        sys.stderr.write(f"squall: {run.source}: {refused} (exit 2)\n")
        return 2, journal.reasons, run.journal_path, journal.duration or 0.0
    return journal.outcome.exit_code, journal.reasons, run.journal_path, journal.duration or 0.0


def _print_problems(run: TemporalRun, problems: list[dict[str, str]]) -> None:
    """The problems a worker found, located in the document as this command read it."""
    from squall.cli.runcore import print_problems
    from squall.errors import ValidationError

    found = [Problem(p["pointer"], p["message"], p.get("hint", "")) for p in problems]
    located = run.locate(found) if run.locate is not None else found
    print_problems(ValidationError(located, run.source))


def attach_run(
    obj: Mapping[str, Any],
    run_id: str,
    *,
    connection: ConnectOptions,
    journal_path: str,
    quiet: bool,
    history: RunHistory | None,
) -> int:
    """Follow a started run to its end (``squall runs attach``), then write its journal
    and history record as the command that started it would have."""
    from squall.temporal.client import reconnect_patience

    reconnect_patience(os.environ)  # a bad value is bad input before connecting
    return _explained(
        connection,
        lambda: asyncio.run(_attach(obj, run_id, connection, journal_path, quiet, history)),
    )


async def _attach(
    obj: Mapping[str, Any],
    run_id: str,
    connection: ConnectOptions,
    journal_path: str,
    quiet: bool,
    history: RunHistory | None,
) -> int:
    from squall.temporal import client as temporal
    from squall.temporal.connect import connect
    from squall.temporal.inputs import document_of, plan_of

    client: Client = await connect(connection)
    started = await temporal.run_input_of(client, run_id)
    run = TemporalRun(
        started.source or run_id, plan_of(started), document_of(started), journal_path
    )
    handle = temporal.handle_of(client, run_id)
    followed = await _interruptible(
        _follow(
            obj,
            handle,
            run,
            started,
            quiet,
            history,
            attached=True,
            converter=client.data_converter,
        )
    )
    if followed is None:
        _left_running([run_id])
        return 130
    return followed[0]


def stop_run(connection: ConnectOptions, run_id: str, reason: str) -> None:
    """Send the ``stop`` signal (``squall stop``)."""
    from squall.temporal import client as temporal
    from squall.temporal.connect import connect

    async def send() -> None:
        await temporal.stop(await connect(connection), run_id, reason)

    _explained(connection, lambda: asyncio.run(send()))
