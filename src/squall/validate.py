"""Problems that need the world: modules import, arguments bind, executables exist,
references resolve, environment variables are set."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping, Sequence

from squall.allowlists import CONFIG_ALLOWED_PATHS, ENV_ALLOWED_PATHS, entry_problems
from squall.compat import INSTALL_HINT
from squall.errors import InputError, Problem, message_of
from squall.experiment._reader import Reader, pointer_join
from squall.experiment.model import (
    Activity,
    ConfigEnv,
    ConfigProbe,
    ControlDecl,
    Experiment,
    ProbeTolerance,
    PythonSpec,
    SecretEnv,
)
from squall.experiment.outputs_rules import output_problems
from squall.experiment.overrides import override_findings
from squall.experiment.parse import parse_activity
from squall.experiment.placeholders import BUILTIN_NAMES, undefined_names
from squall.experiment.routing import routing_problems
from squall.hooks.loading import load_control_module
from squall.providers import ProviderRegistry
from squall.show import show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["check_experiment", "global_control_problems", "placeholder_findings"]


def check_experiment(
    experiment: Experiment,
    registry: ProviderRegistry,
    *,
    overrides: Mapping[str, Any] | None = None,
    secret_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    incomplete: Sequence[Activity] = (),
    shared_keys: Collection[str] = (),
) -> list[Problem]:
    """Every problem that can be found without running anything; never raises.

    ``overrides`` are configuration values given on the command line (``--var``,
    ``--var-file``): an ``env`` entry they replace need not be set; a key of them (or of
    ``secret_overrides``) that is a near miss of a declared one is a problem
    (``squall.experiment.overrides``), unless it came from a var file (``shared_keys``:
    ``key``, ``scope.key`` for a secret). ``incomplete`` are the
    activities the parser left out of a partial experiment (``parse_experiment_partial``):
    their providers are checked too, and a reference to one of them is not "unknown".
    """
    problems: list[Problem] = []
    declared = experiment.referable()
    problems += _check_refs(experiment, declared, {a.name for a in incomplete})
    problems += _check_controls(experiment, registry, declared)
    problems += output_problems(experiment)
    problems += allowlist_problems(overrides)
    problems += override_findings(  # misspelt keys
        experiment, overrides, secret_overrides, shared=shared_keys
    )[0]
    problems += routing_problems(experiment)
    if "runtime" in experiment.raw:  # runtime.python.dependencies, rare: imported then
        from squall.dependencies import dependency_problems

        problems += dependency_problems(experiment.raw)
    for activity in [*experiment.activities(), *incomplete]:
        problems += _check_activity(activity, registry, declared)
    for key, value in experiment.configuration.items():
        where = pointer_join("/configuration", key)
        if isinstance(value, ConfigEnv) and _env_missing(value, key, overrides):
            problems.append(_missing_env(where, value.key, "configuration"))
        if isinstance(value, ConfigProbe):
            problems += _check_activity(value.probe, registry, declared)
    for scope, entries in experiment.secrets.items():
        for key, value in entries.items():
            if not isinstance(value, SecretEnv) or value.key in os.environ:
                continue
            if key in (secret_overrides or {}).get(scope, {}):
                continue
            where = pointer_join(pointer_join("/secrets", scope), key)
            problems.append(_missing_env(where, value.key, "secret"))
    return problems


def allowlist_problems(overrides: Mapping[str, Any] | None) -> list[Problem]:
    """Allow-list entries too broad (``squall.allowlists``) given by ``--var``/``--var-file``
    or ``SQUALL_ALLOWED_PATHS``; those of the experiment itself are refused by its parser."""
    given = [(f"--var/--var-file {key}", key, value) for key, value in (overrides or {}).items()]
    env = os.environ.get(ENV_ALLOWED_PATHS, "")
    paths = [item for item in env.split(os.pathsep) if item.strip()]
    if paths:
        given.append((f"environment variable {ENV_ALLOWED_PATHS}", CONFIG_ALLOWED_PATHS, paths))
    problems = []
    for origin, key, value in given:
        for suffix, why in entry_problems(key, value):
            where = pointer_join("/configuration", key) + suffix
            problems.append(Problem(where, f"{origin}: {why}", _NARROW))
    return problems


_NARROW = "an allow-list names what the experiment may touch, not more (see docs/safety.md)"


def _declared_controls(experiment: Experiment) -> list[tuple[str, ControlDecl]]:
    """(pointer, declaration) of every control the experiment declares."""
    found = [(f"/controls/{i}", c) for i, c in enumerate(experiment.controls)]
    if experiment.hypothesis:
        where = "/steady-state-hypothesis/controls"
        found += [(f"{where}/{i}", c) for i, c in enumerate(experiment.hypothesis.controls)]
    for activity in experiment.activities():
        if activity.controls:
            found += [
                (f"{activity.pointer}/controls/{i}", c) for i, c in enumerate(activity.controls)
            ]
    return found


def _check_controls(
    experiment: Experiment, registry: ProviderRegistry, declared: Mapping[str, Activity]
) -> list[Problem]:
    """Every declared control module imports (a safeguard that cannot load is an error),
    its arguments are valid, and the probes it runs are checked like the experiment's."""
    return _control_problems(_declared_controls(experiment), registry, declared)


