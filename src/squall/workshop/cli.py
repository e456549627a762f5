"""``squall workshop list|start|check|solution``: the exercises of the self-paced course."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from squall.workshop.catalog import Exercise

__all__ = ["workshop"]


class _NeedDemo(click.ClickException):
    exit_code = 3


def _exercise(number: int) -> Exercise:
    from squall.workshop.catalog import exercise

    try:
        return exercise(number)
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="N") from None


def _directory(number: int, directory: Path | None) -> Path:
    from squall.workshop.catalog import exercise

    return directory or Path(f"workshop/{exercise(number).folder}")


def _check_directory(number: int, directory: Path | None) -> Path:
    """Where ``check`` looks: DIRECTORY, else ``workshop/NN-name``, else the current
    directory when it is the exercise's own (the pages run experiments from there)."""
    from squall.workshop.catalog import exercise

    target = _directory(number, directory)
    here = Path.cwd()
    if directory is None and not target.is_dir() and here.name == exercise(number).folder:
        return Path(".")
    return target


@click.group("workshop")
def workshop() -> None:
    """The exercises of the self-paced course (docs/workshop/): each has a starting point,
    a check that says what is still missing, and a reference solution."""


@workshop.command("list")
def list_command() -> None:
    """The exercises, by part, with the demo each needs."""
    from squall.workshop.catalog import EXERCISES

    for item in EXERCISES:
        demo = f"{item.demo} demo" if item.demo else "no demo"
        click.echo(
            f"{item.number}  part {item.part}  {item.minutes:>3} min  {demo:<18} {item.title}"
        )


@workshop.command("start")
@click.argument("number", metavar="N", type=int)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), required=False)
def start_command(number: int, directory: Path | None) -> None:
    """Copy exercise N's starting point into DIRECTORY [default: workshop/NN-name]."""
    item = _exercise(number)
    target = _directory(number, directory)
    kept = item.copy("start", target)
    for path in kept:
        click.echo(f"kept your {path} (not overwritten)", err=True)
    click.echo(f"exercise {number}: {item.title}")
    click.echo(f"  goal:  {item.goal}")
    click.echo(f"  files: {target}/")
    click.echo(f"  check: squall workshop check {number} {target}")


@workshop.command("check")
@click.argument("number", metavar="N", type=int)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), required=False)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The demo's state directory [default: $SQUALL_DEMO_DIR or the user state dir].",
)
def check_command(number: int, directory: Path | None, state_dir: Path | None) -> None:
    """Run your work on exercise N (in DIRECTORY [default: workshop/NN-name, or the
    current directory when it is the exercise's]) and say what is still missing.

    Exit 0 when the exercise is complete, 1 when something is missing, 3 when the demo it
    needs is not running."""
    from squall.workshop.checking import NeedDemo, check

    _exercise(number)
    target = _check_directory(number, directory)
    if not target.is_dir():
        raise click.BadParameter(
            f"{target} does not exist: squall workshop start {number} {target}",
            param_hint="DIRECTORY",
        )
    try:
        report = check(number, target, state_dir)
    except NeedDemo as exc:
        raise _NeedDemo(str(exc)) from None
    click.echo(report.render())
    raise SystemExit(0 if report.complete else 1)


@workshop.command("solution")
@click.argument("number", metavar="N", type=int)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def solution_command(number: int, directory: Path) -> None:
    """Copy exercise N's reference solution into DIRECTORY (never over your files)."""
    item = _exercise(number)
    kept = item.copy("solution", directory)
    for path in kept:
        click.echo(f"kept your {path} (not overwritten)", err=True)
    click.echo(f"exercise {number}: the reference solution is in {directory}/")
