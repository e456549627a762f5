"""Override keys the experiment does not know: ``--var``, ``--var-file``, and the
``configuration=``/``secrets=`` of the Python API and the pytest plugin.

One check, used by ``squall validate`` and ``squall lint``, by every run before it starts
(both engines, with or without validation) and so by the pytest plugin. The Chaos
Toolkit ignores an override whose key the experiment does not declare; squall passes it
on in the run's configuration (a driver or control may read it), so a misspelt key
(``shop_ulr``) leaves the declared one (``shop_url``) at the experiment's default, and
the run goes to the wrong place. What is said depends on where the key came from:

- a key given for this run (``--var``, the API's ``overrides``/``secret_overrides``,
  the plugin's ``configuration=``/``secrets=``) that is a near miss of a key the
  experiment declares or uses as ``${name}`` (or one squall reads itself,
  ``squall_allowed_paths``...), which no override gives, is an error (bad input, exit 2):
  ``did you mean "shop_url"?``; any other such key that no ``${name}`` uses is passed
  on with a warning (a driver's or control's code may read it);
- a key of a var file (``shared``: one file often feeds several experiments, as the
  demo's does, and holds keys that are near misses of another experiment's) is never
  refused: a near miss gets the same words as a warning, any other key passes silently.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from squall.allowlists import CONFIG_ALLOWED_NETWORKS, CONFIG_ALLOWED_PATHS
from squall.errors import Problem
from squall.experiment._reader import misspelt, pointer_join
from squall.experiment.model import ControlDecl, Experiment
from squall.experiment.placeholders import BUILTIN_NAMES, leaves, placeholders, undefined_names
from squall.show import show_value

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
    shared: Collection[str] = (),
) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) about override keys the experiment does not declare, each at
    the pointer of what it names (the key it probably meant, else ``/configuration`` or
    ``/secrets``). ``shared``: the keys that came from a var file (``key``, and
    ``scope.key`` for a secret), warned about, never refused. ``global_controls`` (the
    settings', ``--control-file``) may use ``${name}`` too. Cheap when every key is
    declared (the usual case)."""
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
    found = _Found(shared)
    pool = {**used, **_declared(experiment), **dict.fromkeys(SQUALL_KEYS, "/configuration")}
    for key in config:
        if key not in used and found.affords(key, pool):
            found.judge(key, "configuration", pool, overrides)
    for scope, key in secret:
        if key in used or not found.affords(f"{scope}.{key}", experiment.secrets):
            continue
        if scope not in experiment.secrets:
            pool = {s: pointer_join("/secrets", s) for s in experiment.secrets}
            keys = {f"{scope}.{k}" for k in secret_overrides[scope]}
            found.judge(scope, "secret scope", pool, secret_overrides, shared=keys <= found.shared)
            continue
        where = pointer_join("/secrets", scope)
        pool = {**used, **{k: pointer_join(where, k) for k in experiment.secrets[scope]}}
        found.judge(f"{scope}.{key}", "secret", pool, secret_overrides[scope], where)
    return found.errors + found.unchecked(), found.warnings


#: the most name comparisons the near-miss check makes (keys judged x names each is
#: compared with), a fraction of a second: thousands of undeclared keys against thousands of
#: names took minutes (``validate`` seemed to hang); the keys past it are not compared
MOST_COMPARISONS = 50_000


class _Found:
    """The findings so far, and which keys came from a (shared) var file."""

    __slots__ = ("compared", "errors", "left", "shared", "warnings")

    def __init__(self, shared: Collection[str]) -> None:
        self.shared = frozenset(shared)
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.compared = 0
        #: keys given for this run (not from a var file) left uncompared
        self.left: list[str] = []

    def affords(self, name: str, pool: Collection[str]) -> bool:
        """Whether ``name`` can still be compared with the names of ``pool``."""
        self.compared += len(pool)
        if self.compared <= MOST_COMPARISONS:
            return True
        if name not in self.shared:
            self.left.append(name)
        return False

    def unchecked(self) -> list[Problem]:
        """One error for the keys given for this run that were not compared (bad input:
        too many undeclared keys to tell a misspelt one)."""
        if not self.left:
            return []
        return [
            Problem(
                "/configuration",
                f"{len(self.left)} more override keys the experiment does not declare, "
                f"from {show_value(self.left[0])} on: too many to check for misspellings "
                f"(squall compares at most {MOST_COMPARISONS:,} pairs of names)",
                "declare the keys the experiment uses, and give only those",
            )
        ]

    def judge(
        self,
        name: str,
        what: str,
        pool: Mapping[str, str],
        given: Mapping[str, Any],
        where: str = "",
        *,
        shared: bool | None = None,
    ) -> None:
        """A near miss of a known name no override gives: an error, a warning when the
        key came from a var file. Any other: a warning, nothing when from a var file.
        ``pool``: known names and their pointers."""
        key = name.rpartition(".")[2] if what == "secret" else name
        section = "configuration" if what == "configuration" else "secrets"
        from_file = name in self.shared if shared is None else shared
        keep = f"if a driver or control reads {show_value(key)} itself, declare it in {section}"
        near = misspelt({k: v for k, v in pool.items() if k not in given}, key)
        if near is not None and abs(len(near) - len(key)) <= MAX_LENGTH_CHANGE:
            origin = " (from a var file)" if from_file else ""
            (self.warnings if from_file else self.errors).append(
                Problem(
                    pool[near],
                    f"{what} override {show_value(name)}{origin} is not a name of the "
                    f"experiment: did you mean {show_value(near)}? As given, "
                    f"{show_value(near)} keeps the experiment's own value",
                    f"rename the override {show_value(key)} to {show_value(near)}; or, {keep}",
                )
            )
        elif not from_file:
            self.warnings.append(
                Problem(
                    where or f"/{section}",
                    f"{what} override {show_value(name)} is not declared in {section} and "
                    f"no ${{{key}}} uses it: the run passes it on, and only a driver or "
                    "control that reads it itself sees it",
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
