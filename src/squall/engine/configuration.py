"""Resolve ``configuration`` and ``secrets`` at run start: inline values, environment,
Vault, command-line overrides, then dynamic (probe) configuration."""

from __future__ import annotations

import os
from collections import ChainMap
from collections.abc import Callable, Collection, Mapping

from squall import _json
from squall._log import get_logger
from squall.errors import InputError, Interrupted
from squall.experiment.booleans import parse_bool
from squall.experiment.model import (
    Activity,
    ConfigEnv,
    ConfigProbe,
    ControlDecl,
    Experiment,
    SecretEnv,
    SecretVault,
)
from squall.masking import secret_texts
from squall.show import show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

    ProbeRunner = Callable[[Activity, Mapping[str, Any], Mapping[str, Mapping[str, Any]]], Any]

__all__ = [
    "CREDENTIAL_KEYS",
    "check_overrides",
    "convert_env_value",
    "load_configuration",
    "load_secrets",
    "run_dynamic_configuration",
    "variables_of",
]

log = get_logger(__name__)

#: configuration keys that hold credentials (Vault's): masked like secrets
CREDENTIAL_KEYS = ("vault_token", "vault_role_secret")


def convert_env_value(value: str, kind: str | None) -> Any:
    """Convert an environment string by ``env_var_type`` (the reference's rules, except
    that a ``bool`` is one of the spellings squall.experiment.booleans accepts).

    Raises:
        ValueError: the text does not convert; the message shows it in JSON's spelling.
    """
    if kind in (None, "str", "string"):
        return value
    if kind in ("int", "integer", "float", "number"):
        return _number(value, int if kind in ("int", "integer") else float)
    if kind == "bytes":
        return value.encode("utf-8")
    if kind == "bool":
        return parse_bool(value)
    if kind == "json":
        try:
            return _json.loads(value) if value else value
        except _json.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc}") from None
    raise ValueError(f"unknown type {show_value(kind)}")


def _number(value: str, kind: type[int] | type[float]) -> int | float:
    try:
        return kind(value)
    except ValueError:
        name = "an integer" if kind is int else "a number"
        raise ValueError(f"{show_value(value, 60)} is not {name}") from None


def _env(entry: ConfigEnv, key: str) -> Any:
    raw = os.environ.get(entry.key)
    if raw is None:
        if entry.has_default:
            return entry.default
        raise InputError(
            f"configuration {show_value(key)} reads environment variable "
            f"{show_value(entry.key)}, which is not set "
            f'(export it, add a "default", or pass --var {key}=...)'
        )
    try:
        return convert_env_value(raw, entry.env_var_type)
    except ValueError as exc:
        raise InputError(
            f"configuration {show_value(key)}: environment variable {entry.key} "
            f"(env_var_type {entry.env_var_type}): {exc}"
        ) from None


def check_overrides(
    experiment: Experiment,
    overrides: Mapping[str, Any],
    secret_overrides: Mapping[str, Mapping[str, Any]],
    global_controls: tuple[ControlDecl, ...] = (),
    *,
    shared: Collection[str] = (),
    warn: Callable[[str], None] | None = None,
) -> None:
    """Refuse a misspelt override key before anything runs (``squall.experiment.
    overrides``): every run, validated or not, on either engine. A near miss read from
    a var file several experiments may share (``shared``), and another undeclared key
    given for this run, are passed on with a warning (to ``warn``).

    Raises:
        InputError: an override key is a near miss of one the experiment declares.
    """
    if not overrides and not secret_overrides:
        return
    from squall.experiment.overrides import override_findings

    errors, warnings = override_findings(
        experiment, overrides, secret_overrides, global_controls=global_controls, shared=shared
    )
    if errors:
        raise InputError("; ".join(f"{p.message} ({p.hint})" for p in errors))
    for warning in warnings:
        if warn is not None:
            warn(f"{warning.message} ({warning.hint})")


def load_configuration(
    experiment: Experiment,
    overrides: Mapping[str, Any],
) -> tuple[dict[str, Any], list[tuple[str, ConfigProbe]]]:
    """Static values, env sources and overrides; plus the dynamic entries, to be run by
    ``run_dynamic_configuration`` once the secrets are loaded (Vault needs the static
    configuration, dynamic probes may need the secrets: the reference's order).

    Overrides replace declared keys and add undeclared ones (the reference ignores those).

    Raises:
        InputError: an environment variable is missing or not convertible.
    """
    config: dict[str, Any] = {}
    probes: list[tuple[str, ConfigProbe]] = []
    for key, value in experiment.configuration.items():
        if key in overrides:
            value = overrides[key]
            if isinstance(value, Mapping) and value.get("type") == "env":  # var-file source
                value = ConfigEnv(
                    key=str(value.get("key")),
                    default=value.get("default"),
                    has_default="default" in value,
                    env_var_type=value.get("env_var_type"),
                )
        if isinstance(value, ConfigEnv):
            config[key] = _env(value, key)
        elif isinstance(value, ConfigProbe):
            probes.append((key, value))
        else:
            config[key] = value
    for key, value in overrides.items():
        config.setdefault(key, value)
    return config, probes


