"""What ``squall run`` does once its command line is parsed, without click.

``squall.cli.fast`` calls ``run_command`` for the common command lines without importing
click (about a third of a trivial run's start-up); the click command in ``run.py`` calls
it for every other one. Both pass the same parameters (a test compares the two parsers).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Mapping

from squall import _json
from squall.cli import settled
from squall.cli._errors import bad_parameter
from squall.cli.console import Console
from squall.cli.controlfiles import read_global_controls
from squall.cli.history import open_cli_history
from squall.cli.variables import (
    parse_var,
    read_var_files,
    split_var_files,
)
from squall.errors import SquallError, ValidationError

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost

if TYPE_CHECKING:
    from typing import Any, TypeVar

    _T = TypeVar("_T")

    from squall.cli.agent_output import AgentOutput
    from squall.experiment import Document
    from squall.experiment.model import ControlDecl
    from squall.masking import SecretScope
    from squall.plan import Plan, PlanOptions

__all__ = [
    "load_cli_document",
    "load_cli_settings_file",
    "print_problems",
    "read_overrides",
    "read_sourced_overrides",
    "run_command",
]


def load_cli_settings_file(path: str | None) -> dict[str, Any]:
    """The settings (``squall.settings.load_settings``), refused (exit 2) when they break
    the input limits: an alias bomb or a cycle would blow up whatever walks them."""
    from squall.experiment.limits import Limits, tree_problems
    from squall.settings import load_settings

    settings = load_settings(path)
    problems = tree_problems(settings, Limits(), values=False)
    if problems:
        from squall.errors import InputError
        from squall.settings import default_settings_path

        where = f"{path or default_settings_path()} at {problems[0].pointer or '/'}"
        raise InputError(f"settings {where}: {problems[0].message}")
    return settings


def load_cli_document(source: str, no_verify_tls: bool, settings: dict[str, Any]) -> Document:
    """Load ``source`` with the settings' loader auths and input limits; its inline
    secrets are masked from now on (in problems, plans, notifications...)."""
    from squall.experiment import load_source
    from squall.experiment.limits import Limits
    from squall.masking import register_inline_secrets

    document = load_source(
        source,
        verify_tls=not no_verify_tls,
        auths=settings.get("auths") or {},
        limits=Limits.resolve(settings),
    )
    register_inline_secrets(document.data)
    return document


def read_overrides(
    variables: tuple[str, ...], var_files: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    configuration, secrets, _ = read_sourced_overrides(variables, var_files)
    return configuration, secrets


def read_sourced_overrides(
    variables: tuple[str, ...], var_files: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]], frozenset[str]]:
    """The overrides (``--var`` wins over the var files), and the keys that came from a
    var file (``key``, ``scope.key`` for a secret): a file often shared by several
    experiments, whose near misses are warned about, not refused."""
    from squall.masking import register_secrets

    configuration, secrets = read_var_files(var_files)
    typed = dict(parse_var(v) for v in variables)
    shared = {k for k in configuration if k not in typed}
    shared |= {f"{scope}.{key}" for scope, entries in secrets.items() for key in entries}
    configuration.update(typed)
    register_secrets(secrets)  # masked from now on (a notification may be sent first)
    return configuration, secrets, frozenset(shared)


def print_problems(error: ValidationError) -> None:
    """The problems on stderr (and in the log file, if any)."""
    from squall._log import to_log_file
    from squall.errors import printable  # names quoted in a problem: shown, not obeyed
    from squall.show import counted

    lines = [f"squall: {error.source or 'experiment'}: {counted(len(error.problems), 'problem')}"]
    for problem in error.problems:
        lines.append(f"  {problem.where()}: {printable(problem.message)}")
        if problem.hint:
            lines.append(f"      hint: {printable(problem.hint)}")
    sys.stderr.write("".join(f"{line}\n" for line in lines))
    for line in lines:
        to_log_file(line)


def run_command(
    obj: Mapping[str, Any],
    given: frozenset[str],
    *,
    output_format: str = "text",
    events_file: str | None = None,
    **params: Any,
) -> int:
    """Run one experiment, or several in turn (files, URLs, directories of experiment
    files). Exit codes: 0 held, 1 deviated, 2 bad input, 3 broke, 4 not run (steady state
    did not hold before), 130 interrupted; several: the most severe of their codes.

    ``output_format="agent"`` and ``events_file``: the outputs for programs
    (squall.cli.agent_output)."""
    if output_format == "text" and events_file is None:
        return _run_command(obj, given, **params)
    from squall.cli.agent_output import (
        AgentOutput,
        check_program_outputs,
        refuse_overwriting,
        refuse_shared,
        start_events_file,
    )

    source = check_program_outputs(output_format, events_file, params)
    if events_file is not None:
        from squall.cli.suite import expand_sources

        experiments = expand_sources(params["sources"])
        refuse_overwriting("--events-file", events_file, experiments)
        if len(experiments) == 1 and "journal_dir" not in given:
            refuse_shared(events_file, params["journal_path"])
    held = start_events_file(events_file) if events_file is not None else None
    try:
        if output_format != "agent":
            return _run_command(obj, given, events_file=events_file, **params)
        with AgentOutput(source, events_file) as agent:
            return _run_command(obj, given, events_file=events_file, agent=agent, **params)
    finally:
        if held is not None:
            held.close()


def _checked(journal_path: str, experiments: list[str]) -> str:
    """``--journal-path``, refused when it is the experiment file (a stat or two).

    Raises:
        InputError: it is.
    """
    from squall._files import same_file

    if journal_path and any(same_file(journal_path, e) for e in experiments):
        from squall.cli.agent_output import refuse_overwriting

        refuse_overwriting("--journal-path", journal_path, experiments)
    return journal_path


def _run_command(
    obj: Mapping[str, Any],
    given: frozenset[str],
    *,
    sources: tuple[str, ...],
    journal_path: str,
    journal_dir: str,
    quiet: bool,
    stop_on_failure: bool,
    dry: str | None,
    no_validation: bool,
    no_verify_tls: bool,
    rollback_strategy: str | None,
    variables: tuple[str, ...],
    var_files: tuple[str, ...],
    control_files: tuple[str, ...],
    hypothesis_strategy: str | None,
    hypothesis_frequency: float | None,
    fail_fast: bool | None,
    fail_fast_ratio: float | None,
    show_plan: bool,
    keep_events: bool,
    no_events: bool,
    max_output: str | None,
    history: str | None,
    no_history: bool,
    reports: tuple[str, ...],
    junit: str | None,
    engine: str = "local",
    detach: bool = False,
    events_file: str | None = None,
    agent: AgentOutput | None = None,
    **connection: Any,
) -> int:
    """``run_command``, its program outputs checked."""
    from squall.cli.suite import expand_sources, journal_paths
    from squall.experiment.model import DryMode, HypothesisStrategy, RollbackStrategy
    from squall.plan import PlanOptions

    experiments = expand_sources(sources)
    suite = len(experiments) > 1 or experiments != list(sources)
    if "journal_path" in given and (suite or "journal_dir" in given):
        import click

        raise click.UsageError("--journal-path names one journal: use --journal-dir")
    settings = load_cli_settings_file(obj.get("settings_path"))
    targets: list[tuple[str, str]] = []
    if reports or junit or settings.get("reports"):  # else none (report.py imports click)
        from squall.cli.report import report_targets

        targets = report_targets(reports, junit, settings)
    output_limit = _output_limit(max_output, settings)
    environment: dict[str, str] = {}
    if engine == "temporal":  # a .env file's values go to the workers (temporal.dotenv)
        var_files, environment = split_var_files(var_files)
    overrides, secret_overrides, shared = read_sourced_overrides(variables, var_files)
    options = PlanOptions(
        dry=DryMode(dry) if dry else None,
        rollback_strategy=RollbackStrategy(rollback_strategy) if rollback_strategy else None,
        hypothesis_strategy=HypothesisStrategy.parse(hypothesis_strategy)
        if hypothesis_strategy
        else None,
        hypothesis_frequency=hypothesis_frequency,
        fail_fast=fail_fast,
        fail_fast_ratio=fail_fast_ratio,
        settings=settings,
    )
    # the Temporal engine checks the format here; imports, executables and the
    # environment are those of the workers, where the activities run
    format_only = no_validation or engine == "temporal"
    inputs = _Inputs(settings, (overrides, secret_overrides, shared), no_verify_tls, format_only)
    prepared = [_prepare(source, inputs, options, agent) for source in experiments]
    if any(p is None for p in prepared):
        return 2
    if show_plan:
        for p in prepared:
            assert p is not None
            sys.stdout.write(_json.dumps(p.plan.describe(), indent=2) + "\n")
        return 0
    global_controls = _global_controls(settings, control_files, events_file)
    named = suite or "journal_dir" in given
    paths = (
        journal_paths(experiments, journal_dir) if named else [_checked(journal_path, experiments)]
    )
    if engine == "temporal":
        return _run_temporal(
            obj,
            [p for p in prepared if p is not None],
            paths,
            {
                "detach": detach,
                "quiet": quiet,
                "stop_on_failure": stop_on_failure,
                "overrides": overrides,
                "secret_overrides": secret_overrides,
                "environment": environment,
                "max_output": output_limit,
                "global_controls": global_controls,
                "validate": not no_validation,
            },
            (history, no_history, settings),
            connection,
            targets,
        )
    if detach:
        from squall.cli._errors import usage_error

        raise usage_error("--detach needs --engine temporal (a local run ends with its process)")
    store = open_cli_history(history, no_history, settings)
    try:
        execute = _Execute(
            obj["json"],
            quiet,
            inputs,
            targets,
            agent,
            {
                "overrides": overrides,
                "secret_overrides": secret_overrides,
                "shared_keys": shared,
                "keep_events": keep_events,
                "settings": settings,
                "global_controls": global_controls,
                "history": store,
                "events": not no_events,
                "max_output": output_limit,
            },
        )
        if suite:
            code, ran = _run_suite(execute, [p for p in prepared if p], paths, stop_on_failure)
        else:
            assert prepared[0] is not None
            result = execute(prepared[0], paths[0])
            code, ran = result.exit_code, [result.report or paths[0]]
    finally:
        if store is not None:
            store.close()
    if targets:
        from squall.cli.report import write_run_reports

        write_run_reports(targets, ran, json_lines=obj["json"])
    return code


def _run_temporal(
    obj: Mapping[str, Any],
    prepared: list[_Prepared],
    paths: list[str],
    options: dict[str, Any],
    history: tuple[str | None, bool, dict[str, Any]],
    connection: dict[str, Any],
    targets: list[tuple[str, str]],
) -> int:
    """The experiments as Temporal workflows (see squall.cli.temporal_run)."""
    from squall.api import sorted_problems
    from squall.cli.temporal_run import TemporalRun, connection_of, run_on_temporal

    runs = [
        TemporalRun(
            p.source,
            p.plan,
            p.document.data,
            path,
            functools.partial(sorted_problems, p.document),
            reports=bool(targets),
        )
        for p, path in zip(prepared, paths, strict=True)
    ]
    options["connection"] = connection_of(obj, connection)
    settled()
    store = open_cli_history(*history)
    try:
        code, ran = run_on_temporal(obj, runs, history=store, **options)
    finally:
        if store is not None:
            store.close()
    if targets and ran:
        from squall.cli.report import write_run_reports

        write_run_reports(targets, ran, json_lines=obj["json"])
    return code


def _global_controls(
    settings: dict[str, Any], control_files: tuple[str, ...], events_file: str | None
) -> tuple[ControlDecl, ...]:
    """The settings' and ``--control-file``'s controls, and ``--events-file``'s."""
    found = read_global_controls(settings, control_files)
    if events_file is None:
        return found
    from squall.cli.controlfiles import events_file_control

    return (*found, events_file_control(events_file))


