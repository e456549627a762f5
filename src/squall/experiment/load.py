"""Read an experiment source (path, URL or ``-`` for stdin; JSON or YAML) into a mapping.

This is the only module that parses text. Positions (line:column) are computed lazily, and
only when a problem must be reported, so the happy path pays nothing for them.
"""

from __future__ import annotations

import gc
import math
import os
import sys
from collections.abc import Mapping
from functools import cache, lru_cache, partial

from squall import _json
from squall.errors import LoadError, Problem
from squall.experiment._jsonpos import json_position
from squall.experiment.limits import (
    MAX_INT_DIGITS,
    Limits,
    TooLongInteger,
    has_surrogate,
    json_text_within,
    json_within,
    tree_problems,
)
from squall.show import kind_of

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Document", "load_source", "parse_text", "read_text"]


@cache
def _yaml() -> tuple[Any, Any]:
    """PyYAML and its fastest safe loader, imported on first use (JSON never needs it)."""
    import yaml

    # the C loader is ~10x faster; fall back to pure Python when libyaml is missing
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[valid-type,misc]
        """The safe loader, with timestamps read as the text written (JSON has no dates;
        a date object breaks every driver and the journal) and over-long integers kept
        for the limits' walk to report with their place.

        Each scalar's tag is resolved once per document: an experiment repeats its keys
        and many values ("type", "probe", "provider", "python"...), and PyYAML's resolver
        tries its regular expressions on every occurrence. The C parser calls the
        resolver's three hooks from C for every node; without path resolvers (none unless
        some code registers one) they are C callables: a cached ``resolve`` (the tag
        depends only on the node's kind, text and implicitness then) and two that do
        nothing, as PyYAML's do then. With a path resolver, the tag depends on where a
        node is: every node is resolved as PyYAML does."""

        def __init__(self, stream: Any) -> None:
            super().__init__(stream)
            #: (height, expanded size) of the document when ``_plain`` built all of it
            #: and found only text keys and JSON values (see ``_plain``); else None
            self.shape: tuple[int, int] | None = None
            if not self.yaml_path_resolvers:
                # the class as ``self``: without path resolvers, resolve reads class data only
                resolver: Any = partial(base.resolve, type(self))  # type: ignore[arg-type]
                self.resolve = lru_cache(maxsize=None)(resolver)
                self.descend_resolver = slice  # (parent, index): nothing to do
                self.ascend_resolver = tuple  # (): nothing to do

        def construct_document(self, node: Any) -> Any:
            shapes: dict[Any, tuple[int, int]] = {}
            odd: list[Any] = []
            try:
                data = _plain(self, node, {}, set(), shapes, odd)
            except Exception:  # anything unusual: PyYAML's own way, and its errors
                self._reset()
                return super().construct_document(node)
            self._reset()
            if not odd and node in shapes:
                self.shape = shapes[node]
            return data

        def _reset(self) -> None:
            self.constructed_objects: dict[Any, Any] = {}
            self.recursive_objects: dict[Any, Any] = {}
            self.state_generators: list[Any] = []

    def timestamp(loader: Any, node: Any) -> Any:
        return loader.construct_scalar(node)

    def integer(loader: Any, node: Any) -> Any:
        text = loader.construct_scalar(node)
        digits = sum(c.isdigit() for c in text)
        if digits > MAX_INT_DIGITS:
            return TooLongInteger(digits)
        return yaml.SafeLoader.construct_yaml_int(loader, node)

    Loader.add_constructor("tag:yaml.org,2002:timestamp", timestamp)
    Loader.add_constructor("tag:yaml.org,2002:int", integer)
    return yaml, Loader


_STR, _SEQ, _MAP, _NULL, _MERGE = (
    f"tag:yaml.org,2002:{k}" for k in ("str", "seq", "map", "null", "merge")
)


class _Unusual(Exception):
    """A node ``_plain`` leaves to PyYAML's constructor (merge keys, sets, recursion...)."""