def global_control_problems(
    controls: Iterable[tuple[str, ControlDecl]], registry: ProviderRegistry
) -> list[Problem]:
    """The same checks for controls declared outside the experiment (the settings,
    ``--control-file``), each at its pointer in its own file."""
    return _control_problems(controls, registry, {})


def _control_problems(
    controls: Iterable[tuple[str, ControlDecl]],
    registry: ProviderRegistry,
    declared: Mapping[str, Activity],
) -> list[Problem]:
    problems = []
    for pointer, decl in controls:
        if decl.module is None:
            continue
        try:
            module = load_control_module(decl)
        except InputError as exc:
            problems.append(
                Problem(
                    pointer + "/provider/module",
                    str(exc),
                    INSTALL_HINT
                    if "squall's stand-in does not serve" in str(exc)
                    else 'install the control\'s package or fix "module"',
                )
            )
            continue
        found = _control_arguments(pointer, decl.name, module, decl.raw)
        problems += found or _control_probes(pointer, module, decl.raw, registry, declared)
    return problems


def _control_probes(
    pointer: str,
    module: Any,
    raw: Mapping[str, Any],
    registry: ProviderRegistry,
    declared: Mapping[str, Activity],
) -> list[Problem]:
    """The probes a control runs beside the experiment (a safeguard's), which its module
    lists with ``control_probes(declaration)`` as ``(pointer under the declaration's
    arguments, probe mapping)`` pairs: parsed and checked as the run would."""
    listed = getattr(module, "control_probes", None)
    if not callable(listed):
        return []
    try:
        found = list(listed(raw))
    except Exception:  # the control's own validate_control says what is wrong
        return []
    problems: list[Problem] = []
    for suffix, declaration in found:
        reader = Reader()
        where = f"{pointer}/provider/arguments{suffix}"
        probe = parse_activity(reader, declaration, where, in_hypothesis=True)
        problems += reader.problems
        if probe is not None and not reader.problems:
            problems += _check_activity(probe, registry, declared)
    return problems


def _control_arguments(
    pointer: str, name: str, module: Any, raw: Mapping[str, Any]
) -> list[Problem]:
    """The control module's own ``validate_control(declaration)``, if it has one."""
    check = getattr(module, "validate_control", None)
    if not callable(check):
        return []
    try:
        check(raw)
    except BaseException as exc:  # SystemExit too: it must not end squall
        return [
            Problem(
                pointer + "/provider/arguments",
                f"control {show_value(name)} is invalid: {message_of(exc)}",
                "see the control's documentation for its arguments",
            )
        ]
    return []


def _env_missing(value: ConfigEnv, key: str, overrides: Mapping[str, Any] | None) -> bool:
    return not value.has_default and key not in (overrides or {}) and value.key not in os.environ


def _missing_env(where: str, key: str, what: str) -> Problem:
    if what == "secret":  # no default, and --var gives configuration only (as the reference)
        hint = f"export {key}=..., or give it in a --var-file (a .env line {key}=...)"
    else:
        hint = f'export {key}=..., give a "default", or pass --var/--var-file'
    return Problem(
        where, f"{what} reads environment variable {show_value(key)}, which is not set", hint
    )


