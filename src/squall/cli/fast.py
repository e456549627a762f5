"""``squall [global options] run [options] SOURCE...`` without importing click.

Importing click (and what it pulls in: ``inspect``, ``gettext``, ``uuid``...) was about a
third of a trivial run's start-up. This parser knows the options of the group and of
``run`` (``GLOBAL`` and ``RUN``, which a test compares with the click declarations) and
gives ``runcore.run_command`` exactly the parameters click would. Anything it is not sure
of (``--help``, an unknown option, a value click would refuse, another command) makes
``parse`` answer None, and click handles the command line as before, errors included.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Sequence

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["GLOBAL", "RUN", "global_setup", "parse", "run"]

#: option -> (parameter, kind, choices); kinds: flag, value, multiple, float, percent,
#: file (a path that must not be a directory), dir (must not be a file),
#: existing-file, existing-dir, choice
Spec = dict[str, tuple[str, str, tuple[str, ...]]]

GLOBAL: Spec = {
    "--verbose": ("verbose", "flag", ()),
    "-v": ("verbose", "flag", ()),
    "--settings": ("settings_path", "file", ()),
    "--log-file": ("log_file", "file", ()),
    "--no-log-file": ("no_log_file", "flag", ()),
    "--log-file-level": ("log_file_level", "choice", ("debug", "info", "warning", "error")),
    "--log-format": ("log_format", "choice", ("string", "json")),
    "--change-dir": ("change_dir", "existing-dir", ()),
    "--no-version-check": ("no_version_check", "flag", ()),
}
GLOBAL_DEFAULTS: dict[str, Any] = {
    "verbose": False,
    "settings_path": None,
    "log_file": None,
    "no_log_file": False,
    "log_file_level": "debug",
    "log_format": "string",
    "change_dir": None,
    "no_version_check": False,
}

HYPOTHESIS_STRATEGIES = (
    "default",
    "before-method-only",
    "after-method-only",
    "during-method-only",
    "continuously",
    "continously",
    "skip",
)
RUN: Spec = {
    "--journal-path": ("journal_path", "file", ()),
    "--journal-dir": ("journal_dir", "dir", ()),
    "-q": ("quiet", "flag", ()),
    "--quiet": ("quiet", "flag", ()),
    "--stop-on-failure": ("stop_on_failure", "flag", ()),
    "--dry": ("dry", "choice", ("probes", "actions", "activities", "pause")),
    "--no-validation": ("no_validation", "flag", ()),
    "--no-verify-tls": ("no_verify_tls", "flag", ()),
    "--var": ("variables", "multiple", ()),
    "--var-file": ("var_files", "existing-file", ()),
    "--rollback-strategy": (
        "rollback_strategy",
        "choice",
        ("default", "always", "never", "deviated"),
    ),
    "--control-file": ("control_files", "existing-file", ()),
    "--hypothesis-strategy": ("hypothesis_strategy", "choice", HYPOTHESIS_STRATEGIES),
    "--hypothesis-frequency": ("hypothesis_frequency", "interval", ()),
    "--fail-fast": ("fail_fast", "flag", ()),
    "--fail-fast-ratio": ("fail_fast_ratio", "percent", ()),
    "--plan": ("show_plan", "flag", ()),
    "--keep-events": ("keep_events", "flag", ()),
    "--no-events": ("no_events", "flag", ()),
    "--max-output": ("max_output", "value", ()),
    "--history": ("history", "value", ()),
    "--no-history": ("no_history", "flag", ()),
    "--report": ("reports", "multiple", ()),
    "--junit": ("junit", "file", ()),
    "--output": ("output_format", "choice", ("text", "agent")),
    "--events-file": ("events_file", "file", ()),
    "--engine": ("engine", "choice", ("local", "temporal")),
    "--detach": ("detach", "flag", ()),
    "--address": ("temporal_address", "value", ()),
    "--namespace": ("temporal_namespace", "value", ()),
    "--task-queue": ("temporal_task_queue", "value", ()),
    "--tls": ("temporal_tls", "flag", ()),
    "--no-tls": ("temporal_tls", "flag", ()),
    "--tls-cert": ("temporal_tls_cert", "file", ()),
    "--tls-key": ("temporal_tls_key", "file", ()),
    "--tls-ca": ("temporal_tls_ca", "file", ()),
    "--tls-server-name": ("temporal_tls_server_name", "value", ()),
}
RUN_DEFAULTS: dict[str, Any] = {
    "journal_path": "./journal.json",
    "journal_dir": ".",
    "quiet": False,
    "stop_on_failure": False,
    "dry": None,
    "no_validation": False,
    "no_verify_tls": False,
    "variables": (),
    "var_files": (),
    "rollback_strategy": None,
    "control_files": (),
    "hypothesis_strategy": None,
    "hypothesis_frequency": None,
    "fail_fast": None,
    "fail_fast_ratio": None,
    "show_plan": False,
    "keep_events": False,
    "no_events": False,
    "max_output": None,
    "history": None,
    "no_history": False,
    "reports": (),
    "junit": None,
    "output_format": "text",
    "events_file": None,
    "engine": "local",
    "detach": False,
    "temporal_address": None,
    "temporal_namespace": None,
    "temporal_task_queue": None,
    "temporal_tls": None,
    "temporal_tls_cert": None,
    "temporal_tls_key": None,
    "temporal_tls_ca": None,
    "temporal_tls_server_name": None,
}
#: parameters that collect every use of their option (click's multiple=True)
_MULTIPLE = frozenset({"variables", "var_files", "control_files", "reports"})


class _Unsure(Exception):
    """Leave this command line to click."""


def parse(args: Sequence[str]) -> tuple[dict[str, Any], dict[str, Any], frozenset[str]] | None:
    """(global parameters, run parameters, which of --journal-path and --journal-dir were
    given), or None when click should handle ``args``."""
    try:
        index = args.index("run")
    except ValueError:
        return None
    given: set[str] = set()
    try:
        glob = _options(args[:index], GLOBAL, GLOBAL_DEFAULTS, given, positional=False)
        params = _options(args[index + 1 :], RUN, RUN_DEFAULTS, given, positional=True)
    except _Unsure:
        return None
    if not params["sources"] or glob["change_dir"]:
        return None  # click checks the run's paths after changing directory
    return glob, params, frozenset(given & {"journal_path", "journal_dir"})


def _options(
    args: Sequence[str],
    spec: Spec,
    defaults: dict[str, Any],
    given: set[str],
    *,
    positional: bool,
) -> dict[str, Any]:
    values = dict(defaults)
    sources: list[str] = []
    collected: dict[str, list[Any]] = {}
    tokens = list(args)
    while tokens:
        token = tokens.pop(0)
        if token == "--" and positional:
            sources.extend(tokens)
            break
        if not token.startswith("-") or token == "-":
            if not positional:
                raise _Unsure
            sources.append(token)
            continue
        name, eq, inline = token.partition("=")
        if name not in spec:
            raise _Unsure  # --help, an unknown or misspelt option: click says what
        param, kind, choices = spec[name]
        given.add(param)
        if kind == "flag":
            if eq:
                raise _Unsure
            # an on/off pair (--tls/--no-tls) shares its parameter: --no-... turns it off
            values[param] = not (name.startswith("--no-") and not param.startswith("no_"))
            continue
        if not eq:
            if not tokens:
                raise _Unsure
            inline = tokens.pop(0)
        value = _convert(inline, kind, choices)
        if param in _MULTIPLE:
            collected.setdefault(param, []).append(value)
        else:
            values[param] = value
    values.update({param: tuple(items) for param, items in collected.items()})
    if positional:
        values["sources"] = tuple(sources)
    return values


def _convert(value: str, kind: str, choices: tuple[str, ...]) -> Any:
    if kind == "choice" and value not in choices:
        raise _Unsure
    if kind in ("float", "percent", "interval"):
        try:
            number = float(value)
        except ValueError:
            raise _Unsure from None
        if kind == "percent" and not 0 <= number <= 100:
            raise _Unsure
        if kind == "interval":
            from squall.intervals import MAX_SECONDS, MIN_INTERVAL

            if not MIN_INTERVAL <= number <= MAX_SECONDS:
                raise _Unsure  # click's option says what is wrong (cli/run.py)
        return number
    if (kind == "file" and os.path.isdir(value)) or (kind == "dir" and os.path.isfile(value)):
        raise _Unsure
    if kind == "existing-file" and (not os.path.exists(value) or os.path.isdir(value)):
        raise _Unsure
    if kind == "existing-dir" and not os.path.isdir(value):
        raise _Unsure
    return value


def global_setup(
    *,
    verbose: bool,
    settings_path: str | None,
    log_file: str | None,
    no_log_file: bool,
    log_file_level: str,
    log_format: str,
    change_dir: str | None,
    no_version_check: bool,
) -> dict[str, Any]:
    """What the group's options do (both parsers): the object every command gets."""
    from squall._log import configure
    from squall.settings import use_settings_path

    if change_dir:
        os.chdir(change_dir)
    use_settings_path(settings_path)  # what drivers and controls read as "the settings"
    log_file = None if no_log_file else log_file
    configure(
        functools.partial(_setup_logging, verbose, log_file, log_file_level, log_format),
        now=verbose or log_file is not None,
    )
    return {"settings_path": settings_path, "json": log_format == "json", "verbose": verbose}


def _setup_logging(verbose: bool, log_file: str | None, level: str, fmt: str) -> None:
    from squall.cli.logs import setup_logging

    setup_logging(verbose, log_file, level, fmt)


def run(args: Sequence[str]) -> int | None:
    """Run ``args`` without click, or None (nothing done) when click should."""
    parsed = parse(args)
    if parsed is None:
        return None
    glob, params, given = parsed
    from squall.cli.runcore import run_command

    obj = global_setup(**glob)
    try:
        return run_command(obj, given, **params)
    except Exception as exc:
        if "click" in sys.modules:
            _with_usage(exc, args)
        raise


def _with_usage(exc: Exception, args: Sequence[str]) -> None:
    """A usage error raised by ``run`` shows the same usage lines as under click."""
    import click

    if not isinstance(exc, click.UsageError) or exc.ctx is not None:
        return
    from squall.cli.app import cli

    index = list(args).index("run")
    parent = cli.make_context("squall", list(args[:index]), resilient_parsing=True)
    command = cli.get_command(parent, "run")
    if command is not None:
        exc.ctx = command.make_context(
            "run", list(args[index + 1 :]), parent=parent, resilient_parsing=True
        )