def _plain(
    loader: Any,
    node: Any,
    done: dict[Any, Any],
    active: set[Any],
    shapes: dict[Any, tuple[int, int]],
    odd: list[Any],
) -> Any:
    """What PyYAML's safe constructor builds from ``node``, built directly for the plain
    nodes of an experiment (strings, lists and mappings; other scalars still go through
    PyYAML's constructors): about twice as fast, and the same objects (an alias is the
    same object, as with PyYAML).

    On the way it measures what the input limits' walk measures: ``shapes`` gets the
    (height, expanded size) of each container node (an alias counted each time it is
    used, a key repeated in a mapping counted twice: never less than the walk finds), and
    ``odd`` a node whose key or value the walk must look at (a key that is not text, a
    value that is not finite JSON). Text is not looked at: a lone surrogate needs a
    backslash escape in the source, which the caller checks for."""
    tag = node.tag
    if tag == _STR and type(node.value) is str:
        return node.value  # text: an alias to it gives the same text, nothing to remember
    if node in done:
        return done[node]
    value: Any
    if tag == _NULL and type(node.value) is str:
        value = None
    elif tag in (_SEQ, _MAP):
        if node in active:
            raise _Unusual  # a recursive structure
        active.add(node)
        height, size = 0, 1
        if tag == _SEQ:
            value = []
            for child in node.value:
                if child.tag == _STR and type(child.value) is str:
                    value.append(child.value)
                    size += 1
                else:
                    item = _plain(loader, child, done, active, shapes, odd)
                    value.append(item)
                    inner, count = _measure(child, item, shapes, odd)
                    height, size = max(height, inner), size + count
        else:
            value = {}
            for key_node, value_node in node.value:
                if key_node.tag == _STR and type(key_node.value) is str:
                    key = key_node.value  # a text key (the usual case), without a call
                else:
                    key = _plain(loader, key_node, done, active, shapes, odd)
                    if isinstance(key, list | dict) or key_node.tag == _MERGE:
                        raise _Unusual
                    if type(key) is not str:
                        odd.append(key_node)
                if value_node.tag == _STR and type(value_node.value) is str:
                    value[key] = value_node.value
                    size += 1
                else:
                    item = value[key] = _plain(loader, value_node, done, active, shapes, odd)
                    inner, count = _measure(value_node, item, shapes, odd)
                    height, size = max(height, inner), size + count
        active.discard(node)
        shapes[node] = (height + 1, size)
    elif type(node.value) is str:  # a scalar: int, float, bool, null, timestamp...
        value = loader.construct_object(node)
    else:
        raise _Unusual
    done[node] = value
    return value


_SCALAR = (0, 1)


def _measure(
    node: Any, value: Any, shapes: dict[Any, tuple[int, int]], odd: list[Any]
) -> tuple[int, int]:
    """(height, expanded size) of a child ``_plain`` built from ``node``; a scalar the
    limits' walk must look at goes to ``odd``."""
    shape = shapes.get(node)
    if shape is not None:
        return shape
    kind = type(value)
    if kind is float:
        if not math.isfinite(value):
            odd.append(node)
    elif value is not None and kind is not str and kind is not int and kind is not bool:
        odd.append(node)  # an over-long integer, bytes (!!binary)...
    return _SCALAR


def _json_int(text: str) -> Any:
    digits = len(text) - text.startswith("-")
    return TooLongInteger(digits) if digits > MAX_INT_DIGITS else int(text)


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

    def may_hold(self, char: str) -> bool:
        """Whether a text of ``data`` (as parsed) may hold ``char``: not when the source
        text has neither it nor a backslash (JSON and YAML write a character in no other
        way: escapes start with a backslash; aliases and folding only repeat or join what
        is written)."""
        return char in self.text or "\\" in self.text

    def locate(self, pointer: str) -> tuple[int, int] | None:
        """1-based (line, column) of the value at ``pointer``, or of its nearest parent."""
        if self.fmt == "json":  # read as JSON: YAML cannot compose every JSON text
            return json_position(self.text, _split_pointer(pointer))
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
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


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


def parse_text(
    text: str, name: str, fmt: str | None = None, limits: Limits | None = None
) -> Document:
    """Parse ``text`` as JSON or YAML (``fmt`` None: guess from the first character), then
    check it against the input limits (``limits`` None: ``Limits.resolve()``).

    Raises:
        LoadError: the text is not valid JSON/YAML, or breaks a limit; each problem has
            its line and column.
    """
    limits = limits or Limits.resolve()
    if fmt is None:
        fmt = "json" if text.lstrip()[:1] in ("{", "[") else "yaml"
    unusual: list[str] = []  # what JSON wrote that only the whole walk checks
    try:
        data, shape = _parse(text, name, fmt, unusual)
    except RecursionError:
        raise _too_deep(text, name, limits) from None
    document = Document(data=data, name=name, text=text, fmt=fmt)
    if fmt == "json":
        plain = not unusual and "\\u" not in text and not has_surrogate(text)
        within = plain and (json_text_within(text, limits) or json_within(data, limits))
    else:  # measured while it was built, if it holds only text keys and JSON values
        within = (
            shape is not None
            and shape[0] <= limits.depth
            and shape[1] <= limits.nodes
            and "\\" not in text  # no escape, so no lone surrogate in any text
            and not has_surrogate(text)
        )
    problems = [] if within else tree_problems(data, limits)
    if problems:
        raise LoadError(f"{name} breaks squall's input limits", document.located(problems))
    return document