def _check_refs(
    experiment: Experiment, declared: Mapping[str, Activity], also_declared: set[str]
) -> list[Problem]:
    names = {*declared, *also_declared}
    problems = []
    for activity in experiment.activities():
        if activity.ref is not None and activity.ref not in names:
            known = ", ".join(sorted(declared)) or "none"
            problems.append(
                Problem(
                    activity.pointer + "/ref",
                    f"reference to unknown activity {show_value(activity.ref)}",
                    f"declared activities: {known}",
                )
            )
    return problems


def _check_activity(
    activity: Activity, registry: ProviderRegistry, declared: Mapping[str, Activity]
) -> list[Problem]:
    if activity.ref is not None or activity.provider is None:
        return []
    problems = check_provider(activity, registry)
    if isinstance(activity.tolerance, ProbeTolerance):
        probe = activity.tolerance.probe
        spec = probe.provider
        if isinstance(spec, PythonSpec):  # the engine passes the probed output as `value`
            spec = spec.replace(arguments={"value": None, **spec.arguments})
            probe = probe.replace(provider=spec)
        problems += _check_activity(probe, registry, declared)
    return problems


def check_provider(activity: Activity, registry: ProviderRegistry) -> list[Problem]:
    """The provider's own checks, or a problem if its type is unknown."""
    spec = activity.provider
    if spec is None:
        return []
    provider = registry.get(spec.type)
    if provider is None:
        known = ", ".join(registry.types())
        kind = spec.type
        return [
            Problem(
                f"{activity.pointer}/provider/type",
                f"unknown provider type {show_value(kind)}",
                f"use one of: {known} (or install the plugin that provides it)",
            )
        ]
    return provider.check(spec, activity.pointer)


# ------------------------------------------------------------ undefined ${name}


def placeholder_findings(
    experiment: Experiment,
    *,
    overrides: Mapping[str, Any] | None = None,
    secret_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    global_controls: Iterable[ControlDecl] = (),
) -> tuple[list[Problem], list[Problem]]:
    """(warnings, notes) about ``${name}`` placeholders that nothing defines before the run.

    The Chaos Toolkit sends such a placeholder on as its literal text, and squall does the
    same (a shell command may mean ``${HOME}``), but never silently. A name that a control
    of the run may set (any control whose functions receive the ``configuration``: the
    Terraform control publishes ``tf_out__*`` so) is a note naming those controls; any
    other is a warning. The engine warns again if the name is still undefined when the
    activity runs.
    """
    known = set(experiment.configuration) | set(overrides or {}) | BUILTIN_NAMES
    for scope in (experiment.secrets, secret_overrides or {}):
        for entries in scope.values():
            known |= set(entries)
    missing = undefined_names(experiment, known)
    if not missing:
        return [], []
    names = _configuring_controls([d for _, d in _declared_controls(experiment)], global_controls)
    setters = ("control " if len(names) == 1 else "controls ") + ", ".join(map(repr, names))
    warnings, notes = [], []
    for pointer, name in missing:
        if names:
            notes.append(
                Problem(
                    pointer,
                    f"${{{name}}} is not defined before the run; {setters} may set it in the "
                    "configuration",
                    "squall warns when an activity runs while it is still undefined",
                )
            )
        else:
            warnings.append(
                Problem(
                    pointer,
                    f"${{{name}}} is not defined by the configuration, the secrets or --var: "
                    f'it is sent as the literal text "${{{name}}}" (as the Chaos Toolkit does)',
                    f'declare {show_value(name)} in "configuration" or pass --var {name}=...; '
                    "write "
                    f"$${{{name}}} to send the text on (e.g. to a shell) without this warning",
                )
            )
    return warnings, notes


def _configuring_controls(
    declared: Iterable[ControlDecl], global_controls: Iterable[ControlDecl]
) -> list[str]:
    """Names of the controls with a ``*_control`` function that receives ``configuration``
    (by name or ``**kwargs``): they may add keys to the run's configuration."""
    names: list[str] = []
    for decl in [*global_controls, *declared]:
        if decl.module is None or decl.name in names:
            continue
        try:
            module = load_control_module(decl)
        except InputError:
            continue  # reported by check_experiment
        if any(_receives_configuration(f) for n, f in vars(module).items() if _is_control(n, f)):
            names.append(decl.name)
    return names


def _is_control(name: str, func: Any) -> bool:
    return callable(func) and (name == "configure_control" or name.endswith("_control"))


def _receives_configuration(func: Any) -> bool:
    import inspect  # only validate asks (a run does not import inspect)

    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
    return "configuration" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
