"""``squall discover``, ``squall drivers`` and ``squall init`` (imported only when used)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from squall.errors import describe
from squall.show import counted, show_value

__all__ = ["discover", "drivers", "init"]


def _read_data(path: str, kind: str) -> Any:
    """A JSON/YAML file's data, read like an experiment (input limits, located errors).

    Raises:
        LoadError: unreadable, too large or deep, an alias bomb, not JSON/YAML (exit 2).
    """
    from squall.experiment import parse_text, read_text

    text = read_text(path, kind=kind)
    return parse_text(text, path, "json" if path.lower().endswith(".json") else "yaml").data


def _discovery_problem(data: Any) -> str | None:
    """What makes ``data`` no discovery (what ``squall discover`` writes), or None."""
    if not isinstance(data, dict):
        return "it is not a JSON object"
    activities = data.get("activities", [])
    if not isinstance(activities, list) or not all(isinstance(a, dict) for a in activities):
        return '"activities" is not a list of objects'
    for activity in activities:
        arguments = activity.get("arguments", [])
        if not isinstance(activity.get("name"), str) or not isinstance(arguments, list):
            return 'an activity has no name, or its "arguments" is not a list'
        if not all(isinstance(a, dict) and isinstance(a.get("name"), str) for a in arguments):
            return f"activity {show_value(activity['name'])}: an argument has no name"
    return None


def _fail(message: str, event: str | None = None, payload: Any = None) -> None:
    sys.stdout.flush()  # what was printed comes before the error (one terminal, one log)
    click.echo(f"squall: {message}", err=True)
    if event:
        _notify(event, payload, message)
    sys.exit(2)


def _notify(event: str, payload: Any, error: Any = None) -> None:
    """Send a flow event to the settings' notification channels (see notifications)."""
    from squall.cli.runcore import load_cli_settings_file
    from squall.notifications import notify

    obj = click.get_current_context().find_root().obj or {}
    settings = load_cli_settings_file(obj.get("settings_path"))
    notify(settings, event, payload, error)


@click.command()
@click.argument("package")
@click.option("--no-system-info", is_flag=True, help="Do not ask the driver about its system.")
@click.option(
    "--discovery-path",
    type=click.Path(dir_okay=False),
    default="discovery.json",
    show_default=True,
    help="Where to write the discovery.",
)
def discover(package: str, no_system_info: bool, discovery_path: str) -> None:
    """Describe a driver's activities (import, distribution or driver name)."""
    from squall.discovery.document import discover as build
    from squall.discovery.errors import DiscoveryError

    _notify("discovery-started", package)
    try:
        document = build(package, system_info=not no_system_info)
    except DiscoveryError as exc:
        _fail(str(exc), "discovery-failed", package)
        return
    _notify("discovery-completed", document)
    Path(discovery_path).write_text(json.dumps(document, indent=4) + "\n", encoding="utf-8")
    activities = document.get("activities", [])
    probes = sum(1 for a in activities if a.get("type") == "probe")
    counts = f"{counted(probes, 'probe')}, {counted(len(activities) - probes, 'action')}"
    click.echo(
        f"{discovery_path}: {counted(len(activities), 'activity', 'activities')} ({counts}) "
        f"from {document.get('extension', {}).get('name', package)}"
    )


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def drivers(as_json: bool) -> None:
    """List installed drivers and their activities."""
    from squall.discovery.drivers import installed_drivers

    found = installed_drivers()
    if as_json:
        click.echo(json.dumps(found, indent=2))
    else:
        for driver in found:
            version = f" {driver['version']}" if driver.get("version") else ""
            click.echo(f"{driver['name']}  ({driver['module']}, {driver['distribution']}{version})")
            if "error" in driver:
                click.echo(f"  error: {driver['error']}")
            for activity in driver.get("activities", []):
                click.echo(f"  {activity['type']:<6} {activity['name']}  {activity['doc']}")
        _show_controls()
    if any("error" in d for d in found):
        sys.exit(1)


def _show_controls() -> None:
    """The controls registered under ``squall.controls`` (text output only)."""
    from squall.discovery.drivers import installed_controls

    controls = installed_controls()
    if controls:
        click.echo("controls (squall.controls entry points):")
    for control in controls:
        where = f"({control['module']}, {control['distribution']})"
        detail = control.get("doc") or f"error: {control.get('error')}"
        click.echo(f"  {control['name']}  {where}  {detail}")


@click.command()
@click.option(
    "--discovery-path",
    type=click.Path(dir_okay=False),
    default="discovery.json",
    show_default=True,
)
@click.option(
    "--experiment-path",
    type=click.Path(dir_okay=False),
    default="experiment.json",
    show_default=True,
    help="Written as YAML when it ends in .yaml/.yml, else as JSON.",
)
@click.option(
    "--answers",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="A YAML/JSON file with the answers (no prompts).",
)
def init(discovery_path: str, experiment_path: str, answers: str | None) -> None:
    """Build an experiment from a discovery, by prompts or from an answers file."""
    import yaml

    from squall.discovery.builder import InitError, build_experiment

    _notify("init-started", None)
    if not Path(discovery_path).exists():
        _fail(f"no discovery at {discovery_path}: run `squall discover PACKAGE` first")
        return
    # both files are untrusted data: read within the input limits (size, depth, aliases),
    # and a wrong shape is bad input (exit 2), not an internal error
    discovery = _read_data(discovery_path, "discovery")
    problem = _discovery_problem(discovery)
    if problem:
        _fail(f"{discovery_path} is not a discovery: {problem}")
        return
    if answers is not None:
        given = _read_data(answers, "answers file")
        if not isinstance(given, dict):
            _fail(f"the answers {answers} must be a mapping")
            return
    else:
        from squall.discovery.prompts import ask

        try:
            given = ask(discovery)
        except InitError as exc:  # piped answers that are wrong or run out
            _fail(str(exc), "init-failed")
            return
    try:
        experiment = build_experiment(discovery, given)
    except InitError as exc:
        _fail(str(exc), "init-failed")
        return
    except (AttributeError, KeyError, TypeError) as exc:  # a value of the wrong kind
        _fail(f"the answers {answers} do not fit the discovery ({describe(exc)})", "init-failed")
        return
    path = Path(experiment_path)
    if path.suffix.lower() in (".yaml", ".yml"):
        text = yaml.safe_dump(experiment, sort_keys=False, allow_unicode=True)
    else:
        text = json.dumps(experiment, indent=4) + "\n"
    path.write_text(text, encoding="utf-8")
    click.echo(f"{experiment_path}: experiment written")
    _notify("init-completed", experiment)