def _too_deep(text: str, name: str, limits: Limits) -> LoadError:
    """The parser itself ran out of stack: say where the nesting passes the limit."""
    line, column = nesting_position(text, limits.depth)
    problem = Problem("", f"nesting deeper than {limits.depth} levels", "flatten the document")
    return LoadError(f"{name} breaks squall's input limits", [problem.located(name, line, column)])


def nesting_position(text: str, depth: int) -> tuple[int | None, int | None]:
    """1-based line:column of the bracket that opens level ``depth + 1`` (strings skipped)."""
    level, quote, escaped, line, start = 0, False, False, 1, 0
    for index, char in enumerate(text):
        if char == "\n":
            line, start = line + 1, index + 1
        elif quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quote = False
        elif char == '"':
            quote = True
        elif char in "[{":
            level += 1
            if level > depth:
                return line, index - start + 1
        elif char in "]}":
            level -= 1
    return None, None


def _parse(text: str, name: str, fmt: str, unusual: list[str]) -> tuple[Any, Any]:
    """The data of ``text``, and for YAML its (height, expanded size) when the loader
    measured it (see ``_plain``); JSON's NaN, Infinity, numbers too large for a float and
    over-long integers are noted in ``unusual``."""
    if fmt == "json":

        def number(digits: str) -> Any:
            value = _json_int(digits)
            if type(value) is TooLongInteger:
                unusual.append(digits[:20])
            return value

        def constant(word: str) -> float:
            unusual.append(word)
            return float(word)

        def real(digits: str) -> float:
            value = float(digits)
            if not math.isfinite(value):  # 1e999
                unusual.append(digits[:20])
            return value

        try:
            data = _json.loads(text, parse_int=number, parse_float=real, parse_constant=constant)
            return data, None
        except _json.JSONDecodeError as exc:
            problem = Problem("", f"invalid JSON: {exc.msg}", "fix the syntax at that place")
            raise LoadError(
                f"cannot parse {name} as JSON",
                [problem.located(name, exc.lineno, exc.colno)],
            ) from None
    yaml, loader = _yaml()
    # composing makes a node and two marks per scalar, all tracked by the cycle collector,
    # which then runs dozens of times over a growing heap (about 12 % of the load) for
    # objects that hold no cycle; it runs again once the document is built
    enabled = gc.isenabled()
    gc.disable()
    try:
        reader = loader(text)  # what yaml.load does, keeping the loader for its shape
        try:
            return reader.get_single_data(), reader.shape
        finally:
            reader.dispose()
    except yaml.YAMLError as exc:
        raise LoadError(f"cannot parse {name} as YAML", [_yaml_problem(exc, name, text)]) from None
    finally:
        if enabled:
            gc.enable()


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
    position = getattr(exc, "position", None)  # a ReaderError: a character YAML refuses
    if mark is None and isinstance(position, int):
        character = getattr(exc, "character", "")
        if isinstance(character, str) and character:
            character = ord(character)
        code = f" #x{character:04x}" if isinstance(character, int) else ""
        message = f"invalid YAML: unacceptable character{code}: {getattr(exc, 'reason', '')}"
        hint = "remove the control character (or write it as an escape in double quotes)"
        yaml, loader = _yaml()
        if issubclass(loader, getattr(getattr(yaml, "cyaml", None), "CParser", ())):  # bytes
            position = len(
                text.encode("utf-8", "surrogatepass")[:position].decode("utf-8", "replace")
            )
        line = text.count("\n", 0, position) + 1
        return Problem("", message, hint).located(
            name, line, position - (text.rfind("\n", 0, position) + 1) + 1
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
    limits: Limits | None = None,
) -> Document:
    """Load an experiment from a file path, an ``http(s)://`` URL, or ``-`` (stdin).

    ``limits`` None: ``Limits.resolve()`` (defaults and ``SQUALL_LIMIT_*``).

    Raises:
        LoadError: the source cannot be read, or is not JSON/YAML, or breaks an input limit,
            or is not a mapping.
    """
    limits = limits or Limits.resolve()
    if source == "-":
        stream = getattr(sys.stdin, "buffer", None)
        raw = stream.read(limits.document_bytes + 1) if stream else sys.stdin.read().encode()
        document = parse_text(_decode(raw, "<stdin>", limits), "<stdin>", limits=limits)
    elif source.startswith(("http://", "https://")):
        document = _load_url(source, verify_tls=verify_tls, auths=auths or {}, limits=limits)
    else:
        document = _load_path(source, limits)
    if not isinstance(document.data, dict):
        found = kind_of(document.data) if document.data is not None else "nothing"
        problem = Problem("", f"an experiment must be a mapping (object), found {found}")
        raise LoadError(f"{document.name} is not an experiment", document.located([problem]))
    return document


