"""``squall run`` and ``squall validate``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click
from click.core import ParameterSource

from squall.cli.history import history_options
from squall.cli.report import run_report_options
from squall.cli.runcore import (
    load_cli_document,
    print_problems,
    read_overrides,
    read_sourced_overrides,
)
from squall.cli.temporal_options import connection_options
from squall.errors import Problem, ValidationError, printable
from squall.intervals import MAX_SECONDS, MIN_INTERVAL
from squall.show import counted

TYPE_CHECKING = False
if TYPE_CHECKING:
    from squall.experiment.model import ControlDecl

__all__ = [
    "load_cli_document",
    "load_cli_settings",
    "read_overrides",
    "read_sourced_overrides",
    "run",
    "validate",
]

_print_problems = print_problems  # the name other commands import


def _interval(value: float | None) -> float | None:
    """``--hypothesis-frequency``: seconds between checks (squall.intervals' rule; the
    range type lets NaN through)."""
    if value is None:
        return None
    from squall.intervals import interval

    try:
        return interval(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _percentage(value: float | None) -> float | None:
    """``--fail-fast-ratio``: the range type lets NaN through."""
    if value is not None and not 0 <= value <= 100:
        raise click.BadParameter(f"{value} is not a percentage (from 0 to 100)")
    return value


def _print_findings(kind: str, findings: list[Problem]) -> None:
    """Warnings and notes: printed, located, without failing the command."""
    for finding in findings:
        sys.stderr.write(f"squall: {finding.where()}: {kind}: {printable(finding.message)}\n")
        if finding.hint:
            sys.stderr.write(f"      hint: {printable(finding.hint)}\n")


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
    from squall.cli.runcore import load_cli_settings_file

    return load_cli_settings_file(ctx.obj.get("settings_path"))


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


_CONTROL_FILES = click.option(
    "--control-file",
    "control_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="JSON/YAML file of global controls (repeatable).",
)


@click.command()
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option(
    "--journal-path",
    default="./journal.json",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Where to write the journal (one experiment).",
)
@click.option(
    "--journal-dir",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where each experiment writes <name>.journal.json (several experiments).",
)
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="Print only warnings and the verdict (no progress lines).",
)
@click.option(
    "--stop-on-failure",
    is_flag=True,
    help="Several experiments: stop after the first that does not hold.",
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
@_CONTROL_FILES
@click.option("--hypothesis-strategy", type=click.Choice(_HYPOTHESIS), default=None)
@click.option(
    "--hypothesis-frequency",
    type=click.FloatRange(MIN_INTERVAL, MAX_SECONDS),
    default=None,
    callback=lambda _ctx, _param, value: _interval(value),
    help="Seconds between checks (1.0; 0.01 at least).",
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
    callback=lambda _ctx, _param, value: _percentage(value),
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
@click.option(
    "--max-output",
    default=None,
    metavar="SIZE",
    help="Most output an activity keeps in the journal and history, e.g. 1MiB (the "
    'default, or the runtime.max_output setting), 64k, or "unlimited".',
)
@history_options
@run_report_options
@click.option(
    "--output",
    "output_format",
    type=click.Choice(["text", "agent"]),
    default="text",
    show_default=True,
    help="agent: print one JSON report on stdout when the run is over (the Chaos "
    "Toolkit's; progress stays on stderr). The exit code is not affected.",
)
@click.option(
    "--events-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Stream the run's progress to this file as JSON lines (the Chaos Toolkit's events).",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "temporal"]),
    default="local",
    show_default=True,
    help="Where the run happens: this process, or Temporal workflows run by `squall worker`s.",
)
@click.option(
    "--detach",
    is_flag=True,
    help="--engine temporal: start the runs, print their ids and return "
    "(see `squall runs attach`).",
)
@connection_options
@click.pass_context
def run(ctx: click.Context, /, **params: Any) -> int:
    """Run one experiment, or several in turn (files, URLs, directories of experiment
    files). Exit codes: 0 held, 1 deviated, 2 bad input, 3 broke, 4 not run (steady state
    did not hold before), 130 interrupted; several: the most severe of their codes."""
    from squall.cli.runcore import run_command

    given = frozenset(
        name
        for name in ("journal_path", "journal_dir")
        if ctx.get_parameter_source(name) is not ParameterSource.DEFAULT
    )
    return run_command(ctx.obj, given, **params)


@click.command()
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@_input_options
@click.option(
    "--strict",
    is_flag=True,
    help="Treat warnings (a ${name} nothing defines) as problems: exit 2.",
)
@_CONTROL_FILES
@click.pass_context
def validate(
    ctx: click.Context,
    sources: tuple[str, ...],
    no_verify_tls: bool,
    variables: tuple[str, ...],
    var_files: tuple[str, ...],
    strict: bool,
    control_files: tuple[str, ...],
) -> int:
    """Check experiments without running them.

    Files, URLs and directories of experiment files, as `squall run` takes them: exit 0
    when every one is valid, 2 when problems are found.

    The global controls a run would load (the settings' and each --control-file) are
    checked too."""
    from squall.cli.controlfiles import global_control_findings
    from squall.cli.suite import expand_sources
    from squall.errors import LoadError

    experiments = expand_sources(sources)
    settings = load_cli_settings(ctx)
    given = read_sourced_overrides(variables, var_files)
    controls, elsewhere = global_control_findings(settings, control_files)  # located
    valid = 0
    for index, source in enumerate(experiments):
        try:
            document = load_cli_document(source, no_verify_tls, settings)
        except LoadError as exc:
            if len(experiments) == 1:
                raise  # the command's own error line, as for any bad input
            sys.stderr.write(f"squall: error: {printable(str(exc))}\n")
            continue
        check = _Check(settings, given, strict, controls, elsewhere if index == 0 else [])
        valid += check(document)
    if len(experiments) > 1:
        invalid = len(experiments) - valid
        sys.stderr.write(
            f"squall: {counted(len(experiments), 'experiment')}: {valid} valid, "
            f"{invalid} with problems\n"
        )
    return 0 if valid == len(experiments) else 2


class _Check:
    """``squall validate`` of one document: True when it is valid (problems printed)."""

    def __init__(
        self,
        settings: dict[str, Any],
        given: tuple[dict[str, Any], dict[str, dict[str, Any]], frozenset[str]],
        strict: bool,
        controls: tuple[ControlDecl, ...],
        elsewhere: list[Problem],
    ) -> None:
        self.settings = settings
        self.given = given
        self.strict = strict
        self.controls = controls  # the global controls that are right
        self.elsewhere = elsewhere  # the problems of the others (located in their files)

    def __call__(self, document: Any) -> bool:
        from squall.api import document_problems, sorted_problems
        from squall.experiment.overrides import override_findings
        from squall.notifications import notify
        from squall.providers.argtypes import argument_type_warnings
        from squall.validate import placeholder_findings

        settings, controls = self.settings, self.controls
        overrides, secret_overrides, shared = self.given
        notify(settings, "validate-started", document.data)
        try:
            experiment, problems = document_problems(  # one pass: format and registry
                document, overrides=overrides, secret_overrides=secret_overrides, shared_keys=shared
            )
            warnings, notes = placeholder_findings(
                experiment,
                overrides=overrides,
                secret_overrides=secret_overrides,
                global_controls=controls,
            )
            warnings += override_findings(
                experiment, overrides, secret_overrides, global_controls=controls, shared=shared
            )[1]
            warnings += argument_type_warnings(experiment, overrides)
            if self.strict:
                problems, warnings = problems + warnings, []
            _print_findings("warning", document.located(warnings))
            _print_findings("note", document.located(notes))
            if problems or self.elsewhere:
                located = sorted_problems(document, problems) + self.elsewhere
                raise ValidationError(located, document.name)
        except ValidationError as exc:
            _print_problems(exc)
            notify(settings, "validate-failed", document.data, exc)
            return False
        notify(settings, "validate-completed", document.data)
        count = counted(len(experiment.activities()), "activity", "activities")
        sys.stderr.write(f"squall: {document.name}: valid ({count})\n")
        return True
