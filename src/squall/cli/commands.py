"""``squall schema``, ``squall settings``, ``squall info``; re-exports run and validate."""

from __future__ import annotations

import json
import platform
import sys
from typing import Any

import click

from squall.cli.run import run, validate
from squall.show import show_value

__all__ = ["info", "run", "schema", "settings_group", "validate"]


@click.command()
def schema() -> int:
    """Print the JSON Schema of the experiment format."""
    from squall.experiment.schema import experiment_schema

    click.echo(json.dumps(experiment_schema(), indent=2))
    return 0


def _dump(value: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(value, indent=2)
    if fmt == "string":
        return str(value)
    import yaml

    # a lone plain scalar is dumped as a document with an explicit end ("...") that
    # `settings get history` printed under the value; the value alone reads back the same
    text = str(yaml.safe_dump(value, sort_keys=False))
    return text.removesuffix("...\n").rstrip()


@click.group("settings")
def settings_group() -> None:
    """Show and change the settings file."""


def _path_and_settings(ctx: click.Context) -> tuple[Any, dict[str, Any]]:
    from squall.cli.runcore import load_cli_settings_file
    from squall.settings import default_settings_path

    path = ctx.obj.get("settings_path") or default_settings_path()
    return path, load_cli_settings_file(path)


def _shown_settings(ctx: click.Context) -> tuple[Any, dict[str, Any]]:
    """The settings as printed: credentials masked (squall.settings.masked_settings)."""
    from squall.settings import masked_settings

    path, settings = _path_and_settings(ctx)
    return path, masked_settings(settings)


@settings_group.command("show")
@click.option("--format", "fmt", type=click.Choice(["json", "yaml"]), default="yaml")
@click.pass_context
def settings_show(ctx: click.Context, fmt: str) -> int:
    """Print the whole settings file (credentials masked)."""
    _, settings = _shown_settings(ctx)
    click.echo(_dump(settings, fmt))
    return 0


@settings_group.command("get")
@click.argument("key")
@click.option("--format", "fmt", type=click.Choice(["string", "json", "yaml"]), default="yaml")
@click.pass_context
def settings_get(ctx: click.Context, key: str, fmt: str) -> int:
    """Print one value (dotted KEY; `\\.` escapes a dot; `name[0]` indexes a list;
    credentials masked)."""
    from squall.settings import get_key

    path, settings = _shown_settings(ctx)
    try:
        click.echo(_dump(get_key(settings, key), fmt))
    except KeyError:
        click.echo(f"squall: no key {show_value(key)} in {path}", err=True)
        return 1
    return 0


@settings_group.command("set")
@click.argument("key")
@click.argument("value", required=False)
@click.option(
    "--from-stdin",
    is_flag=True,
    help="Read VALUE from standard input (a credential then stays out of ps and the "
    "shell's history).",
)
@click.pass_context
def settings_set(ctx: click.Context, key: str, value: str | None, from_stdin: bool) -> int:
    """Set KEY to VALUE (JSON; a bare word is taken as a string). Creates missing keys.

    Without VALUE, it is read from standard input (--from-stdin), or asked for, without
    echo, in a terminal: a credential (temporal.api_key, a token) then never appears
    on a command line."""
    from squall.settings import save_settings, set_key

    text = _value_of(key, value, from_stdin)
    path, settings = _path_and_settings(ctx)
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = text
    try:
        set_key(settings, key, parsed)
    except KeyError:
        click.echo(
            f"squall: cannot set {show_value(key)}: a parent is not a mapping or list", err=True
        )
        return 1
    save_settings(settings, path)
    return 0


#: the most a value read from standard input may hold
MAX_STDIN_VALUE = 1024 * 1024


def _value_of(key: str, value: str | None, from_stdin: bool) -> str:
    """The text of the value to set: VALUE, standard input, or a prompt without echo; a
    credential's value is registered as a secret (masked in anything printed).

    Raises:
        click.UsageError: both VALUE and --from-stdin, neither and no terminal to ask
            in, nothing (or too much) on standard input.
    """
    from squall.settings import is_secret_key

    if value is not None and from_stdin:
        raise click.UsageError("give VALUE or --from-stdin, not both")
    if value is None and from_stdin:
        value = sys.stdin.read(MAX_STDIN_VALUE + 1).removesuffix("\n").removesuffix("\r")
        if len(value) > MAX_STDIN_VALUE:
            raise click.UsageError(f"the value on standard input is over {MAX_STDIN_VALUE} bytes")
        if not value:
            raise click.UsageError("--from-stdin: nothing on standard input")
    elif value is None:
        if not sys.stdin.isatty():
            raise click.UsageError(
                "missing VALUE: give it, pipe it with --from-stdin, or run in a terminal "
                "to be asked for it (without echo)"
            )
        value = str(click.prompt(f"{key}", hide_input=True, confirmation_prompt=True, err=True))
    if is_secret_key(key):
        from squall.masking import register_secrets

        register_secrets([value])
    return value


@settings_group.command("remove")
@click.argument("key")
@click.pass_context
def settings_remove(ctx: click.Context, key: str) -> int:
    """Remove KEY."""
    from squall.settings import remove_key, save_settings

    path, settings = _path_and_settings(ctx)
    try:
        remove_key(settings, key)
    except KeyError:
        click.echo(f"squall: no key {show_value(key)} in {path}", err=True)
        return 1
    save_settings(settings, path)
    return 0


@click.command()
@click.argument("what", type=click.Choice(["core", "settings", "extensions"]), default="core")
@click.pass_context
def info(ctx: click.Context, what: str) -> int:
    """Versions (core), the settings file (settings), installed drivers (extensions)."""
    from squall._version import __version__

    if what == "core":
        click.echo(
            f"squall {__version__}\npython {platform.python_version()} ({sys.executable})\n"
            f"platform {platform.system()} {platform.release()} {platform.machine()}"
        )
    elif what == "settings":
        path, settings = _shown_settings(ctx)
        click.echo(f"# {path}\n{_dump(settings, 'yaml')}")
    else:
        from importlib.metadata import distributions

        for dist in sorted(distributions(), key=lambda d: d.metadata["Name"].lower()):
            name = dist.metadata["Name"]
            if name.lower().startswith(("squall-", "chaostoolkit-")):
                click.echo(f"{name} {dist.version}  {dist.metadata['Summary'] or ''}")
    return 0