def _decode(raw: bytes, name: str, limits: Limits, charset: str = "utf-8") -> str:
    """The text of ``raw``; too large or not in ``charset`` is a located problem."""
    if len(raw) > limits.document_bytes:
        problem = Problem(
            "",
            f"the document is larger than {limits.document_bytes:,} bytes",
            "raise the limit with SQUALL_LIMIT_DOCUMENT_BYTES or the settings' "
            "limits.document_bytes (see docs/reference/limits.md)",
        )
        raise LoadError(f"{name} breaks squall's input limits", [problem.located(name, None, None)])
    try:
        return raw.decode(charset)
    except (UnicodeDecodeError, LookupError) as exc:
        start = getattr(exc, "start", 0)
        line = raw.count(b"\n", 0, start) + 1
        column = start - (raw.rfind(b"\n", 0, start) + 1) + 1
        problem = Problem("", f"the text is not valid {charset}: {exc}", "save the file as UTF-8")
        raise LoadError(f"cannot read {name}", [problem.located(name, line, column)]) from None


def _load_path(source: str, limits: Limits) -> Document:
    text = read_text(source, limits, "experiment file")
    return parse_text(text, source, _format_for(source), limits)


def read_text(source: str, limits: Limits | None = None, kind: str = "file") -> str:
    """The UTF-8 text of the file ``source`` (``~`` expanded), read no further than the
    document limit (a var file or ``/dev/zero`` given by mistake is refused, unread).

    Raises:
        LoadError: missing, a directory, unreadable, larger than the limit, not UTF-8.
    """
    limits = limits or Limits.resolve()
    path = os.path.expanduser(source)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limits.document_bytes + 1)
    except FileNotFoundError:
        raise LoadError(f"{kind} not found: {source} (looked in {os.getcwd()})") from None
    except IsADirectoryError:
        article = "an" if kind[0] in "aeiou" else "a"
        raise LoadError(f"{source} is a directory, not {article} {kind}") from None
    except OSError as exc:
        raise LoadError(f"cannot read {source}: {exc}") from None
    return _decode(raw, source, limits)


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
    if "@" in parsed.netloc:  # the URL's own user:password
        return None
    from squall.netrc_auth import host_header  # the Chaos Toolkit's loader reads it too

    return host_header(host)


def _load_url(url: str, *, verify_tls: bool, auths: Mapping[str, Any], limits: Limits) -> Document:
    """The document at ``url``, named by the URL with its credentials (userinfo password,
    token parameters) masked: they are registered as secrets, so no sink gets them."""
    import httpx

    from squall.masking import mask_text, redact_url

    name = redact_url(url)
    headers = {"Accept": "application/json, application/x-yaml"}
    try:
        auth = _auth_header(url, auths)
    except ValueError as exc:  # urllib: a port out of range or not a number, a broken [IPv6]
        raise LoadError(f"cannot fetch {name}: not a valid URL ({mask_text(str(exc))})") from None
    if auth:
        headers["Authorization"] = auth
    try:
        with httpx.stream("GET", url, headers=headers, verify=verify_tls, timeout=30.0) as response:
            if response.status_code != 200:
                raise LoadError(f"cannot fetch {name}: HTTP {response.status_code}")
            raw = b""
            for chunk in response.iter_bytes():
                raw += chunk
                if len(raw) > limits.document_bytes:
                    break
    except (httpx.HTTPError, httpx.InvalidURL, UnicodeError) as exc:  # UnicodeError: IDNA
        raise LoadError(f"cannot fetch {name}: {mask_text(str(exc))}") from None
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    fmt = {"application/json": "json", "application/x-yaml": "yaml", "text/yaml": "yaml"}.get(
        content_type
    ) or _format_for(url.split("?", maxsplit=1)[0])
    text = _decode(raw, name, limits, response.charset_encoding or "utf-8")
    return parse_text(text, name, fmt, limits)
