"""``squall lint``: flag risky experiments (nothing is run, nothing is imported)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from squall.cli.run import (
    _input_options,
    _print_findings,
    _print_problems,
    load_cli_document,
    load_cli_settings,
    read_sourced_overrides,
)
from squall.errors import LoadError, ValidationError
from squall.show import counted, show_value

if TYPE_CHECKING:
    from typing import Any

    from squall.experiment import Document
    from squall.experiment.model import Experiment
    from squall.lint import Finding

__all__ = ["lint"]

_THRESHOLDS = ("info", "warning", "error", "none")


@click.command()
@click.argument("sources", nargs=-1, metavar="EXPERIMENT...")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text",
    show_default=True, help="How findings are printed (on stdout).",
)  # fmt: skip
@click.option(
    "--fail-on", type=click.Choice(_THRESHOLDS), default="warning", show_default=True,
    help="Exit 1 when a finding is at least this severe (none: never).",
)  # fmt: skip
@click.option(
    "--disable", "disabled", multiple=True, metavar="RULE",
    help="Turn a rule off (repeatable; SQ101, or SQ101:<name> for one activity).",
)  # fmt: skip
@click.option(
    "--long-run-minutes", type=click.FloatRange(min=0, min_open=True), default=None,
    help="A run that may wait longer than this needs a stop condition (SQ301; default 10).",
)  # fmt: skip
@click.option("--list-rules", is_flag=True, help="Print every rule and exit.")
@_input_options
@click.pass_context
def lint(
    ctx: click.Context,
    sources: tuple[str, ...],
    fmt: str,
    fail_on: str,
    disabled: tuple[str, ...],
    long_run_minutes: float | None,
    list_rules: bool,
    no_verify_tls: bool,
    variables: tuple[str, ...],
    var_files: tuple[str, ...],
) -> int:
    """Flag risky experiments. Exit codes: 0 nothing at or above --fail-on, 1 findings,
    2 bad input (an experiment cannot be loaded or parsed)."""
    from squall._version import __version__
    from squall.api import parse_document
    from squall.lint import RULES, LintOptions, Severity, lint_experiment, locate
    from squall.lint.output import as_json, as_sarif, as_text

    if list_rules:
        for rule in RULES.values():
            click.echo(f"{rule.id}  {rule.severity.label:<7}  {rule.name:<30}  {rule.summary}")
        return 0
    if not sources:
        raise click.UsageError("give at least one EXPERIMENT (a path, a URL or -)")
    unknown = [d for d in disabled if d.partition(":")[0] not in RULES]
    if unknown:
        raise click.BadParameter(
            f"unknown rule {show_value(unknown[0])} (known: {', '.join(RULES)})",
            param_hint="--disable",
        )
    from squall.cli.suite import expand_sources

    sources = tuple(expand_sources(sources))  # directories stand for their experiments
    settings = load_cli_settings(ctx)
    overrides, secret_overrides, shared = read_sourced_overrides(variables, var_files)
    given = (overrides, secret_overrides, shared)
    known = set(overrides) | {k for scope in secret_overrides.values() for k in scope}
    options = LintOptions(
        known_names=frozenset(known),
        long_run_minutes=long_run_minutes,
        disabled=frozenset(disabled),
    )
    findings: list[Finding] = []
    names: list[str] = []
    bad: list[str] = []
    for source in sources:
        try:
            document = load_cli_document(source, no_verify_tls, settings)
            experiment = parse_document(document)
            _check_overrides(experiment, document, given)
        except LoadError as exc:
            sys.stderr.write(f"squall: error: {exc}\n")
            bad.append(source)
            continue
        except ValidationError as exc:
            _print_problems(exc)
            bad.append(source)
            continue
        names.append(document.name)
        findings += locate(lint_experiment(experiment, options), document)
    if fmt == "json":
        click.echo(as_json(findings, names))
    elif fmt == "sarif":
        click.echo(as_sarif(findings, __version__))
    elif findings:
        click.echo(as_text(findings))
    _summary(findings, len(names), bad)
    if bad:
        return 2
    if fail_on == "none":
        return 0
    threshold = Severity.parse(fail_on)
    return 1 if any(f.severity >= threshold for f in findings) else 0


def _check_overrides(
    experiment: Experiment,
    document: Document,
    given: tuple[dict[str, Any], dict[str, dict[str, Any]], frozenset[str]],
) -> None:
    """The ``--var``/``--var-file`` keys, as ``validate`` and ``run`` judge them: a near
    miss given with ``--var`` is bad input, other findings are warnings (on stderr).

    Raises:
        ValidationError: a near miss given with ``--var``.
    """
    from squall.experiment.overrides import override_findings

    overrides, secret_overrides, shared = given
    errors, warnings = override_findings(experiment, overrides, secret_overrides, shared=shared)
    _print_findings("warning", document.located(warnings))
    if errors:
        raise ValidationError(document.located(errors), document.name)


def _summary(findings: list[Finding], files: int, bad: list[str]) -> None:
    """The last line on stderr: files linted and findings; the sources that could not be
    loaded or parsed are named (their located problems are printed above), so a document
    that does not parse never reads as "0 files, 0 findings"."""
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.severity.label] = counts.get(f.severity.label, 0) + 1
    detail = ", ".join(counted(n, label) for label, n in counts.items())
    total = sum(counts.values())
    if not bad:
        linted = counted(files, "file")
    elif files:
        linted = f"{files} of {files + len(bad)} files linted"
    else:
        linted = "nothing linted"
    sys.stderr.write(
        f"squall lint: {linted}, {counted(total, 'finding')}"
        + (f" ({detail})" if detail else "")
        + (f"; not linted (bad input, see above): {', '.join(bad)}" if bad else "")
        + "\n"
    )
