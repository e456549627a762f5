"""SQ401-SQ404: action arguments whose blast radius has no bound.

The rules are a table: each row has a rule id and a test on one argument (its key, the
nearest mapping key above it, and its value). Only method actions are checked (probes
change nothing; rollbacks restore). The first row that matches a value wins. To add a
pattern, add a row (and its rule in ``rules.py`` and ``docs/reference/lint.md``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from squall.lint.context import Context
from squall.lint.model import Finding, finding
from squall.lint.rules import rule
from squall.lint.walk import leaves, provider_raw
from squall.show import show_value

__all__ = ["BLAST_RULES", "check"]

_COUNT_KEYS = re.compile(r"^(count|qty|quantity|instances|instance_count|max_instances|"
                         r"number_of_\w+|\w+_count|limit)$", re.IGNORECASE)  # fmt: skip
_PERCENT_KEYS = re.compile(r"(^|_|-)(percent|percentage|pct)($|_|-)", re.IGNORECASE)
_ALL_FLAG_KEYS = re.compile(r"^(all|all[_-]?namespaces|all[_-]?instances|all[_-]?nodes)$",
                            re.IGNORECASE)  # fmt: skip
_WILDCARDS = ("*", "all", "everything", ".*")
_ALL_FLAGS = ("--all", "--all-namespaces")
_UNLIMITED = ("all", "*", "unlimited", "max", "inf", "infinity")
_OPEN_CIDR = re.compile(r"(?<![\d.])0\.0\.0\.0/0\b|(?<![\w:])::/0\b")


def _shown(key: str, value: Any) -> str:
    """``'key': value`` (JSON spelling), or ``argument value`` for a list item."""
    text = json.dumps(value)
    return f"'{key}': {text}" if key else f"argument {text}"


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().rstrip("%"))
        except ValueError:
            return None
    return None


def _unlimited_count(key: str, value: Any) -> str | None:
    if not _COUNT_KEYS.match(key):
        return None
    number = _number(value)
    if value is None or (number is not None and number < 0):
        return f"{_shown(key, value)} sets no limit on how many targets are hit"
    if isinstance(value, str) and value.strip().lower() in _UNLIMITED:
        return f"{_shown(key, value)} sets no limit on how many targets are hit"
    return None


def _full_percentage(key: str, value: Any) -> str | None:
    number = _number(value)
    is_percent = _PERCENT_KEYS.search(key) or (isinstance(value, str) and value.endswith("%"))
    if is_percent and number is not None and number >= 100:
        return f"{_shown(key, value)} hits every target"
    return None


def _wildcard(key: str, value: Any) -> str | None:
    if value is True and _ALL_FLAG_KEYS.match(key):
        return f"{_shown(key, value)} selects every target"
    if isinstance(value, str) and value.strip().lower() in _WILDCARDS:
        return f"{_shown(key, value)} selects every target"
    if isinstance(value, str) and value.strip() in _ALL_FLAGS:
        return f"{_shown(key, value)} selects every target"
    return None


def _open_cidr(key: str, value: Any) -> str | None:
    if isinstance(value, str) and _OPEN_CIDR.search(value):
        return f"{_shown(key, value)} covers every address"
    return None


#: (rule id, test) rows, tried in order; the first that matches an argument wins.
BLAST_RULES: tuple[tuple[str, Callable[[str, Any], str | None]], ...] = (
    ("SQ403", _unlimited_count),
    ("SQ402", _full_percentage),
    ("SQ401", _wildcard),
    ("SQ404", _open_cidr),
)

_FIXES = {
    "SQ401": "name the targets (a label selector, a namespace, a host list) instead",
    "SQ402": "start with a small percentage and grow it in later runs",
    "SQ403": "give an explicit, small number of targets",
    "SQ404": "name the network the experiment is about (e.g. 10.0.3.0/24)",
}


def check(ctx: Context) -> Iterator[Finding]:
    for action in ctx.method_actions():
        raw = provider_raw(action)
        for key in ("arguments", "url", "headers"):
            if key not in raw:
                continue
            base = f"{action.pointer}/provider/{key}"
            for pointer, leaf_key, value in leaves(raw[key], base):
                yield from _row(action.name, pointer, leaf_key, value)


def _row(name: str, pointer: str, key: str, value: Any) -> Iterator[Finding]:
    for rule_id, test in BLAST_RULES:
        why = test(key, value)
        if why is not None:
            yield finding(
                rule(rule_id), pointer, f"action {show_value(name)}: {why}", _FIXES[rule_id], name
            )
            return
