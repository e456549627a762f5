"""Override keys the experiment does not know: ``--var``, ``--var-file``, and the
``configuration=``/``secrets=`` of the Python API and the pytest plugin.

One check, used by ``squall validate``, by every run before it starts (both engines, with
or without validation) and so by the pytest plugin. The Chaos Toolkit ignores an override
whose key the experiment does not declare; squall passes it on in the run's configuration
(a driver or control may read it), so a misspelt key (``shop_ulr``) leaves the declared
one (``shop_url``) at the experiment's default, and the run goes to the wrong place:

- an undeclared key that is a near miss of a key the experiment declares or uses as
  ``${name}`` (or one squall reads itself, ``squall_allowed_paths``...), which no override
  gives, is an error (bad input, exit 2): "did you mean 'shop_url'?";
- any other undeclared key that no ``${name}`` uses is passed on (squall cannot see
  which keys a driver's or control's code reads, and a var file is often shared by
  several experiments, as the demo's is): ``squall validate`` warns about those given
  with ``--var``; a run says nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from squall.allowlists import CONFIG_ALLOWED_NETWORKS, CONFIG_ALLOWED_PATHS
from squall.errors import Problem
from squall.experiment._reader import misspelt, pointer_join
from squall.experiment.model import ControlDecl, Experiment
from squall.experiment.placeholders import BUILTIN_NAMES, leaves, placeholders, undefined_names

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["SQUALL_KEYS", "override_findings"]

#: configuration keys squall (its drivers, Vault) reads itself: never "undeclared"
SQUALL_KEYS = frozenset(
    {
        CONFIG_ALLOWED_PATHS,
        CONFIG_ALLOWED_NETWORKS,
        "squall_allowed_pids",
        "squall_state_dir",
        *BUILTIN_NAMES,
        "vault_addr",
        "vault_token",
        "vault_role_id",
        "vault_role_secret",
        "vault_sa_role",
        "vault_sa_token_path",
        "vault_k8s_mount_point",
        "vault_secrets_mount_point",
        "vault_kv_version",
    }
)


#: a typo changes a name's length by at most this much (``shop_ulr``, ``shop_rl``,
#: ``shopp_url``); a longer or shorter name is another word (the demo's ``started``
#: beside an experiment's ``started_at``: a var file shared by several experiments)
MAX_LENGTH_CHANGE = 2


def override_findings(
    experiment: Experiment,
    overrides: Mapping[str, Any] | None,
    secret_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    global_controls: Iterable[ControlDecl] = (),
) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) about override keys the experiment does not declare, each at
    the pointer of what it names (the key it probably meant, else ``/configuration`` or
    ``/secrets``): errors for near misses, warnings for the rest. ``global_controls``
    (the settings', ``--control-file``) may use ``${name}`` too. Cheap when every key
    is declared (the usual case)."""
    overrides = overrides or {}
    secret_overrides = secret_overrides or {}
    config = [k for k in overrides if k not in experiment.configuration and k not in SQUALL_KEYS]
    secret = [
        (scope, key)
        for scope, entries in secret_overrides.items()
        for key in entries
        if key not in experiment.secrets.get(scope, {})
    ]
    if not config and not secret:
        return [], []
    used = _used_names(experiment, global_controls)
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for key in config:
        if key not in used:
            pool = {**used, **_declared(experiment), **dict.fromkeys(SQUALL_KEYS, "/configuration")}
            _judge(key, "configuration", pool, overrides, errors, warnings)
    for scope, key in secret:
        if key in used:
            continue
        if scope not in experiment.secrets:
            pool = {s: pointer_join("/secrets", s) for s in experiment.secrets}
            _judge(scope, "secret scope", pool, secret_overrides, errors, warnings)
            continue
        where = pointer_join("/secrets", scope)
        pool = {**used, **{k: pointer_join(where, k) for k in experiment.secrets[scope]}}
        given = secret_overrides[scope]
        _judge(f"{scope}.{key}", "secret", pool, given, errors, warnings, where)
    return errors, warnings


def _judge(
    name: str,
    what: str,
    pool: Mapping[str, str],
    given: Mapping[str, Any],
    errors: list[Problem],
    warnings: list[Problem],
    where: str = "",
) -> None:
    """An error if ``name`` (its last part for a secret) is a near miss of a known name no
    override gives, else a warning. ``pool``: known names and their pointers."""
    key = name.rpartition(".")[2] if what == "secret" else name
    section = "configuration" if what == "configuration" else "secrets"
    keep = f"if a driver or control reads {key!r} itself, declare it in {section!r}"
    near = misspelt({k: v for k, v in pool.items() if k not in given}, key)
    if near is not None and abs(len(near) - len(key)) <= MAX_LENGTH_CHANGE:
        errors.append(
            Problem(
                pool[near],
                f"{what} override {name!r} is not a name of the experiment: did you mean "
                f"{near!r}? As given, {near!r} keeps the experiment's own value",
                f"rename the override {key!r} to {near!r}; or, {keep}",
            )
        )
        return
    warnings.append(
        Problem(
            where or f"/{section}",
            f"{what} override {name!r} is not declared in {section!r} and no ${{{key}}} uses "
            "it: the run passes it on, and only a driver or control that reads it itself "
            "sees it",
            f"{keep} (or remove the override)",
        )
    )


def _declared(experiment: Experiment) -> dict[str, str]:
    return {k: pointer_join("/configuration", k) for k in experiment.configuration}


def _used_names(experiment: Experiment, global_controls: Iterable[ControlDecl]) -> dict[str, str]:
    """Every ``${name}`` of the experiment (and of the global controls' arguments), at the
    pointer of its first use."""
    found: dict[str, str] = {}
    for pointer, name in undefined_names(experiment, ()):
        found.setdefault(name, pointer)
    for control in global_controls:
        provider = control.raw.get("provider")
        if not isinstance(provider, Mapping):
            continue
        for _, _, leaf in leaves(provider.get("arguments"), ""):
            if isinstance(leaf, str) and "${" in leaf:
                for name in placeholders(leaf):
                    found.setdefault(name, "/configuration")
    return found
