"""Parse a provider (``python``, ``process``, ``http``; other types for plugins)."""

from __future__ import annotations

from collections.abc import Mapping

from squall.experiment._reader import Reader
from squall.experiment.model import (
    GenericSpec,
    HttpSpec,
    ProcessSpec,
    ProviderSpec,
    PythonSpec,
    new_python_spec,
)
from squall.experiment.substitute import contains_placeholder

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["parse_provider"]


def parse_provider(
    r: Reader, value: Any, pointer: str, activity: Mapping[str, Any] | None = None
) -> ProviderSpec | None:
    where = pointer + "/provider"
    if value is None:
        message = 'an activity requires a "provider"'
        r.missing(
            activity or {}, "provider", pointer, message, "add a python, process or http provider"
        )
        return None
    d = value if type(value) is dict else r.mapping(value, where, '"provider"')
    if d is None:
        return None
    kind = d.get("type")
    secrets = r.str_list(d, "secrets", where) if "secrets" in d else ()
    if kind == "python":
        return _python(r, d, where, secrets)
    if kind == "process":
        return _process(r, d, where, secrets)
    if kind == "http":
        return _http(r, d, where, secrets)
    if not isinstance(kind, str) or not kind:
        r.add(where, 'a provider requires "type"', 'use "python", "process" or "http"')
        return None
    return GenericSpec(type=kind, raw=d, secrets=secrets)


def _python(
    r: Reader, d: Mapping[str, Any], where: str, secrets: tuple[str, ...]
) -> PythonSpec | None:
    module = r.text(d, "module", where, required=True, what="a python provider")
    func = r.text(d, "func", where, required=True, what="a python provider")
    arguments = d.get("arguments") or {}
    if type(arguments) is not dict and not isinstance(arguments, Mapping):
        r.add(where + "/arguments", 'python "arguments" must be an object of name: value')
        arguments = {}
    if module is None or func is None:
        return None
    return new_python_spec(
        module, func, arguments, secrets, r.placeholders and contains_placeholder(arguments)
    )


def _process(
    r: Reader, d: Mapping[str, Any], where: str, secrets: tuple[str, ...]
) -> ProcessSpec | None:
    path = r.text(d, "path", where, required=True, what="a process provider")
    arguments = d.get("arguments")
    if arguments is not None and not isinstance(arguments, list | str | Mapping):
        r.add(where + "/arguments", 'process "arguments" must be a list (or a string)')
    timeout = r.number(d, "timeout", where, allow_var=True)
    if path is None:
        return None
    return ProcessSpec(path=path, arguments=arguments, timeout=timeout, secrets=secrets)


def _http(r: Reader, d: Mapping[str, Any], where: str, secrets: tuple[str, ...]) -> HttpSpec | None:
    url = r.text(d, "url", where, required=True, what="an http provider")
    method = d.get("method", "GET")
    if not isinstance(method, str) or not method:
        r.add(where + "/method", '"method" must be an HTTP verb such as "GET"')
        method = "GET"
    headers = d.get("headers") or {}
    if not isinstance(headers, Mapping):
        r.add(where + "/headers", '"headers" must be an object of name: value')
        headers = {}
    timeout = d.get("timeout")
    if isinstance(timeout, list):
        numbers = all(isinstance(t, int | float) and not isinstance(t, bool) for t in timeout)
        if len(timeout) != 2 or not numbers or any(t < 0 for t in timeout):
            r.add(where + "/timeout", "a timeout list must be [connect, read] seconds (>= 0)")
    else:
        timeout = r.number(d, "timeout", where, allow_var=True)
    retries = d.get("max_retries", 0)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        r.add(where + "/max_retries", '"max_retries" must be a non-negative integer')
        retries = 0
    if url is None:
        return None
    return HttpSpec(
        url=url,
        method=method,
        headers=headers,
        arguments=d.get("arguments"),
        timeout=timeout,
        verify_tls=r.boolean(d, "verify_tls", where, True),
        max_retries=retries,
        expected_status=d.get("expected_status"),
        secrets=secrets,
    )
