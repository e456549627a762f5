"""Small readers shared by the exercise checks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from squall.workshop.checking import Item

__all__ = [
    "activities",
    "file_item",
    "load_document",
    "probes",
    "provider_calls",
    "todo_item",
    "validate_item",
]


def load_document(path: Path) -> Any:
    """A JSON or YAML file's content (None when it cannot be read)."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError):
        return None


def file_item(path: Path, what: str) -> Item:
    return Item(path.is_file(), f"{path.name}: {what}", f"create {path}")


def todo_item(path: Path) -> Item:
    """Every TODO of the starting point is replaced."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    lines = [n for n, line in enumerate(text.splitlines(), 1) if "TODO" in line]
    where = ", ".join(str(n) for n in lines[:8])
    on = "line" if len(lines) == 1 else "lines"
    return Item(not lines, f"{path.name}: no TODO left", f"still a TODO on {on} {where}")


def validate_item(done: Any, path: Path) -> Item:
    """``squall validate`` passed (its problems are the hint when not)."""
    problems = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    return Item(
        done.returncode == 0,
        f"{path.name}: squall validate accepts it",
        "\n".join(problems[-8:]),
    )


def probes(document: Any) -> list[dict[str, Any]]:
    """The steady-state hypothesis probes of an experiment document."""
    if not isinstance(document, dict):
        return []
    found = (document.get("steady-state-hypothesis") or {}).get("probes") or []
    return [p for p in found if isinstance(p, dict)]


def activities(document: Any, section: str) -> list[dict[str, Any]]:
    """The activities of ``method`` or ``rollbacks``."""
    if not isinstance(document, dict):
        return []
    return [a for a in document.get(section) or [] if isinstance(a, dict)]


def provider_calls(items: list[dict[str, Any]]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(module, func, arguments) of the python providers among ``items``."""
    for item in items:
        provider = item.get("provider") or {}
        if provider.get("type") == "python":
            yield (
                str(provider.get("module", "")),
                str(provider.get("func", "")),
                provider.get("arguments") or {},
            )