def run_dynamic_configuration(
    config: dict[str, Any],
    probes: list[tuple[str, ConfigProbe]],
    secrets: Mapping[str, Mapping[str, Any]],
    run_probe: ProbeRunner,
) -> None:
    """Run dynamic entries in order, each seeing the configuration so far. A failing one
    omits its key and logs a warning; the run goes on."""
    failed = []
    for key, entry in probes:
        try:
            config[key] = run_probe(entry.probe, config, secrets)
        except Interrupted:
            raise
        except BaseException as exc:  # SystemExit too: a probe must not end squall
            log.debug("dynamic configuration %r failed", key, exc_info=True)
            failed.append(f"{key} ({exc})")
    if failed:
        log.warning("dynamic configuration failed, keys omitted: %s", ", ".join(failed))


def load_secrets(
    experiment: Experiment,
    overrides: Mapping[str, Mapping[str, Any]],
    configuration: Mapping[str, Any],
) -> dict[str, dict[str, Any]]:
    """Every secret scope with its values. Overrides merge key by key into a scope.

    Raises:
        InputError: an environment variable is missing, or Vault cannot be read.
    """
    from squall.masking import register_secrets

    # Vault's credentials live in the configuration (the reference's keys): secrets too
    register_secrets([configuration.get(key) for key in CREDENTIAL_KEYS])
    out: dict[str, dict[str, Any]] = {}
    for scope, entries in experiment.secrets.items():
        values: dict[str, Any] = {}
        for key, value in entries.items():
            if key in overrides.get(scope, {}):
                values[key] = overrides[scope][key]
            else:
                values[key] = _secret(scope, key, value, configuration)
        out[scope] = values
    for scope, entries in overrides.items():
        out.setdefault(scope, {}).update({k: v for k, v in entries.items() if k not in out[scope]})
    _mask(out)
    return out


def _mask(secrets: dict[str, dict[str, Any]]) -> None:
    """Every value is masked in every sink from now on; say which cannot be."""
    from squall.masking import MIN_LENGTH, register_secrets

    short = register_secrets(secrets)
    if short:
        names = sorted(
            f"{scope}.{key}"
            for scope, values in secrets.items()
            for key, value in values.items()
            if not short.isdisjoint(secret_texts(value))
        )
        log.warning(
            "secrets %s are shorter than %d characters: they are masked where they are a "
            "whole value, not inside longer texts",
            ", ".join(names),
            MIN_LENGTH,
        )


def _secret(scope: str, key: str, value: Any, configuration: Mapping[str, Any]) -> Any:
    if isinstance(value, SecretEnv):
        if value.key not in os.environ:
            raise InputError(
                f"secret {scope}.{key} reads environment variable {show_value(value.key)}, "
                "which is not set (export it or pass --var-file)"
            )
        return os.environ[value.key]
    if isinstance(value, SecretVault):
        from squall.engine.vault import read_vault_secret

        return read_vault_secret(value, configuration)
    if isinstance(value, Mapping) and "type" not in value:
        return {k: _secret(scope, f"{key}.{k}", v, configuration) for k, v in value.items()}
    if isinstance(value, Mapping):
        return _plugin_secret(scope, key, value, configuration)
    return value


def _plugin_secret(
    scope: str, key: str, value: Mapping[str, Any], configuration: Mapping[str, Any]
) -> Any:
    """A secret of a type a plugin registered (else the mapping itself, as the reference)."""
    from squall.hooks.registration import registrations

    fetch = registrations().secret_backends.get(str(value.get("type")))
    if fetch is None:
        return value
    try:
        return fetch(dict(value), configuration)
    except InputError:
        raise
    except BaseException as exc:  # SystemExit too: a plugin must not end squall
        raise InputError(
            f"secret {scope}.{key} (type {show_value(value.get('type'))}) cannot be read: "
            f"{type(exc).__name__}: {exc}"
        ) from None


def variables_of(
    configuration: Mapping[str, Any], secrets: Mapping[str, Mapping[str, Any]]
) -> Mapping[str, Any]:
    """The lookup for ``${name}``: configuration first, then each secret scope in order.

    It is live, as the reference's: a key a control adds to the run's configuration (the
    Terraform control's ``tf_out__*``) is seen by every activity substituted after that,
    since each activity is substituted when it runs."""
    maps: list[Mapping[str, Any]] = [configuration, *secrets.values()]
    # ChainMap only writes to its first map when written to, and this lookup is only
    # read: read-only mappings are fine (typeshed asks for MutableMapping throughout)
    return ChainMap(*maps)  # type: ignore[arg-type]
