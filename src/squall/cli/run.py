"""``squall run`` and ``squall validate``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from squall.cli.console import Console
from squall.cli.history import history_options, open_cli_history
from squall.cli.report import report_targets, run_report_options, write_run_reports
from squall.cli.variables import parse_var, read_global_controls, read_var_files
from squall.errors import ValidationError

if TYPE_CHECKING:
    from squall.experiment import Document

__all__ = ["load_cli_document", "load_cli_settings", "read_overrides", "run", "validate"]

_T = TypeVar("_T")

_HYPOTHESIS = [
    "default",
    "before-method-only",
    "after-method-only",
    "during-method-only",
    "continuously",
    "continously",
    "skip",
]


def load_cli_settings(ctx: click.Context) -> dict[str, Any]:
    from squall.settings import load_settings

    return load_settings(ctx.obj.get("settings_path"))


def load_cli_document(source: str, no_verify_tls: bool, settings: dict[str, Any]) -> Document:
    """Load ``source`` with the settings' loader auths and input limits."""
    from squall.experiment import load_source
    from squall.experiment.limits import Limits

    return load_source(
        source,
        verify_tls=not no_verify_tls,
        auths=settings.get("auths") or {},
        limits=Limits.resolve(settings),
    )


def read_overrides(
    variables: tuple[str, ...], var_files: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    configuration, secrets = read_var_files(var_files)
    configuration.update(dict(parse_var(v) for v in variables))
    return configuration, secrets


def _print_problems(error: ValidationError) -> None:
    sys.stderr.write(f"squall: {error.source or 'experiment'}: {len(error.problems)} problem(s)\n")
    for problem in error.problems:
        sys.stderr.write(f"  {problem.where()}: {problem.message}\n")
        if problem.hint:
            sys.stderr.write(f"      hint: {problem.hint}\n")


def _input_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options that ``run`` and ``validate`` share: how the experiment and its
    variables are read."""
    options = [
        click.option("--no-verify-tls", is_flag=True, help="Do not verify TLS when loading a URL."),
        click.option(
            "--var",
            "variables",
            multiple=True,
            metavar="KEY[:TYPE]=VALUE",
            help="Configuration value (repeatable); types: str int float bytes bool json.",
        ),
        click.option(
            "--var-file",
            "var_files",
            multiple=True,
            type=click.Path(exists=True, dir_okay=False),
            help="JSON/YAML file with configuration/secrets, or a .env file (repeatable).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.command()
@click.argument("source")
@click.option(
    "--journal-path",
    default="./journal.json",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Where to write the journal.",
)
@click.option(
    "--dry",
    type=click.Choice(["probes", "actions", "activities", "pause"]),
    default=None,
    help="Do not execute these (pause: skip pauses only).",
)
@click.option("--no-validation", is_flag=True, help="Skip validation before running.")
@_input_options
@click.option(
    "--rollback-strategy",
    type=click.Choice(["default", "always", "never", "deviated"]),
    default=None,
)
@click.option(
    "--control-file",
    "control_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="JSON/YAML file of global controls (repeatable).",
)
@click.option("--hypothesis-strategy", type=click.Choice(_HYPOTHESIS), default=None)
@click.option(
    "--hypothesis-frequency", type=float, default=None, help="Seconds between checks (1.0)."
)
@click.option(
    "--fail-fast",
    is_flag=True,
    default=None,
    help="Stop the method when the hypothesis deviates during it.",
)
@click.option(
    "--fail-fast-ratio",
    type=click.FloatRange(0, 100),
    default=None,
    help="Percentage of deviated checks that trips --fail-fast (default 0: the first).",
)
@click.option("--plan", "show_plan", is_flag=True, help="Print the resolved plan and exit.")
@click.option(
    "--keep-events", is_flag=True, help="Keep the event stream file after the journal is written."
)
@click.option(
    "--no-events",
    is_flag=True,
    help="Do not stream the journal while running (a crashed run cannot be recovered).",
)
@history_options
@run_report_options
@click.pass_context
def run(
    ctx: click.Context,
    source: str,
    journal_path: str,
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
    history: str | None,
    no_history: bool,
    reports: tuple[str, ...],
    junit: str | None,
) -> int:
    """Run an experiment. Exit codes: 0 held, 1 deviated, 2 bad input, 3 broke,
    4 not run (steady state did not hold before), 130 interrupted."""
    from squall.api import check_experiment, parse_document, plugin_registry
    from squall.engine import Engine, RunOptions
    from squall.experiment.model import DryMode, HypothesisStrategy, RollbackStrategy
    from squall.notifications import notify, run_events
    from squall.plan import PlanOptions, make_plan

    settings = load_cli_settings(ctx)
    targets = report_targets(reports, junit, settings)
    overrides, secret_overrides = read_overrides(variables, var_files)
    document = load_cli_document(source, no_verify_tls, settings)
    notify(settings, "run-started", document.data)
    try:
        experiment = parse_document(document)
    except ValidationError as exc:
        _print_problems(exc)
        notify(settings, "validate-failed", document.data, exc)
        return 2
    registry = plugin_registry()
    if not no_validation:
        problems = check_experiment(
            experiment, registry=registry, overrides=overrides, secret_overrides=secret_overrides
        )
        if problems:
            error = ValidationError(document.located(problems), document.name)
            _print_problems(error)
            notify(settings, "validate-failed", document.data, error)
            return 2
    plan = make_plan(
        experiment,
        PlanOptions(
            dry=DryMode(dry) if dry else None,
            rollback_strategy=RollbackStrategy(rollback_strategy) if rollback_strategy else None,
            hypothesis_strategy=HypothesisStrategy.parse(hypothesis_strategy)
            if hypothesis_strategy
            else None,
            hypothesis_frequency=hypothesis_frequency,
            fail_fast=fail_fast,
            fail_fast_ratio=fail_fast_ratio,
            settings=settings,
        ),
    )
    if show_plan:
        click.echo(json.dumps(plan.describe(), indent=2))
        return 0
    console = Console(source=document.name, json_lines=ctx.obj["json"])
    store = open_cli_history(history, no_history, settings)
    try:
        journal = _run_notified(
            settings,
            document.data,
            lambda: Engine(registry, console).run(
                plan,
                RunOptions(
                    overrides=overrides,
                    secret_overrides=secret_overrides,
                    journal_path=journal_path,
                    keep_events=keep_events,
                    settings=settings,
                    global_controls=read_global_controls(settings, control_files),
                    history=store,
                    events=not no_events,
                ),
            ),
        )
    finally:
        if store is not None:
            store.close()
    _ignore_late_stop_signals()
    console.verdict(journal, journal_path)
    write_run_reports(targets, journal_path)
    if settings.get("notifications"):
        finished = journal.to_dict()
        for event in run_events(finished):
            notify(settings, event, finished)
    assert journal.outcome is not None
    return journal.outcome.exit_code


def _ignore_late_stop_signals() -> None:
    """The run is over and its journal written: a SIGUSR1/SIGUSR2 sent now (a control's
    thread asking, too late, to stop the run, as chaosaddons' safeguards may) has nothing
    left to stop and must not kill squall and change its exit code."""
    import signal

    for name in ("SIGUSR1", "SIGUSR2"):
        signal.signal(getattr(signal, name), signal.SIG_IGN)


def _run_notified(settings: dict[str, Any], experiment: Any, run: Callable[[], _T]) -> _T:
    """``run()``; when it cannot start (configuration, secrets, controls), the settings'
    notification channels get ``run-failed`` with the error first."""
    from squall.errors import SquallError
    from squall.notifications import notify

    try:
        return run()
    except SquallError as exc:
        notify(settings, "run-failed", experiment, exc)
        raise


@click.command()
@click.argument("source")
@_input_options
@click.pass_context
def validate(
    ctx: click.Context,
    source: str,
    no_verify_tls: bool,
    variables: tuple[str, ...],
    var_files: tuple[str, ...],
) -> int:
    """Check an experiment without running it (exit 0 valid, 2 problems found)."""
    from squall.api import check_experiment, parse_document
    from squall.notifications import notify

    settings = load_cli_settings(ctx)
    overrides, secret_overrides = read_overrides(variables, var_files)
    document = load_cli_document(source, no_verify_tls, settings)
    notify(settings, "validate-started", document.data)
    try:
        experiment = parse_document(document)
        problems = check_experiment(
            experiment, overrides=overrides, secret_overrides=secret_overrides
        )
        if problems:
            raise ValidationError(document.located(problems), document.name)
    except ValidationError as exc:
        _print_problems(exc)
        notify(settings, "validate-failed", document.data, exc)
        return 2
    notify(settings, "validate-completed", document.data)
    count = len(experiment.activities())
    sys.stderr.write(f"squall: {document.name}: valid ({count} activities)\n")
    return 0
