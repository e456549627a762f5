"""Find a package's activities without a ``discover()`` function.

The rule (documented in docs/extending/write-a-driver.md):

- every module of the package is imported, except private ones (a dotted part starting
  with ``_``) and tests (``test``/``tests`` parts, ``test_*`` modules);
- a module contributes the functions its ``__all__`` lists (classes and other values
  are ignored, and so are the Chaos Toolkit's control hooks, ``CONTROL_HOOKS``; a module
  without ``__all__`` contributes nothing);
- the type of an activity is decided, in order, by
  1. the module's last name: ``probes``/``probes_*`` -> probe, ``actions``/``actions_*``
     -> action;
  2. a docstring whose first line starts with ``Rollback of`` -> action;
  3. the function's first word (before ``_``) being an action verb (``ACTION_VERBS``)
     -> action;
  4. otherwise: probe.
"""

from __future__ import annotations

import inspect
import json
import pkgutil
import typing
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

from squall.compat import import_module
from squall.discovery.errors import import_failure
from squall.discovery.portable import portable_type

__all__ = ["ACTION_VERBS", "activities_of", "activity_type", "describe", "iter_modules"]

INJECTED = ("configuration", "secrets")

ACTION_VERBS = frozenset(
    {
        "add",
        "break",
        "change",
        "close",
        "corrupt",
        "create",
        "delete",
        "disable",
        "downgrade",
        "drain",
        "drop",
        "enable",
        "expire",
        "fill",
        "flood",
        "inject",
        "kill",
        "loosen",
        "open",
        "pause",
        "plant",
        "reboot",
        "remove",
        "restart",
        "restore",
        "resume",
        "revoke",
        "rotate",
        "scale",
        "set",
        "shutdown",
        "start",
        "stop",
        "swap",
        "terminate",
        "throttle",
        "update",
        "write",
    }
)

_SKIPPED_PARTS = ("test", "tests", "conftest")

#: the Chaos Toolkit's control hooks: a control module's functions, never activities (a
#: ``chaostoolkit-*`` distribution such as chaostoolkit-addons lists them in ``__all__``)
CONTROL_HOOKS = frozenset(
    {"configure_control", "validate_control", "cleanup_control"}
    | {
        f"{when}_{level}_control"
        for when in ("before", "after")
        for level in (
            "loading_experiment",
            "experiment",
            "hypothesis",
            "method",
            "rollback",
            "activity",
        )
    }
)


def iter_modules(package: ModuleType) -> Iterator[ModuleType]:
    """The package itself, then its public modules in name order (all imported)."""
    yield package
    path = getattr(package, "__path__", None)
    if path is None:
        return
    names = sorted(
        info.name for info in pkgutil.walk_packages(path, package.__name__ + ".", onerror=_reraise)
    )
    for name in names:
        parts = name.split(".")[len(package.__name__.split(".")) :]
        if any(p.startswith(("_", "test_")) or p in _SKIPPED_PARTS for p in parts):
            continue
        yield _import(name)


def _import(name: str) -> ModuleType:
    try:
        return import_module(name)
    except BaseException as exc:  # SystemExit too: a driver must not end squall
        raise import_failure(name, exc) from exc


def _reraise(name: str) -> None:
    _import(name)  # raises the error of the sub-package


def activity_type(module_name: str, func: Callable[..., Any]) -> str:
    last = module_name.rsplit(".", 1)[-1]
    for kind in ("probe", "action"):
        if last in (f"{kind}s",) or last.startswith(f"{kind}s_"):
            return kind
    doc = inspect.getdoc(func) or ""
    if doc.startswith("Rollback of"):
        return "action"
    if func.__name__.split("_", 1)[0].lower() in ACTION_VERBS:
        return "action"
    return "probe"


def activities_of(package: ModuleType) -> list[dict[str, Any]]:
    """Every activity of the package, as discovery entries."""
    found: list[dict[str, Any]] = []
    for module in iter_modules(package):
        names = getattr(module, "__all__", None)
        if not names:
            continue
        for name in names:
            func = getattr(module, name, None)
            if not inspect.isfunction(func) or name in CONTROL_HOOKS:
                continue
            found.append(describe(module.__name__, func))
    return found


def describe(module_name: str, func: Callable[..., Any]) -> dict[str, Any]:
    """One discovery entry: type, name, mod, doc, arguments and (if annotated) return_type.

    Keyword-only, ``*args`` and ``**kwargs`` parameters are skipped (as the reference
    does), and so are ``configuration`` and ``secrets`` (squall passes them)."""
    hints = _hints(func)
    signature = inspect.signature(func)
    arguments: list[dict[str, Any]] = []
    for param in signature.parameters.values():
        if param.kind not in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            continue
        if param.name in INJECTED:
            continue
        argument: dict[str, Any] = {"name": param.name}
        if param.default is not param.empty:
            argument["default"] = _jsonable(param.default)
        if param.annotation is not param.empty:
            argument["type"] = portable_type(hints.get(param.name, param.annotation))
        arguments.append(argument)
    entry: dict[str, Any] = {
        "type": activity_type(module_name, func),
        "name": func.__name__,
        "mod": module_name,
        "doc": inspect.getdoc(func),
        "arguments": arguments,
    }
    if signature.return_annotation is not signature.empty:
        entry["return_type"] = portable_type(hints.get("return", signature.return_annotation))
    return entry


def _hints(func: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(func)
    except BaseException:  # an annotation that names something not importable at run time
        return {}


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value
