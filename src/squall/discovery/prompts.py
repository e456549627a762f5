"""Ask the questions of ``squall init``; the answers have the same shape as an
``--answers`` file (see ``squall.discovery.builder``).

On a terminal a wrong answer is asked again. With answers piped in (``printf ... |
squall init``, one answer a line), each question is printed with the answer read for
it, so the output is a transcript, and a wrong or missing answer stops with exit 2
naming the question and its line: asking again would take the next line, and every
later answer would go to the wrong question.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from typing import Any

import click

from squall.discovery.builder import InitError
from squall.discovery.coerce import CoercionError, coerce

__all__ = ["ask"]

_UNSET = object()
_YES = ("y", "yes")
_NO = ("n", "no")


class _Asker:
    """Questions on a terminal (click's prompts) or from piped lines (read and shown)."""

    def __init__(self) -> None:
        self.interactive = sys.stdin.isatty()
        self.line = 0

    def text(self, question: str, default: str | None = None) -> str:
        if self.interactive:
            return str(click.prompt(question, default=default, show_default=bool(default)))
        shown = f"{question} [{default}]" if default else question
        answer = self._read(shown)
        if answer:
            return answer
        if default is None:
            self.wrong(question, "an answer is needed")
        return default or ""

    def yes(self, question: str, default: bool) -> bool:
        if self.interactive:
            return click.confirm(question, default=default)
        answer = self._read(f"{question} [{'Y/n' if default else 'y/N'}]").lower()
        if answer in _YES or answer in _NO:
            return answer in _YES
        if answer:
            self.wrong(question, f"answer y or n, not {json.dumps(answer)}")
        return default

    def wrong(self, question: str, why: str) -> None:
        """A wrong answer: said, then asked again on a terminal; the end with piped
        answers."""
        if self.interactive:
            click.echo(why[0].upper() + why[1:] + ".")
            return
        raise InitError(f"answer on line {self.line} of the input ({question}): {why}")

    def _read(self, shown: str) -> str:
        click.echo(f"{shown}: ", nl=False)
        line = sys.stdin.readline()
        self.line += 1
        if not line:
            click.echo()
            raise InitError(f"the answers ended before line {self.line} ({shown})")
        answer = line.rstrip("\r\n")
        click.echo(answer)
        return answer.strip()


def ask(discovery: Mapping[str, Any]) -> dict[str, Any]:
    """Ask every question; raises InitError when piped answers are wrong or run out."""
    q = _Asker()
    activities = list(discovery.get("activities", []))
    answers: dict[str, Any] = {
        "title": q.text("Experiment's title"),
        "description": q.text("Description", default="N/A"),
    }
    probes = [a for a in activities if a.get("type") == "probe"]
    if probes and q.yes("Add a steady-state hypothesis?", default=True):
        title = q.text("Hypothesis' title")
        chosen = _pick(q, probes, "probe for the hypothesis", _hypothesis_probe)
        answers["hypothesis"] = {"title": title, "probes": chosen}
    answers["method"] = _pick(q, activities, "activity for the method", _answer, at_least=1)
    actions = [a for a in activities if a.get("type") == "action"]
    if actions and q.yes("Add rollbacks?", default=False):
        answers["rollbacks"] = _pick(q, actions, "rollback action", _answer)
    return answers


def _hypothesis_probe(q: _Asker, activity: Mapping[str, Any]) -> dict[str, Any]:
    answer = _answer(q, activity)
    answer["tolerance"] = coerce(q.text("Tolerance (a value, list or object)"), "object")
    return answer


def _pick(
    q: _Asker,
    activities: list[dict[str, Any]],
    what: str,
    make: Callable[[_Asker, Mapping[str, Any]], dict[str, Any]],
    at_least: int = 0,
) -> list[dict[str, Any]]:
    """Show the numbered list, then ask for numbers until an empty answer; each picked
    activity's documentation is shown, then ``Use NAME?``, then its arguments (``make``)."""
    picked: list[dict[str, Any]] = []
    lines = [
        f"{i + 1:3}. {a['type']:<6} {a['name']}  {_first_line(a.get('doc'))}"
        for i, a in enumerate(activities)
    ]
    text = "\n".join(lines)
    if len(lines) > 20 and q.interactive:
        click.echo_via_pager(text)
    else:
        click.echo(text)
    while True:
        empty_ok = len(picked) >= at_least
        question = f"Number of the {what}" + (" (empty: done)" if empty_ok else "")
        number = q.text(question, default="" if empty_ok else None)
        if not number.strip():
            return picked
        if not number.strip().isdigit() or not 1 <= int(number) <= len(activities):
            q.wrong(question, f"give a number from 1 to {len(activities)}")
            continue
        activity = activities[int(number) - 1]
        click.echo(activity.get("doc") or "(no documentation)")
        if q.yes(f"Use {activity['name']}?", default=True):
            picked.append(make(q, activity))


def _answer(q: _Asker, activity: Mapping[str, Any]) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    for argument in activity.get("arguments", []):
        portable = argument.get("type")
        label = f"{argument['name']}" + (f" ({portable})" if portable else "")
        default = argument.get("default", _UNSET)
        while True:
            text = q.text(label, default=_show(default) if default is not _UNSET else None)
            if default is not _UNSET and text == _show(default):
                break  # keep the function's default: not written out
            try:
                arguments[argument["name"]] = coerce(text, portable)
            except CoercionError as exc:
                q.wrong(label, f"not a valid value: {exc}")
                continue
            break
    return {"activity": f"{activity['mod']}:{activity['name']}", "arguments": arguments}


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _first_line(doc: Any) -> str:
    return ((str(doc or "")).strip().splitlines() or [""])[0]