class _Inputs:
    """How every experiment of this command is read and checked."""

    __slots__ = (
        "no_validation",
        "no_verify_tls",
        "overrides",
        "secret_overrides",
        "settings",
        "shared_keys",
    )

    def __init__(
        self,
        settings: dict[str, Any],
        overrides: tuple[dict[str, Any], dict[str, dict[str, Any]], frozenset[str]],
        no_verify_tls: bool,
        no_validation: bool,
    ) -> None:
        self.settings = settings
        self.overrides, self.secret_overrides, self.shared_keys = overrides
        self.no_verify_tls = no_verify_tls
        self.no_validation = no_validation


class _Prepared:
    """An experiment loaded, checked and planned: ready to run in its secret scope."""

    __slots__ = ("document", "plan", "scope", "source")

    def __init__(self, source: str, document: Document, plan: Plan, scope: SecretScope) -> None:
        self.source = source
        self.document = document
        self.plan = plan
        self.scope = scope


def _prepare(
    source: str, inputs: _Inputs, options: PlanOptions, agent: AgentOutput | None = None
) -> _Prepared | None:
    """Load, parse, check and plan one experiment in a secret scope of its own (its
    secrets are masked in its run, not in the next one of a suite); ``None`` (problems
    printed) when it is not valid."""
    from squall.masking import open_scope

    scope = open_scope()
    with scope.active():
        try:
            prepared = _prepare_in(scope, source, inputs, options, agent)
        except SquallError as exc:  # masked in the experiment's scope
            if agent is not None:
                agent.failed("load", exc)
            raise
    if prepared is None:
        scope.close()
    return prepared


