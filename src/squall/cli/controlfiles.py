"""Global controls: the settings' ``controls`` and each ``--control-file``, read and checked
the same way by ``squall run`` and ``squall validate``.

Each source is a mapping of control names to declarations. A declaration that is not an
object with a ``provider`` (``{"a": 5}``), a module that cannot be imported, arguments its
``validate_control`` refuses and the probes a safeguard would run are problems, located in
their own file (``c.json:1:7 at /a``; ``settings.yaml:3:5 at /controls/a``).
"""

from __future__ import annotations

from squall.errors import InputError, Problem, ValidationError
from squall.experiment.model import ControlDecl
from squall.show import show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost

if TYPE_CHECKING:
    from typing import Any

    from squall.experiment import Document

__all__ = ["global_control_findings", "read_global_controls"]

_SHAPE = (
    'a control is an object with a "provider", e.g. {"provider": {"type": "python", "module": ...}}'
)


def read_global_controls(
    settings: dict[str, Any], control_files: tuple[str, ...]
) -> tuple[ControlDecl, ...]:
    """Global controls: settings ``controls`` then each ``--control-file``; a later one
    with the same name replaces it.

    Raises:
        InputError: a file cannot be read.
        ValidationError: a declaration is wrong (every problem, located in its file).
    """
    if settings.get("controls") is None and not control_files:
        return ()  # the usual run: nothing to read
    decls, problems = global_control_findings(settings, control_files)
    if problems:
        raise ValidationError(problems, "global controls")
    return decls


def events_file_control(path: str) -> ControlDecl:
    """``--events-file PATH``: the built-in control that writes the run's events there
    (squall.controls.events_file), declared as a user would declare it."""
    module = "squall.controls.events_file"
    raw = {"provider": {"type": "python", "module": module, "arguments": {"path": path}}}
    decl, problems = _entry("squall-events-file", raw, "--events-file")
    assert decl is not None and not problems, problems
    return decl


def global_control_findings(
    settings: dict[str, Any], control_files: tuple[str, ...]
) -> tuple[tuple[ControlDecl, ...], list[Problem]]:
    """The global controls that are right, and the problems of the others (located).

    Raises:
        InputError: a control file cannot be read (not JSON/YAML, beyond a limit...).
    """
    from squall.settings import default_settings_path

    chosen: dict[str, ControlDecl] = {}
    problems: list[Problem] = []
    block = settings.get("controls")
    if block is not None:
        name = default_settings_path()
        found, wrong = _block(block, "/controls")
        chosen.update(found)
        problems += _locate_file(name, wrong)
    for name in control_files:
        document = _read(name)
        found, wrong = _block(document.data, "")
        chosen.update(found)
        problems += document.located(wrong)
    return tuple(chosen.values()), problems


def _read(name: str) -> Document:
    """A control file, read like an experiment (input limits, located errors).

    Raises:
        InputError: it cannot be read or parsed.
    """
    from squall.experiment import parse_text, read_text

    try:
        text = read_text(name, kind="file")  # no further than the document limit
        return parse_text(text, name, "json" if name.lower().endswith(".json") else "yaml")
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read control file {name}: {exc}") from None


def _block(block: Any, base: str) -> tuple[dict[str, ControlDecl], list[Problem]]:
    """The declarations of one source (``base``: its pointer) and their problems."""
    from squall.experiment._reader import pointer_join
    from squall.show import kind_of

    if not isinstance(block, dict):
        what = f"found {kind_of(block)}"
        return {}, [Problem(base, f"controls must be a mapping of names to controls, {what}")]
    placed: list[tuple[str, ControlDecl]] = []
    problems: list[Problem] = []
    for key, value in block.items():
        where = pointer_join(base, str(key))
        decl, wrong = _entry(str(key), value, where)
        problems += wrong
        if decl is not None:
            placed.append((where, decl))
    if placed:
        problems += _loaded(placed)
    return {decl.name: decl for _, decl in placed}, problems


def _entry(key: str, value: Any, where: str) -> tuple[ControlDecl | None, list[Problem]]:
    """One declaration, as ``parse_controls`` reads an experiment's, at ``where``."""
    from squall.experiment.parse import parse_controls
    from squall.show import kind_of

    if not isinstance(value, dict):
        message = f"control {show_value(key)} must be an object, found {kind_of(value)}"
        return None, [Problem(where, message, _SHAPE)]
    if "ref" in value and "provider" not in value:
        message = (
            f'control {show_value(key)} has no "provider" (a global control cannot be a "ref")'
        )
        return None, [Problem(where, message, _SHAPE)]
    decls, problems = parse_controls([{"name": key, **value}], where)
    moved = [p.replace(pointer=where + p.pointer[len(where) + 2 :]) for p in problems]
    return (decls[0] if decls and not moved else None), moved


def _loaded(placed: list[tuple[str, ControlDecl]]) -> list[Problem]:
    """What the run finds when it loads them: modules that cannot be imported, arguments
    their ``validate_control`` refuses, the probes a safeguard runs."""
    from squall.api import plugin_registry
    from squall.validate import global_control_problems

    return global_control_problems(placed, plugin_registry())


def _locate_file(name: str, problems: list[Problem]) -> list[Problem]:
    """The settings' problems with their line:column (the file read again: only when
    something is wrong)."""
    if not problems:
        return []
    from squall.experiment import parse_text, read_text

    try:
        document = parse_text(read_text(name, kind="settings"), name, "yaml")
    except Exception:  # moved or changed since: the file and the pointer still say where
        return [p.located(name, None, None) for p in problems]
    return document.located(problems)
