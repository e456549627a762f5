"""A third-party squall plugin that registers one of each: a provider type, a tolerance
type, a secret backend, a journal sink and a CLI command (tests/extending runs it,
installed through its real ``entry_points.txt``)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from squall import ActivityFailed, Problem
from squall.hooks import hookimpl


class EchoProvider:
    """``{"type": "echo", "text": "..."}``: returns the text (upper-cased if asked)."""

    type = "echo"

    def check(self, spec: Any, pointer: str) -> list[Problem]:
        if not isinstance(spec.raw.get("text"), str):
            return [Problem(pointer + "/provider", "an echo provider requires a 'text' string")]
        return []

    def run(self, spec: Any, call: Any) -> Any:
        if spec.raw.get("fail"):
            raise ActivityFailed(f"echo was asked to fail in {call.name!r}")
        text = spec.raw["text"]
        return text.upper() if spec.raw.get("upper") else text


def divisible_by(tolerance: dict[str, Any], value: Any) -> Any:
    """``{"type": "divisible-by", "divisor": n}``."""
    divisor = tolerance["divisor"]
    if len(str(value)) % divisor == 0:
        return True
    return False, f"{len(str(value))} characters is not a multiple of {divisor}"


def from_file(secret: dict[str, Any], configuration: dict[str, Any]) -> str:
    """``{"type": "file", "path": "..."}``: the file's first line."""
    base = Path(configuration.get("secrets_dir", "."))
    return (base / secret["path"]).read_text(encoding="utf-8").splitlines()[0]


def record_journal(journal: dict[str, Any], path: str | None) -> None:
    target = os.environ.get("SAMPLE_SINK")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps({"status": journal["status"], "path": path}) + "\n")


@click.command("hello")
@click.argument("who", default="world")
def hello(who: str) -> None:
    """Say hello (a command added by squall-sample-plugin)."""
    click.echo(f"hello, {who}, from a plugin")


@hookimpl
def squall_register_providers() -> list[Any]:
    return [EchoProvider()]


@hookimpl
def squall_register_tolerances() -> dict[str, Any]:
    return {"divisible-by": divisible_by}


@hookimpl
def squall_register_secret_backends() -> dict[str, Any]:
    return {"file": from_file}


@hookimpl
def squall_register_journal_sinks() -> list[Any]:
    return [record_journal]


@hookimpl
def squall_register_commands() -> list[Any]:
    return [hello]
