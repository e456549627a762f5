"""Build an experiment from a discovery and answers (``squall init``).

Answers (a YAML/JSON file, or what the prompts collected)::

    title: TLS stays valid while a stray port is open
    description: ...
    tags: [tls]                      # optional
    configuration: {port: 8443}      # optional, copied as is (as are secrets)
    hypothesis:                      # optional
      title: the certificate is fine
      probes:
        - activity: cert_days_left   # a discovered name, or "module:name"
          arguments: {port: 8443}
          tolerance: true            # required for a hypothesis probe
    method:                          # at least one activity
      - activity: open_port
        name: open-a-port            # optional (default: the function name, dashed)
        arguments: {port: 9999}
        pauses: {after: 2}           # optional, as are timeout and background
    rollbacks:                       # optional; actions only
      - activity: close_port
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from squall.discovery.coerce import CoercionError, coerce
from squall.show import show_value

__all__ = ["InitError", "build_experiment", "find_activity"]

#: the keys an answers file may have: anything else is refused, not silently dropped
_ANSWER_KEYS = (
    "title",
    "description",
    "tags",
    "configuration",
    "secrets",
    "hypothesis",
    "method",
    "rollbacks",
)
_PLACEHOLDER = re.compile(r"\$\{[^${}]+\}")
_HYPOTHESIS_KEYS = ("title", "probes")
_ACTIVITY_KEYS = ("activity", "name", "arguments", "tolerance", "pauses", "timeout", "background")


class InitError(ValueError):
    """The answers do not make a valid experiment (one line, shown as is)."""


def find_activity(discovery: Mapping[str, Any], ref: str) -> dict[str, Any]:
    """The discovered activity named ``ref`` (``name`` or ``module:name``)."""
    module, _, name = ref.rpartition(":")
    matches = [
        a
        for a in discovery.get("activities", [])
        if a.get("name") == name and (not module or a.get("mod") == module)
    ]
    if not matches:
        raise InitError(f"no activity {show_value(ref)} in the discovery")
    if len(matches) > 1:
        mods = ", ".join(f"{a['mod']}:{a['name']}" for a in matches)
        raise InitError(f"activity {show_value(ref)} is ambiguous: use one of {mods}")
    return dict(matches[0])


def build_experiment(discovery: Mapping[str, Any], answers: Mapping[str, Any]) -> dict[str, Any]:
    """The experiment the answers describe.

    Raises:
        InitError: an unknown activity, a wrong type, a missing argument or tolerance.
    """
    _known_keys(answers, _ANSWER_KEYS, "the answers")
    title = str(answers.get("title") or "").strip()
    if not title:
        raise InitError("an experiment needs a title")
    names: set[str] = set()
    experiment: dict[str, Any] = {
        "title": title,
        "description": str(answers.get("description") or "N/A"),
        "tags": list(answers.get("tags") or []),
    }
    for key in ("configuration", "secrets"):
        if answers.get(key) is not None:
            if not isinstance(answers[key], Mapping):
                raise InitError(f"the answers' {key} must be a mapping of names to values")
            experiment[key] = dict(answers[key])
    hypothesis = answers.get("hypothesis")
    if hypothesis:
        _known_keys(hypothesis, _HYPOTHESIS_KEYS, "the hypothesis")
        probes = [
            _activity(discovery, a, f"hypothesis probe {i + 1}", names, only="probe")
            for i, a in enumerate(hypothesis.get("probes") or [])
        ]
        experiment["steady-state-hypothesis"] = {
            "title": str(hypothesis.get("title") or title),
            "probes": probes,
        }
    method = answers.get("method") or []
    if not method:
        raise InitError("the method needs at least one activity")
    experiment["method"] = [
        _activity(discovery, a, f"method activity {i + 1}", names) for i, a in enumerate(method)
    ]
    rollbacks = answers.get("rollbacks") or []
    if rollbacks:
        experiment["rollbacks"] = [
            _activity(discovery, a, f"rollback {i + 1}", names, only="action")
            for i, a in enumerate(rollbacks)
        ]
    return experiment


def _activity(
    discovery: Mapping[str, Any],
    answer: Any,
    where: str,
    names: set[str],
    only: str | None = None,
) -> dict[str, Any]:
    if isinstance(answer, str):
        answer = {"activity": answer}
    if not isinstance(answer, Mapping) or not answer.get("activity"):
        raise InitError(f"{where}: give the activity to use (`activity: NAME`)")
    _known_keys(answer, _ACTIVITY_KEYS, where)
    found = find_activity(discovery, str(answer["activity"]))
    if only is not None and found["type"] != only:
        raise InitError(f"{where}: {show_value(found['name'])} is a {found['type']}, not a {only}")
    name = _unique(str(answer.get("name") or found["name"].replace("_", "-")), names)
    activity: dict[str, Any] = {
        "type": found["type"],
        "name": name,
        "provider": {
            "type": "python",
            "module": found["mod"],
            "func": found["name"],
            "arguments": _arguments(found, answer.get("arguments") or {}, where),
        },
    }
    if only == "probe":
        if "tolerance" not in answer:
            raise InitError(f"{where}: a hypothesis probe needs a tolerance")
        activity["tolerance"] = answer["tolerance"]
    elif "tolerance" in answer:
        activity["tolerance"] = answer["tolerance"]
    for key in ("pauses", "timeout", "background"):
        if key in answer:
            activity[key] = answer[key]
    return activity


def _arguments(found: Mapping[str, Any], given: Mapping[str, Any], where: str) -> dict[str, Any]:
    declared = {a["name"]: a for a in found.get("arguments", [])}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise InitError(
            f"{where}: {found['name']} takes no argument {show_value(unknown[0])} "
            f"(it takes: {', '.join(declared) or 'none'})"
        )
    values: dict[str, Any] = {}
    for name, argument in declared.items():
        if name not in given:
            if "default" not in argument:
                raise InitError(f"{where}: {found['name']} needs the argument {show_value(name)}")
            continue
        if isinstance(given[name], str) and _PLACEHOLDER.fullmatch(given[name]):
            values[name] = given[name]  # ${name}: its type is the value's, at run time
            continue
        try:
            values[name] = coerce(given[name], argument.get("type"))
        except CoercionError as exc:
            raise InitError(
                f"{where}: argument {show_value(name)} of {found['name']}: {exc}"
            ) from None
    return values


def _known_keys(given: Any, known: tuple[str, ...], where: str) -> None:
    if not isinstance(given, Mapping):
        raise InitError(f"{where} must be a mapping (keys: {', '.join(known)})")
    unknown = [str(key) for key in given if key not in known]
    if unknown:
        raise InitError(
            f"{where}: unknown key {show_value(unknown[0])} (known keys: {', '.join(known)})"
        )


def _unique(name: str, names: set[str]) -> str:
    candidate, n = name, 2
    while candidate in names:
        candidate, n = f"{name}-{n}", n + 1
    names.add(candidate)
    return candidate
