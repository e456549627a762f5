"""``squall demo up|down|status|reload``: the click command group for the demo target."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

__all__ = ["default_state_dir", "demo"]


def default_state_dir() -> Path:
    """``$SQUALL_DEMO_DIR``, else the platform's user state directory for squall, ``/demo``."""
    from squall.drivers._state import demo_state_dir

    return demo_state_dir()


def _state_dir_option(func: Any) -> Any:
    return click.option(
        "--state-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Where the demo keeps its files [default: $SQUALL_DEMO_DIR or the user state dir].",
    )(func)


class _DemoFailed(click.ClickException):
    exit_code = 3


@click.group("demo")
def demo() -> None:
    """A small, real target system (HTTPS API, auth service, detector, webhook) on 127.0.0.1."""


@demo.command("up")
@click.option("--misconfigured", is_flag=True, help="Start with deliberate security mistakes.")
@click.option(
    "--base-port",
    type=click.IntRange(0, 65531),
    default=8443,
    show_default=True,
    help="API on this port, auth +1, webhook +2, detector +3; 0 picks free ports.",
)
@click.option("--json", "as_json", is_flag=True, help="Print demo.json instead of a summary.")
@_state_dir_option
def up_command(misconfigured: bool, base_port: int, as_json: bool, state_dir: Path | None) -> None:
    """Start the demo and return once every component is healthy."""
    from squall.demo.config import DemoError
    from squall.demo.manage import up

    directory = state_dir or default_state_dir()
    try:
        info = up(directory, misconfigured=misconfigured, base_port=base_port or None)
    except DemoError as exc:
        raise _DemoFailed(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(info.data, indent=2, sort_keys=True))
        return
    data = info.data
    mode = " (MISCONFIGURED)" if misconfigured else ""
    click.echo(f"squall demo is up{mode}")
    for name in ("api", "auth", "webhook", "detector"):
        click.echo(f"  {name:<9} pid {data['pids'][name]:<7} port {data['ports'][name]}")
    click.echo(f"  API        {data['api_url']}  (CA: {data['ca_file']})")
    click.echo(f"  user       {data['user']} / {data['password']}")
    click.echo(f"  alerts     {data['alerts_file']}")
    click.echo(f"  everything {info.state_dir / 'demo.json'}")


@demo.command("down")
@_state_dir_option
def down_command(state_dir: Path | None) -> None:
    """Stop every process of the demo (idempotent)."""
    from squall.demo.config import DemoError
    from squall.demo.manage import down

    try:
        down(state_dir or default_state_dir())
    except DemoError as exc:
        raise _DemoFailed(str(exc)) from exc
    click.echo("squall demo is down")


@demo.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@_state_dir_option
def status_command(as_json: bool, state_dir: Path | None) -> None:
    """Show which components run and answer; exit 0 only if all are healthy."""
    from squall.demo.manage import status

    result = status(state_dir or default_state_dir())
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, sort_keys=True))
    elif not result.components:
        click.echo(f"no demo in {result.state_dir}")
    else:
        for c in result.components.values():
            state = "healthy" if c.healthy else ("running" if c.running else "stopped")
            click.echo(f"{c.name:<9} {state:<8} pid {c.pid or '-':<7} port {c.port}")
    raise SystemExit(0 if result.healthy else 1)


@demo.command("reload")
@_state_dir_option
def reload_command(state_dir: Path | None) -> None:
    """Send SIGHUP to the API, auth service and detector (re-read config.json)."""
    from squall.demo.config import DemoError
    from squall.demo.manage import reload

    try:
        signalled = reload(state_dir or default_state_dir())
    except DemoError as exc:
        raise _DemoFailed(str(exc)) from exc
    click.echo("reloaded " + ", ".join(signalled))


@demo.command("vars")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the var file here (mode 0600: it holds tokens) instead of printing it.",
)
@_state_dir_option
def vars_command(output: Path | None, state_dir: Path | None) -> None:
    """The --var-file for the security examples: the demo's files, ports and two tokens."""
    from squall.demo.config import DemoError
    from squall.demo.variables import read_demo, var_file, write_var_file

    try:
        data = read_demo(state_dir or default_state_dir())
        if output is None:
            click.echo(json.dumps(var_file(data), indent=2))
            return
        write_var_file(data, output)
    except DemoError as exc:
        raise _DemoFailed(str(exc)) from exc
    click.echo(f"wrote {output} (use it with: squall run --var-file {output} EXPERIMENT)", err=True)
