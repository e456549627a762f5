"""Read an experiment source (path, URL or ``-`` for stdin; JSON or YAML) into a mapping.

This is the only module that parses text. Positions (line:column) are computed lazily, and
only when a problem must be reported, so the happy path pays nothing for them.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from functools import cache
from typing import Any

from squall.errors import LoadError, Problem

__all__ = ["Document", "load_source", "parse_text"]


@cache
def _yaml() -> tuple[Any, Any]:
    """PyYAML and its fastest safe loader, imported on first use (JSON never needs it)."""
    import yaml

    # the C loader is ~10x faster; fall back to pure Python when libyaml is missing
    return yaml, getattr(yaml, "CSafeLoader", yaml.SafeLoader)


BEARER_ENV_VARS = ("SQUALL_LOADER_AUTH_BEARER_TOKEN", "CHAOSTOOLKIT_LOADER_AUTH_BEARER_TOKEN")


class Document:
    """A parsed source: its data, its name (for messages) and its text (for positions)."""

    __slots__ = ("_tree", "data", "fmt", "name", "text")

    def __init__(self, *, data: Any, name: str, text: str, fmt: str) -> None:
        self.data = data
        self.name = name
        self.text = text
        self.fmt = fmt
        self._tree: Any = None

    def locate(self, pointer: str) -> tuple[int, int] | None:
        """1-based (line, column) of the value at ``pointer``, or of its nearest parent."""
        if self._tree is None:
            yaml, loader = _yaml()
            try:
                self._tree = yaml.compose(self.text, Loader=loader) or False
            except yaml.YAMLError:
                self._tree = False
        node = self._tree
        if not node:
            return None
        for token in _split_pointer(pointer):
            child = _child(node, token)
            if child is None:
                break
            node = child
        mark = node.start_mark
        return mark.line + 1, mark.column + 1

    def located(self, problems: list[Problem]) -> list[Problem]:
        """The problems, each with this document's name and its position."""
        out = []
        for problem in problems:
            pos = self.locate(problem.pointer)
            line, col = pos if pos else (None, None)
            out.append(problem.located(self.name, line, col))
        return out


def _split_pointer(pointer: str) -> list[str]:
    if not pointer or pointer == "/":
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.lstrip("/").split("/")]


def _child(node: Any, token: str) -> Any:
    yaml, _ = _yaml()
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == token:
                return value
        return None
    if isinstance(node, yaml.SequenceNode) and token.isdigit():
        index = int(token)
        return node.value[index] if index < len(node.value) else None
    return None


def parse_text(text: str, name: str, fmt: str | None = None) -> Document:
    """Parse ``text`` as JSON or YAML (``fmt`` None: guess from the first character).

    Raises:
        LoadError: the text is not valid JSON/YAML; the error has line and column.
    """
    if fmt is None:
        fmt = "json" if text.lstrip()[:1] in ("{", "[") else "yaml"
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            problem = Problem("", f"invalid JSON: {exc.msg}", "fix the syntax at that place")
            raise LoadError(
                f"cannot parse {name} as JSON",
                [problem.located(name, exc.lineno, exc.colno)],
            ) from None
    else:
        yaml, loader = _yaml()
        try:
            data = yaml.load(text, Loader=loader)
        except yaml.YAMLError as exc:
            raise LoadError(
                f"cannot parse {name} as YAML", [_yaml_problem(exc, name, text)]
            ) from None
    return Document(data=data, name=name, text=text, fmt=fmt)


def _yaml_problem(exc: Exception, name: str, text: str) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    what = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"invalid YAML: {context + ', ' if context else ''}{what}"
    hint = "check indentation and quoting there"
    if "could not determine a constructor" in str(exc):
        hint = "only plain YAML is accepted; remove the '!!python/...' or custom tag"
    elif mark is not None and _unquoted_placeholder_in_flow(exc, text, mark.line):
        hint = (
            'quote the placeholder: "${name}" (inside [...] or {...} YAML reads an unquoted '
            "'{' as the start of a mapping)"
        )
    problem = Problem("", message, hint)
    if mark is None:
        return problem.located(name, None, None)
    return problem.located(name, mark.line + 1, mark.column + 1)


def _unquoted_placeholder_in_flow(exc: Exception, text: str, line: int) -> bool:
    """The classic: ``args: [a, ${x}]`` (the Chaos Toolkit's issue #292)."""
    context = getattr(exc, "context", None) or ""
    lines = text.splitlines()
    return "flow" in context and line < len(lines) and "${" in lines[line]


def _format_for(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(".json"):
        return "json"
    if lower.endswith((".yaml", ".yml")):
        return "yaml"
    return None


def load_source(
    source: str,
    *,
    verify_tls: bool = True,
    auths: Mapping[str, Any] | None = None,
) -> Document:
    """Load an experiment from a file path, an ``http(s)://`` URL, or ``-`` (stdin).

    Raises:
        LoadError: the source cannot be read, or is not JSON/YAML, or is not a mapping.
    """
    if source == "-":
        document = parse_text(sys.stdin.read(), "<stdin>")
    elif source.startswith(("http://", "https://")):
        document = _load_url(source, verify_tls=verify_tls, auths=auths or {})
    else:
        document = _load_path(source)
    if not isinstance(document.data, dict):
        kind = type(document.data).__name__ if document.data is not None else "nothing"
        problem = Problem("", f"an experiment must be a mapping (object), found {kind}")
        raise LoadError(f"{document.name} is not an experiment", document.located([problem]))
    return document


def _load_path(source: str) -> Document:
    path = os.path.expanduser(source)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise LoadError(f"experiment file not found: {source} (looked in {os.getcwd()})") from None
    except IsADirectoryError:
        raise LoadError(f"{source} is a directory, not an experiment file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError(f"cannot read {source}: {exc}") from None
    return parse_text(text, source, _format_for(source))


def _auth_header(url: str, auths: Mapping[str, Any]) -> str | None:
    for var in BEARER_ENV_VARS:
        token = os.environ.get(var)
        if token:
            return f"Bearer {token}"
    import urllib.parse

    parsed = urllib.parse.urlsplit(url)
    host = parsed.hostname or ""
    for key in (f"{host}:{parsed.port}" if parsed.port else None, host):
        entry = auths.get(key) if key else None
        if isinstance(entry, Mapping) and "type" in entry and "value" in entry:
            return f"{entry['type']} {entry['value']}"
    return None


def _load_url(url: str, *, verify_tls: bool, auths: Mapping[str, Any]) -> Document:
    import httpx

    headers = {"Accept": "application/json, application/x-yaml"}
    auth = _auth_header(url, auths)
    if auth:
        headers["Authorization"] = auth
    try:
        response = httpx.get(url, headers=headers, verify=verify_tls, timeout=30.0)
    except httpx.HTTPError as exc:
        raise LoadError(f"cannot fetch {url}: {exc}") from None
    if response.status_code != 200:
        raise LoadError(f"cannot fetch {url}: HTTP {response.status_code}")
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    fmt = {"application/json": "json", "application/x-yaml": "yaml", "text/yaml": "yaml"}.get(
        content_type
    ) or _format_for(url.split("?", maxsplit=1)[0])
    return parse_text(response.text, url, fmt)
