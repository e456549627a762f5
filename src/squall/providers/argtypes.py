"""``squall validate``'s warnings about python arguments of the wrong JSON type.

A python activity's literal argument (``"megabytes": "50"``) whose type the function's
annotation does not accept (``megabytes: int``) passes the Chaos Toolkit's checks and
squall's binding check, then fails in the middle of the run, after faults were injected
(``TypeError: '<' not supported between instances of 'int' and 'str'``). Python does not
enforce annotations, and a driver may convert what it gets, so this is a warning (an
error with ``validate --strict``), never a refusal.

Judged: the plain types a JSON value can be (``bool``, ``int``, ``float``, ``str``,
``list`` and the other sequences, ``dict`` and mappings), ``X | None`` and ``Optional``,
unions of those, ``Annotated``. Anything else (a class of the driver's own, a
``TypeVar``, a ``Literal``) is not judged. An argument that is exactly one placeholder
(``"${mb}"``) is judged by the value ``--var``/``--var-file`` or the configuration give it
(``--var mb=5`` is the text "5"; ``--var mb:int=5`` the number); any other text with a
placeholder is not judged.
"""

from __future__ import annotations

import types
import typing
from collections import abc
from collections.abc import Callable, Mapping
from typing import Any

from squall.errors import Problem
from squall.experiment.model import ConfigEnv, ConfigProbe, Experiment, PythonSpec
from squall.show import kind_of, show_value

__all__ = ["argument_type_warnings"]

_ACCEPTED: dict[Any, tuple[type, ...]] = {
    bool: (bool,),
    int: (int,),
    float: (int, float),
    str: (str,),
    list: (list,),
    tuple: (list,),
    set: (list,),
    frozenset: (list,),
    abc.Sequence: (list, str),
    abc.MutableSequence: (list,),
    abc.Collection: (list, str, dict),
    abc.Iterable: (list, str, dict),
    dict: (dict,),
    abc.Mapping: (dict,),
    abc.MutableMapping: (dict,),
}


def argument_type_warnings(
    experiment: Experiment, overrides: Mapping[str, Any] | None = None
) -> list[Problem]:
    """One warning per python argument whose JSON value the function's annotation does
    not accept. Activities whose module or function cannot be found, or whose annotations
    cannot be read, are left to the other checks."""
    values = _known_values(experiment, overrides or {})
    warnings: list[Problem] = []
    for activity in experiment.activities():
        spec = activity.provider
        if not isinstance(spec, PythonSpec) or not spec.arguments:
            continue
        func = _function(spec)
        if func is None:
            continue
        hints, defaults = _annotations(func)
        where = f"{activity.pointer}/provider/arguments"
        for name, given in spec.arguments.items():
            if name not in hints:
                continue
            value, via = _value(given, values)
            if via is _UNKNOWN or (value is None and defaults.get(name, _UNKNOWN) is None):
                continue
            if _accepts(hints[name], value) is False:
                warnings.append(_warning(f"{where}/{name}", spec, name, hints[name], value, via))
    return warnings


_UNKNOWN = object()


def _known_values(experiment: Experiment, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The values a whole-argument ``${name}`` takes before the run: the configuration's
    literal ones, then ``--var``/``--var-file`` (an environment or probe value is not
    known before the run)."""
    known = {
        k: v
        for k, v in experiment.configuration.items()
        if not isinstance(v, ConfigEnv | ConfigProbe)
    }
    known.update(overrides)
    return known


def _value(given: Any, values: Mapping[str, Any]) -> tuple[Any, Any]:
    """(the value the function gets, the placeholder's name or None when literal);
    ``_UNKNOWN`` as the name when it is not known before the run."""
    if not isinstance(given, str) or "$" not in given:
        return given, None
    if given.startswith("${") and given.endswith("}") and given.count("$") == 1:
        name = given[2:-1]
        if name in values:
            return values[name], name
    return None, _UNKNOWN


def _function(spec: PythonSpec) -> Callable[..., Any] | None:
    """The function the python provider calls, found as it finds it; None when it cannot
    be (the binding check reports why, exit 2)."""
    from squall.errors import ActivityFailed
    from squall.providers.python import resolve_target

    try:
        return resolve_target(spec.module, spec.func).func
    except ActivityFailed:
        return None


def _annotations(func: Callable[..., Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the parameters' annotations, their defaults); empty when they cannot be read."""
    import inspect

    try:
        hints = typing.get_type_hints(func, include_extras=True)
        parameters = inspect.signature(func).parameters
    except BaseException:  # a name known only under TYPE_CHECKING, a builtin, the
        # driver's own code raising while annotations are evaluated
        return {}, {}
    hints.pop("return", None)
    defaults = {n: p.default for n, p in parameters.items() if p.default is not p.empty}
    return hints, defaults


def _accepts(hint: Any, value: Any) -> bool | None:
    """Whether a parameter annotated ``hint`` accepts ``value`` (a JSON value); None when
    the annotation is not one this check judges."""
    if hint is Any or hint is object:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin is typing.Annotated:
        return _accepts(typing.get_args(hint)[0], value)
    if origin is typing.Union or origin is types.UnionType:
        verdicts = [_accepts(h, value) for h in typing.get_args(hint)]
        if True in verdicts:
            return True
        return None if None in verdicts else False
    try:
        kinds = _ACCEPTED.get(origin or hint)
    except TypeError:  # an annotation that is no type (``[int]``): not judged
        return None
    if kinds is None:
        return None
    if isinstance(value, bool):
        return bool in kinds
    return isinstance(value, kinds)


def _warning(where: str, spec: PythonSpec, name: str, hint: Any, value: Any, via: Any) -> Problem:
    declared = _spelt(hint)
    if via is None:
        said = f"argument {show_value(name)} is {kind_of(value)} {show_value(value, 60)}"
        hint_text = f"give a value of type {declared}" + _unquoted(hint, value)
    else:
        said = (
            f"argument {show_value(name)} is ${{{via}}}, which is {kind_of(value)} "
            f"{show_value(value, 60)} before the run"
        )
        hint_text = (
            f"give {via} a value of type {declared}: a typed --var ({via}:int=5, {via}:float=0.5, "
            f"{via}:bool=true, {via}:json=[...]) or the configuration"
        )
    return Problem(
        where,
        f"{said}, but {spec.func}() declares {name}: {declared} (it may fail when it runs)",
        hint_text,
    )


def _unquoted(hint: Any, value: Any) -> str:
    """``: write it without the quotes (50)`` when the text is a JSON value that fits."""
    if not isinstance(value, str):
        return ""
    import json

    try:
        parsed = json.loads(value)
    except ValueError:
        return ""
    return f": write it without the quotes ({value.strip()})" if _accepts(hint, parsed) else ""


def _spelt(hint: Any) -> str:
    if isinstance(hint, type) and typing.get_origin(hint) is None:
        return hint.__name__
    return str(hint).replace("typing.", "")