def _prepare_in(
    scope: SecretScope,
    source: str,
    inputs: _Inputs,
    options: PlanOptions,
    agent: AgentOutput | None,
) -> _Prepared | None:
    from squall.api import parse_document, plugin_registry, validate_document
    from squall.plan import make_plan

    settings = inputs.settings
    document = load_cli_document(source, inputs.no_verify_tls, settings)
    _notify(settings, "run-started", document.data)
    try:
        if inputs.no_validation:
            experiment = parse_document(document)
        else:  # one pass: the format's problems and the registry's together
            experiment = validate_document(
                document,
                registry=plugin_registry(),
                overrides=inputs.overrides,
                secret_overrides=inputs.secret_overrides,
                shared_keys=inputs.shared_keys,
            )
    except ValidationError as exc:
        print_problems(exc)
        _notify(settings, "validate-failed", document.data, exc)
        if agent is not None:
            agent.failed("validation", exc, _problems_text(exc))
        return None
    return _Prepared(source, document, make_plan(experiment, options), scope)


def _problems_text(error: ValidationError) -> str:
    """The problems as one text (``--output agent``'s error message)."""
    lines = [f"{problem.where()}: {problem.message}" for problem in error.problems]
    return "; ".join(lines) or str(error)


class _Execute:
    """Runs one prepared experiment: progress on the console, its journal, notifications."""

    __slots__ = ("agent", "inputs", "json_lines", "options", "quiet", "targets")

    def __init__(
        self,
        json_lines: bool,
        quiet: bool,
        inputs: _Inputs,
        targets: list[tuple[str, str]],
        agent: AgentOutput | None,
        options: dict[str, Any],
    ) -> None:
        self.json_lines = json_lines
        self.quiet = quiet
        self.inputs = inputs
        self.targets = targets  # the reports written when the command ends
        self.agent = agent  # --output agent: the report is made in the run's scope
        self.options = options  # RunOptions' arguments but the journal path and run id

    def __call__(
        self, prepared: _Prepared, journal_path: str, earlier: tuple[str, ...] = ()
    ) -> _RunResult:
        """Run it; ``earlier``: the journals of the suite's runs before it (what its
        report covers, should ``squall recover`` have to write it)."""
        import os

        run_id = os.urandom(6).hex() if self.targets else None
        if run_id is not None:  # reports to write: squall recover writes them if need be
            from squall.cli.reports_kept import keep_reports

            keep_reports(run_id, self.targets, [*earlier, journal_path])
        try:
            with prepared.scope.active():
                try:
                    return self._run(prepared, journal_path, run_id)
                except SquallError as exc:  # configuration, secrets, controls
                    if self.agent is not None:
                        self.agent.failed("runtime", exc)
                    raise
        finally:
            prepared.scope.close()
            if run_id is not None:
                from squall.cli.reports_kept import settle_reports
                from squall.journal.recovery import stream_path

                settle_reports(run_id, stream_path(run_id))

    def _run(self, prepared: _Prepared, journal_path: str, run_id: str | None) -> _RunResult:
        from squall.api import plugin_registry
        from squall.cli.unrecovered import warn_unrecovered
        from squall.engine import Engine, RunOptions

        settings = self.inputs.settings
        experiment = prepared.plan.experiment
        warn_unrecovered(experiment.source or prepared.document.name, experiment.raw, settings)
        console = Console(
            source=prepared.document.name, json_lines=self.json_lines, quiet=self.quiet
        )
        options = RunOptions(journal_path=journal_path, run_id=run_id, **self.options)
        settled()
        journal = _run_notified(
            settings,
            prepared.document.data,
            lambda: Engine(plugin_registry(), console).run(prepared.plan, options),
        )
        _ignore_late_stop_signals()
        console.verdict(journal, journal_path)
        if self.agent is not None:
            self.agent.finished(journal, journal_path)
        if settings.get("notifications"):
            from squall.notifications import notify, run_events

            finished = journal.to_dict()
            for event in run_events(finished):
                notify(settings, event, finished)
        report = _report_of(journal, journal_path) if self.targets else None
        return _RunResult(journal.outcome.exit_code, journal.reasons, report)


