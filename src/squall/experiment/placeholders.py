"""``${name}`` placeholders: where substitution reaches them, and which names are defined.

The one walk ``squall validate``, ``squall lint`` and the engine share. A name is defined
when it is a configuration key, a key of any secret scope, a name given at run time
(``--var``, ``--var-file``) or the engine's own ``squall_run_id``. ``$${...}`` is an
escaped dollar (it becomes the text ``${...}``) and a bare ``$name`` is left alone (shell
commands use it); ``${outputs...}`` has rules of its own (``outputs_rules``).
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping

from squall.experiment._reader import pointer_join
from squall.experiment.model import Activity, ConfigProbe, ControlDecl, Experiment

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "BUILTIN_NAMES",
    "Leaf",
    "is_output",
    "is_variable",
    "leaves",
    "placeholders",
    "substituted_places",
    "undefined_names",
    "unresolved",
]

#: names the engine itself defines
BUILTIN_NAMES = frozenset({"squall_run_id"})


#: (pointer, nearest mapping key or "", value) of a scalar inside a structure
if TYPE_CHECKING:
    Leaf = tuple[str, str, Any]


def placeholders(text: str) -> list[str]:
    r"""The names inside ``${...}`` in ``text`` (an escaped ``$${`` is not one): what the
    pattern ``\$(?:\$|\{([^}]*)\})`` finds, read without ``re`` (a run does not
    import it)."""
    names = []
    at = text.find("$")
    while at >= 0:
        after = text[at + 1 : at + 2]
        if after == "$":  # an escaped dollar
            at = text.find("$", at + 2)
            continue
        end = text.find("}", at + 2) if after == "{" else -1
        if end >= 0:
            names.append(text[at + 2 : end])
            at = text.find("$", end + 1)
        else:
            at = text.find("$", at + 1)
    return names


def is_output(name: str) -> bool:
    """``outputs``, ``outputs.x...`` or ``outputs[...]``: an outputs expression."""
    return name == "outputs" or name.startswith(("outputs.", "outputs["))


def is_variable(name: str) -> bool:
    """A name substitution can replace (letters, digits, underscores; not outputs)."""
    return name.isascii() and name.isidentifier()  # [_a-zA-Z][_a-zA-Z0-9]*


def leaves(value: Any, pointer: str, key: str = "") -> Iterator[Leaf]:
    """Every scalar inside ``value``; list items keep the key of the list."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from leaves(v, pointer_join(pointer, k), str(k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from leaves(v, pointer_join(pointer, i), key)
    else:
        yield pointer, key, value


def _activity_places(activity: Activity) -> Iterator[tuple[str, Any]]:
    """The parts of an activity the engine substitutes ``${}`` in (not its name or doc)."""
    for key in ("provider", "pauses", "tolerance", "timeout"):
        if key in activity.raw:
            yield pointer_join(activity.pointer, key), activity.raw[key]
    yield from _control_places(activity.controls, activity.pointer + "/controls")


def _control_places(controls: tuple[ControlDecl, ...], pointer: str) -> Iterator[tuple[str, Any]]:
    for index, control in enumerate(controls):
        provider = control.raw.get("provider")
        if isinstance(provider, Mapping) and "arguments" in provider:
            yield f"{pointer}/{index}/provider/arguments", provider["arguments"]


def substituted_places(experiment: Experiment) -> Iterator[tuple[Activity | None, str, Any]]:
    """(activity or None, pointer, raw value) of everything ``${}`` substitution reaches,
    activities in the order they run: hypothesis, method, rollbacks."""
    if "title" in experiment.raw:
        yield None, "/title", experiment.raw["title"]
    yield from ((None, p, v) for p, v in _control_places(experiment.controls, "/controls"))
    if experiment.hypothesis is not None:
        where = "/steady-state-hypothesis/controls"
        for p, v in _control_places(experiment.hypothesis.controls, where):
            yield None, p, v
    for activity in experiment.activities():
        for p, v in _activity_places(activity):
            yield activity, p, v


def _config_probe_places(experiment: Experiment) -> Iterator[tuple[str, Any]]:
    for value in experiment.configuration.values():
        if isinstance(value, ConfigProbe) and "provider" in value.probe.raw:
            yield value.probe.pointer + "/provider", value.probe.raw["provider"]


def undefined_names(experiment: Experiment, known: Container[str]) -> list[tuple[str, str]]:
    """(JSON pointer, name) of every ``${name}`` that nothing in ``known`` defines, in
    document order (configuration probes last). Outputs and invalid names are left out."""
    places = [(p, v) for _, p, v in substituted_places(experiment)]
    places += _config_probe_places(experiment)
    found = []
    for base, value in places:
        for pointer, _, leaf in leaves(value, base):
            if isinstance(leaf, str) and "${" in leaf:
                found += [
                    (pointer, name)
                    for name in placeholders(leaf)
                    if is_variable(name) and name not in known
                ]
    return found


def unresolved(value: Any, variables: Container[str]) -> list[str]:
    """The names of ``${name}`` placeholders in ``value`` that ``variables`` lacks now
    (each once): what substitution would leave as literal text."""
    names: list[str] = []
    for leaf in _texts_with_placeholders(value):
        for name in placeholders(leaf):
            if is_variable(name) and name not in variables and name not in names:
                names.append(name)
    return names


def _texts_with_placeholders(value: Any) -> list[str]:
    """The texts inside ``value`` that hold ``${``, in document order: ``leaves``
    without the pointers (the engine asks before every activity)."""
    found: list[str] = []
    if type(value) is dict and "${" not in repr(value):  # the usual case, one C-speed
        return found  # search: repr writes "${" of parsed data as it is (mentions_outputs)
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "${" in item:
                found.append(item)
        elif isinstance(item, Mapping):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list | tuple):
            stack.extend(reversed(item))
    return found
