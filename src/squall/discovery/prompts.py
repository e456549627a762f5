"""Ask the questions of ``squall init`` in a terminal; the answers have the same shape
as an ``--answers`` file (see ``squall.discovery.builder``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import click

from squall.discovery.coerce import CoercionError, coerce

__all__ = ["ask"]

_UNSET = object()


def ask(discovery: Mapping[str, Any]) -> dict[str, Any]:
    activities = list(discovery.get("activities", []))
    answers: dict[str, Any] = {
        "title": click.prompt("Experiment's title"),
        "description": click.prompt("Description", default="N/A"),
    }
    probes = [a for a in activities if a.get("type") == "probe"]
    if probes and click.confirm("Add a steady-state hypothesis?", default=True):
        title = click.prompt("Hypothesis' title")
        chosen = _pick(probes, "probe for the hypothesis", _hypothesis_probe)
        answers["hypothesis"] = {"title": title, "probes": chosen}
    answers["method"] = _pick(activities, "activity for the method", _answer, at_least=1)
    actions = [a for a in activities if a.get("type") == "action"]
    if actions and click.confirm("Add rollbacks?", default=False):
        answers["rollbacks"] = _pick(actions, "rollback action", _answer)
    return answers


def _hypothesis_probe(activity: Mapping[str, Any]) -> dict[str, Any]:
    answer = _answer(activity)
    answer["tolerance"] = _parse(click.prompt("Tolerance (a value, list or object)"))
    return answer


def _pick(
    activities: list[dict[str, Any]],
    what: str,
    make: Callable[[Mapping[str, Any]], dict[str, Any]],
    at_least: int = 0,
) -> list[dict[str, Any]]:
    """Show the numbered list, then ask for numbers until an empty answer; each picked
    activity's arguments are asked at once (``make``)."""
    picked: list[dict[str, Any]] = []
    lines = [
        f"{i + 1:3}. {a['type']:<6} {a['name']}  {_first_line(a.get('doc'))}"
        for i, a in enumerate(activities)
    ]
    text = "\n".join(lines)
    if len(lines) > 20:
        click.echo_via_pager(text)
    else:
        click.echo(text)
    while True:
        empty_ok = len(picked) >= at_least
        number = click.prompt(
            f"Number of the {what}" + (" (empty: done)" if empty_ok else ""),
            default="" if empty_ok else None,
            show_default=False,
        )
        if not str(number).strip():
            return picked
        try:
            activity = activities[int(number) - 1]
            if int(number) < 1:
                raise IndexError
        except (ValueError, IndexError):
            click.echo(f"Give a number from 1 to {len(activities)}.")
            continue
        click.echo(activity.get("doc") or "(no documentation)")
        if click.confirm(f"Use {activity['name']}?", default=True):
            picked.append(make(activity))


def _answer(activity: Mapping[str, Any]) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    for argument in activity.get("arguments", []):
        portable = argument.get("type")
        label = f"{argument['name']}" + (f" ({portable})" if portable else "")
        default = argument.get("default", _UNSET)
        while True:
            text = click.prompt(
                label,
                default=_show(default) if default is not _UNSET else None,
                show_default=True,
            )
            if default is not _UNSET and text == _show(default):
                break  # keep the function's default: not written out
            try:
                arguments[argument["name"]] = coerce(text, portable)
            except CoercionError as exc:
                click.echo(f"Not a valid value: {exc}")
                continue
            break
    return {"activity": f"{activity['mod']}:{activity['name']}", "arguments": arguments}


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _parse(text: str) -> Any:
    return coerce(text, "object")


def _first_line(doc: Any) -> str:
    return ((str(doc or "")).strip().splitlines() or [""])[0]
