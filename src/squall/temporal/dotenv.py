"""A ``.env`` var file for a run on Temporal (``squall run --engine temporal``,
``squall schedule add``).

Locally a ``.env`` file sets the command line's environment, which the experiment's
``type: env`` configuration and secrets read. On Temporal they are resolved on a worker,
whose environment the file never reaches: so the command line reads the file itself and
hands the values those entries would read to the run as overrides (configuration
converted by its ``env_var_type``, secrets as secrets). Only the values the experiment
reads leave this machine, and only encrypted: a .env file is where credentials live, so
any value taken from one needs a payload key (else exit 2), like an inline secret.
What is not passed: the file's other variables, and the environment of the workers'
processes and Python code (``os.environ`` there is the worker's own).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from squall.engine.configuration import convert_env_value
from squall.errors import InputError
from squall.experiment.model import ConfigEnv, Experiment, SecretEnv
from squall.show import show_value

__all__ = ["dotenv_overrides"]

_UNRESOLVED = object()


def dotenv_overrides(
    experiment: Experiment,
    values: Mapping[str, str],
    *,
    encrypted: bool,
    overrides: Mapping[str, Any],
    secret_overrides: Mapping[str, Mapping[str, Any]],
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The configuration and secret overrides of ``experiment`` that read a variable of
    ``values`` (the .env files' variables), except those ``overrides`` and
    ``secret_overrides`` (``--var``, JSON/YAML var files) give already.

    Raises:
        InputError: a value is taken from the .env file and no payload key encrypts
            what Temporal stores; a value is not of its ``env_var_type``.
    """
    source = experiment.source or "experiment"
    configuration: dict[str, Any] = {}
    for key, entry in experiment.configuration.items():
        if isinstance(entry, ConfigEnv) and entry.key in values and key not in overrides:
            try:
                configuration[key] = convert_env_value(values[entry.key], entry.env_var_type)
            except ValueError as exc:
                raise InputError(
                    f"{source}: configuration {show_value(key)}: environment variable {entry.key} "
                    f"(from the .env file, env_var_type {entry.env_var_type}): {exc}"
                ) from None
    secrets: dict[str, dict[str, Any]] = {}
    for scope, entries in experiment.secrets.items():
        for key, entry in entries.items():
            if key in secret_overrides.get(scope, {}):
                continue
            value = _secret(entry, values)
            if value is not _UNRESOLVED:
                secrets.setdefault(scope, {})[key] = value
    taken = [*configuration, *(f"{s}.{k}" for s, e in secrets.items() for k in e)]
    if taken and not encrypted:
        raise InputError(
            f"{source}: {', '.join(taken)} would be read from the .env file and stored in "
            "Temporal's history in clear: set a payload key (SQUALL_TEMPORAL_KEY or "
            "SQUALL_TEMPORAL_KEY_FILE, see docs/scale-out.md) to encrypt them, or give "
            "that environment to the workers"
        )
    return configuration, secrets


def _secret(entry: Any, values: Mapping[str, str]) -> Any:
    """The value of a secret read from ``values``: an ``env`` secret whose variable is
    there, or a nested mapping one of whose entries is and all of whose entries resolve
    here (literals, or variables of ``values``); else ``_UNRESOLVED`` (the worker
    resolves it in its own environment)."""
    if isinstance(entry, SecretEnv):
        return values.get(entry.key, _UNRESOLVED)
    if not (isinstance(entry, Mapping) and "type" not in entry):
        return _UNRESOLVED
    found = [False]

    def leaf(value: Any) -> Any:
        if isinstance(value, SecretEnv):
            found[0] = found[0] or value.key in values
            return values.get(value.key, _UNRESOLVED)
        if isinstance(value, Mapping) and "type" not in value:
            return {k: leaf(v) for k, v in value.items()}
        plain = isinstance(value, (str, int, float, bool, list)) or value is None
        return value if plain else _UNRESOLVED

    nested = leaf(entry)
    return nested if found[0] and not _has_unresolved(nested) else _UNRESOLVED


def _has_unresolved(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_unresolved(v) for v in value.values())
    return value is _UNRESOLVED