def _report_of(journal: Any, journal_path: str) -> Any:
    """The run's report (squall.report.RunReport) from the journal it holds, as the text
    its file got: never read back (the path may be a FIFO or a device, or unwritable)."""
    from squall.cli.report import report_of_text
    from squall.journal.store import format_journal

    return report_of_text(format_journal(journal.to_document()), journal_path)


class _RunResult:
    """What a suite keeps of one run (``report``: when reports are asked for)."""

    __slots__ = ("exit_code", "reasons", "report")

    def __init__(self, exit_code: int, reasons: list[str], report: Any = None) -> None:
        self.exit_code = exit_code
        self.reasons = reasons
        self.report = report


def _run_suite(
    execute: _Execute, prepared: list[_Prepared], paths: list[str], stop_on_failure: bool
) -> tuple[int, list[Any]]:
    """Each experiment in turn; one summary; the most severe exit code and, for each run,
    its report (when reports are asked for) or its journal's path."""
    import time

    from squall.cli.suite import SuiteEntry, print_summary, worst_exit_code

    entries: list[SuiteEntry] = []
    reports: list[Any] = []  # each run's report (or journal path), for --report
    for index, (p, path) in enumerate(zip(prepared, paths, strict=True)):
        started = time.monotonic()
        result = execute(p, path, tuple(e.journal for e in entries if e.journal))
        reports.append(result.report or path)
        reason = result.reasons[0] if result.reasons else ""
        entries.append(
            SuiteEntry(p.source, result.exit_code, time.monotonic() - started, reason, path)
        )
        if result.exit_code == 130 or (stop_on_failure and result.exit_code != 0):
            skipped = [q.source for q in prepared[index + 1 :]]
            break
    else:
        skipped = []
    print_summary(entries, skipped, json_lines=execute.json_lines)
    return worst_exit_code(e.exit_code for e in entries), reports


