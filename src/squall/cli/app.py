"""The click application: global options and the command group."""

from __future__ import annotations

import click

from squall._version import __version__
from squall.cli.commands import info, run, schema, settings_group, validate
from squall.cli.fast import global_setup
from squall.cli.recover import recover

__all__ = ["cli"]


class LazyGroup(click.Group):
    """A group whose heavier subcommands are imported only when used."""

    #: name -> (import target, short help shown by --help without importing it)
    lazy: dict[str, tuple[str, str]] = {
        "demo": ("squall.demo.cli:demo", "A small, real target system to practise on."),
        "discover": ("squall.cli.discover:discover", "Describe a driver's activities."),
        "drivers": ("squall.cli.discover:drivers", "List installed drivers and activities."),
        "init": ("squall.cli.discover:init", "Build an experiment from a discovery."),
        "lint": ("squall.cli.lint:lint", "Flag risky experiments (nothing is run)."),
        "report": (
            "squall.cli.report:report",
            "Render journals as HTML, Markdown, JUnit XML, JSON or PDF.",
        ),
        "runs": ("squall.cli.runs:runs", "List, show and compare past runs (run history)."),
        "schedule": (
            "squall.cli.schedule:schedule",
            "Run experiments on a schedule (Temporal; needs a squall worker).",
        ),
        "stop": ("squall.cli.worker:stop", "Stop a Temporal run (its rollbacks are played)."),
        "worker": ("squall.cli.worker:worker", "Run experiments from a Temporal task queue."),
        "workshop": ("squall.workshop.cli:workshop", "The self-paced course's exercises."),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        own = [*super().list_commands(ctx), *self.lazy]
        return sorted([*own, *(n for n in _plugin_commands() if n not in own)])

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy:
                rows.append((name, self.lazy[name][1]))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = self.lazy.get(cmd_name)
        if entry is None:
            found = super().get_command(ctx, cmd_name)
            return found if found is not None else _plugin_commands().get(cmd_name)
        import importlib

        module, _, attr = entry[0].partition(":")
        command = getattr(importlib.import_module(module), attr)
        return command if isinstance(command, click.Command) else None


def _plugin_commands() -> dict[str, click.Command]:
    """Commands installed plugins add (squall_register_commands); read only for an
    unknown command or --help, so ``squall --version`` and known commands stay fast."""
    from squall.hooks.registration import registrations

    found: dict[str, click.Command] = {}
    for command in registrations().commands:
        if isinstance(command, click.Command) and command.name:
            found.setdefault(command.name, command)
    return found


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="squall")
@click.option("--verbose", "-v", is_flag=True, help="Show debug messages.")
@click.option(
    "--settings",
    "settings_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Settings file (default: $SQUALL_SETTINGS or ~/.squall/settings.yaml).",
)
@click.option(
    "--log-file",
    default=None,
    type=click.Path(dir_okay=False),
    help="Also write a log file (off by default).",
)
@click.option("--no-log-file", is_flag=True, help="Do not write a log file (the default).")
@click.option(
    "--log-file-level",
    default="debug",
    type=click.Choice(["debug", "info", "warning", "error"]),
    show_default=True,
)
@click.option(
    "--log-format",
    default="string",
    type=click.Choice(["string", "json"]),
    show_default=True,
    help="Console format; json also makes progress lines JSON.",
)
@click.option(
    "--change-dir",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="Change to this directory first.",
)
@click.option(
    "--no-version-check",
    is_flag=True,
    hidden=True,
    help="Accepted for compatibility with `chaos`; squall never checks online.",
)
@click.pass_context
def cli(
    ctx: click.Context,
    verbose: bool,
    settings_path: str | None,
    log_file: str | None,
    no_log_file: bool,
    log_file_level: str,
    log_format: str,
    change_dir: str | None,
    no_version_check: bool,
) -> None:
    """squall: run chaos experiments (Chaos Toolkit format), fast and safely."""
    ctx.obj = global_setup(
        verbose=verbose,
        settings_path=settings_path,
        log_file=log_file,
        no_log_file=no_log_file,
        log_file_level=log_file_level,
        log_format=log_format,
        change_dir=change_dir,
        no_version_check=no_version_check,
    )


cli.add_command(run)
cli.add_command(validate)
cli.add_command(schema)
cli.add_command(settings_group)
cli.add_command(info)
cli.add_command(recover)
