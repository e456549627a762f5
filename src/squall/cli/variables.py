"""``--var key[:type]=value`` and ``--var-file`` (JSON/YAML, or a .env file)."""

from __future__ import annotations

import os

from squall.cli._errors import bad_parameter
from squall.engine.configuration import convert_env_value
from squall.show import kind_of, show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

__all__ = [
    "is_dotenv",
    "parse_var",
    "read_dotenv",
    "read_var_files",
    "split_var_files",
]

_TYPES = ("str", "string", "int", "integer", "float", "number", "bytes", "bool", "json")


def parse_var(text: str) -> tuple[str, Any]:
    """Parse one ``--var``; raises click.BadParameter with what is wrong."""
    if "=" not in text:
        raise bad_parameter(
            f"{show_value(text)} is not key=value (e.g. --var port:int=8080)", param_hint="--var"
        )
    key, value = text.split("=", 1)
    kind = None
    if ":" in key:
        key, kind = key.split(":", 1)
        if kind not in _TYPES:
            raise bad_parameter(
                f"unknown type {show_value(kind)} in {show_value(text)}; "
                f"use one of {', '.join(_TYPES)}",
                param_hint="--var",
            )
    if not key:
        raise bad_parameter(f"{show_value(text)} has an empty key", param_hint="--var")
    try:
        converted = convert_env_value(value, kind)
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested too deep
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise bad_parameter(f"{key}: {reason}", param_hint="--var") from None
    from squall.experiment.limits import Limits, tree_problems

    # what a document may not hold, a --var may not either (NaN, Infinity, depth...)
    problems = tree_problems(converted, Limits.resolve())
    if problems:
        where = problems[0].pointer if len(problems[0].pointer) <= 40 else ""
        raise bad_parameter(f"{key}{where}: {problems[0].message}", param_hint="--var")
    return key, converted


def read_var_files(paths: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Configuration and secret overrides from var files (later files win).

    A file that is not JSON or YAML is read as ``.env`` (KEY=VALUE lines) and sets
    environment variables, so only ``env`` sources see it (the reference's rule).
    """
    configuration: dict[str, Any] = {}
    secrets: dict[str, dict[str, Any]] = {}
    for name in paths:
        from pathlib import Path

        path = Path(name)
        if is_dotenv(name):
            os.environ.update(read_dotenv(path))
            continue
        try:
            data = _read_mapping(path)
        except (OSError, ValueError) as exc:
            raise bad_parameter(f"cannot read {name}: {exc}", param_hint="--var-file") from None
        if not isinstance(data, dict):
            raise bad_parameter(
                f'{name} must hold an object with "configuration" and/or "secrets"',
                param_hint="--var-file",
            )
        _check_var_file_keys(name, data)
        configuration.update(_section(name, "configuration", data.get("configuration")))
        for scope, values in _section(name, "secrets", data.get("secrets")).items():
            secrets.setdefault(str(scope), {}).update(_section(name, f"secrets.{scope}", values))
    return configuration, secrets


def _section(name: str, where: str, value: Any) -> dict[str, Any]:
    """A var file's section: an object (or nothing); anything else is bad input."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_parameter(
            f"{name}: '{where}' must be an object of names to values, not {kind_of(value)}",
            param_hint="--var-file",
        )
    return value


_VAR_FILE_KEYS = ("configuration", "secrets")


def is_dotenv(name: str) -> bool:
    """A var file that is not JSON or YAML is read as ``.env``."""
    return not name.lower().endswith((".json", ".yaml", ".yml"))


def split_var_files(paths: tuple[str, ...]) -> tuple[tuple[str, ...], dict[str, str]]:
    """The JSON/YAML var files, and the variables the ``.env`` ones set (later files
    win), read without setting this process's environment (a run on Temporal resolves
    its ``env`` configuration and secrets on a worker: see squall.temporal.dotenv).

    Raises:
        click.BadParameter: a .env file that cannot be read or has a malformed line.
    """
    values: dict[str, str] = {}
    for name in paths:
        if is_dotenv(name):
            from pathlib import Path

            values.update(read_dotenv(Path(name)))
    return tuple(name for name in paths if not is_dotenv(name)), values


def _check_var_file_keys(name: str, data: dict[Any, Any]) -> None:
    """A var file holds ``configuration`` and/or ``secrets``; anything else is a mistake
    that would otherwise be ignored silently (the Chaos Toolkit ignores it)."""
    unknown = [str(key) for key in data if key not in _VAR_FILE_KEYS]
    if not unknown:
        return
    if "ports" in data and "api_url" in data:
        hint = (
            "this is the demo's state file (demo.json), not a var file; "
            "make one with: squall demo vars --output demo-vars.json"
        )
    else:
        hint = 'a var file holds only "configuration" and/or "secrets" at its top level'
    shown = ", ".join(show_value(key) for key in unknown[:5]) + (
        ", ..." if len(unknown) > 5 else ""
    )
    keys = "key" if len(unknown) == 1 else "keys"
    raise bad_parameter(f"{name}: unknown {keys} {shown}; {hint}", param_hint="--var-file")


def read_dotenv(path: Path) -> dict[str, str]:
    """The ``KEY=VALUE`` lines of a .env file (``#`` comments, ``export`` prefixes and
    quotes around values allowed)."""
    from squall.experiment import read_text

    lines = read_text(str(path), kind="var file").splitlines()  # bounded, like a document
    values: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[7:]
        if "=" not in line:
            raise bad_parameter(f"{path}:{number}: expected KEY=VALUE", param_hint="--var-file")
        key, value = line.split("=", 1)
        key, value = key.strip(), value.strip().strip("'\"")
        if not key or "\0" in key or "\0" in value:  # what no environment can hold
            why = "a NUL byte" if key else "no name before '='"
            raise bad_parameter(
                f"{path}:{number}: expected KEY=VALUE ({why})", param_hint="--var-file"
            )
        values[key] = value
    return values


def _read_mapping(path: Path) -> Any:
    """A JSON/YAML file's data, read like an experiment (input limits, located errors).

    Raises:
        LoadError: not JSON/YAML, or beyond a limit (exit 2, with line:column).
    """
    from squall.experiment import parse_text, read_text

    text = read_text(str(path), kind="file")  # no further than the document limit
    return parse_text(text, str(path), "json" if path.suffix.lower() == ".json" else "yaml").data