def _output_limit(option: str | None, settings: dict[str, Any]) -> int | None:
    """``--max-output``, else the ``runtime.max_output`` setting, else 1 MiB.

    Raises:
        click.BadParameter: not a size.
    """
    from squall.journal.limits import DEFAULT_MAX_OUTPUT, parse_size

    runtime = settings.get("runtime")
    setting = runtime.get("max_output") if isinstance(runtime, dict) else None
    value = option if option is not None else setting
    if value is None:
        return DEFAULT_MAX_OUTPUT
    try:
        return parse_size(value)
    except ValueError as exc:
        where = "--max-output" if option is not None else "setting runtime.max_output"
        raise bad_parameter(str(exc), param_hint=where) from None


def _ignore_late_stop_signals() -> None:
    """The run is over and its journal written: a SIGUSR1/SIGUSR2 sent now (a control's
    thread asking, too late, to stop the run, as chaosaddons' safeguards may) has nothing
    left to stop and must not kill squall and change its exit code."""
    from squall import _signal as signal
    from squall import cli

    if not cli.own_process:  # in-process (tests, CliRunner): the caller's handlers stay
        return
    for name in ("SIGUSR1", "SIGUSR2"):
        signal.signal(signal.number_of(name), signal.SIG_IGN)


def _run_notified(settings: dict[str, Any], experiment: Any, run: Callable[[], _T]) -> _T:
    """``run()``; when it cannot start (configuration, secrets, controls), the settings'
    notification channels get ``run-failed`` with the error first."""
    from squall.errors import SquallError

    try:
        return run()
    except SquallError as exc:
        _notify(settings, "run-failed", experiment, exc)
        raise


def _notify(settings: Mapping[str, Any], event: str, payload: Any, error: Any = None) -> None:
    """``squall.notifications.notify``, imported only when the settings have channels
    (without any it sends nothing: a run without notifications does not import it)."""
    if settings.get("notifications"):
        from squall.notifications import notify

        notify(settings, event, payload, error)
