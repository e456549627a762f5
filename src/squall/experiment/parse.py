"""Turn a mapping into a typed ``Experiment``, collecting every problem in one pass."""

from __future__ import annotations

from collections.abc import Mapping

from squall.allowlists import CONFIG_ALLOWED_NETWORKS, CONFIG_ALLOWED_PATHS, entry_problems
from squall.errors import Problem, ValidationError
from squall.experiment._reader import Reader, pointer_join
from squall.experiment.flow import FLOW_KEYS, NO_FLOW, parse_failure_policy, parse_flow
from squall.experiment.groups import ParallelGroup, is_group, parse_group
from squall.experiment.model import (
    NO_PAUSES,
    Activity,
    ActivityType,
    ConfigEnv,
    ConfigProbe,
    ControlDecl,
    DryMode,
    Experiment,
    Hypothesis,
    HypothesisStrategy,
    Pauses,
    RollbackStrategy,
    Runtime,
    SecretEnv,
    SecretVault,
    new_activity,
)
from squall.experiment.providers import parse_provider
from squall.experiment.tolerance import parse_tolerance
from squall.intervals import interval
from squall.show import kind_of, show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

    from squall.experiment.model import ConfigValue, SecretValue

__all__ = ["parse_activity", "parse_controls", "parse_experiment", "parse_experiment_partial"]

#: an Enum's member read from its class runs Enum code (about 0.9 k instructions on
#: Python 3.11): the members read for every activity are read once, here
_PROBE, _ACTION = ActivityType.PROBE, ActivityType.ACTION
#: an activity without any of these keys has no flow to parse
_FLOW = frozenset(FLOW_KEYS)

ENV_VAR_TYPES = ("str", "string", "int", "integer", "float", "number", "bytes", "bool", "json")


def parse_experiment(
    data: Mapping[str, Any], source: str = "", *, placeholders: bool = True
) -> Experiment:
    """Parse an experiment mapping (``placeholders`` False: the caller knows no text in it
    holds a ``$``, see ``Document.may_hold``).

    Raises:
        ValidationError: with every problem found (JSON pointers, not yet line:column).
    """
    experiment, problems, _ = parse_experiment_partial(data, source, placeholders=placeholders)
    if problems:
        raise ValidationError(problems, source)
    return experiment


def parse_experiment_partial(
    data: Mapping[str, Any], source: str = "", *, placeholders: bool = True
) -> tuple[Experiment, list[Problem], list[Activity]]:
    """Parse as much as can be parsed: the experiment (activities with problems left out),
    every problem, and the activities left out (for the checks that need the registry).
    The experiment must not be run when there are problems. ``placeholders`` False: no
    text in ``data`` holds a ``$`` (known from its source text), nothing searches for one."""
    r = Reader(placeholders)
    experiment = _experiment(r, data, source)
    return experiment, r.problems, r.incomplete


def _experiment(r: Reader, d: Mapping[str, Any], source: str) -> Experiment:
    title = r.text(d, "title", "", required=True, what="an experiment")
    description = r.text(d, "description", "", required=True, what="an experiment")
    tags = r.str_list(d, "tags", "")
    contributions = d.get("contributions") or {}
    if not isinstance(contributions, Mapping):
        r.add("/contributions", '"contributions" must be an object of name: high|medium|low|none')
        contributions = {}
    extensions = _extensions(r, d.get("extensions"))
    hypothesis = _hypothesis(r, d.get("steady-state-hypothesis"))
    if "method" not in d:
        r.missing(
            d,
            "method",
            "",
            'an experiment requires a "method"',
            'add "method": [] (it may be empty)',
        )
    elif d["method"] is None:
        r.add(
            "/method",
            '"method" must be a list of activities, found null',
            'use "method": [] for a hypothesis-only run',
        )
    groups: dict[str, ParallelGroup] = {}
    method = _activities(r, d.get("method"), "/method", groups=groups)
    rollbacks = _activities(r, d.get("rollbacks"), "/rollbacks", groups=groups)
    return Experiment(
        title=title or "",
        description=description or "",
        method=method,
        raw=d,
        source=source,
        tags=tags,
        contributions=contributions,
        configuration=_configuration(r, d.get("configuration")),
        secrets=_secrets(r, d.get("secrets")),
        extensions=extensions,
        controls=_controls(r, d.get("controls"), "/controls"),
        hypothesis=hypothesis,
        rollbacks=rollbacks,
        runtime=_runtime(r, d.get("runtime")),
        groups=groups,
        placeholders=r.placeholders,
    )


def _extensions(r: Reader, value: Any) -> tuple[Mapping[str, Any], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        r.add("/extensions", f'"extensions" must be a list, found {kind_of(value)}')
        return ()
    out = []
    for i, ext in enumerate(value):
        pointer = pointer_join("/extensions", i)
        if r.mapping(ext, pointer, "an extension") is not None:
            r.text(ext, "name", pointer, required=True, what="an extension")
            out.append(ext)
    return tuple(out)


def _hypothesis(r: Reader, value: Any) -> Hypothesis | None:
    if value is None:
        return None
    pointer = "/steady-state-hypothesis"
    d = r.mapping(value, pointer, '"steady-state-hypothesis"')
    if d is None:
        return None
    title = r.text(d, "title", pointer, required=True, what="the steady-state hypothesis")
    probes = _activities(r, d.get("probes"), pointer + "/probes", in_hypothesis=True)
    controls = _controls(r, d.get("controls"), pointer + "/controls")
    return Hypothesis(title=title or "", probes=probes, controls=controls, raw=d)


def _activities(
    r: Reader,
    value: Any,
    pointer: str,
    *,
    in_hypothesis: bool = False,
    groups: dict[str, ParallelGroup] | None = None,
) -> tuple[Activity, ...]:
    """``groups`` collects parallel groups (None: none allowed here)."""
    if value is None:
        return ()
    if not isinstance(value, list):
        r.add(pointer, f"must be a list of activities, found {kind_of(value)}")
        return ()
    out: list[Activity] = []
    for i, item in enumerate(value):
        if is_group(item):
            out += _group(r, item, pointer_join(pointer, i), groups)
            continue
        # ``pointer_join`` of a list index, without the call
        activity = parse_activity(r, item, f"{pointer}/{i}", in_hypothesis=in_hypothesis)
        if activity is not None:
            out.append(activity)
    return tuple(out)


def _group(
    r: Reader, item: Any, pointer: str, groups: dict[str, ParallelGroup] | None
) -> list[Activity]:
    if groups is None:
        r.add(
            pointer + "/type",
            "a parallel group is allowed only in the method and the rollbacks",
            "move the group into the method, or list its probes one by one",
        )
        return []
    group, members = parse_group(r, item, pointer, parse_activity)
    if group is not None:
        groups[group.pointer] = group
    return members


def parse_activity(
    r: Reader, value: Any, pointer: str, *, in_hypothesis: bool = False
) -> Activity | None:
    """Parse one probe/action (or ``ref``); problems go to ``r``."""
    d = value if type(value) is dict else r.mapping(value, pointer, "an activity")
    if d is None:
        return None
    if "ref" in d:
        ref = r.text(d, "ref", pointer, required=True, what="a reference")
        if ref is None:
            return None
        tolerance = _activity_tolerance(r, d, pointer, in_hypothesis, is_ref=True)
        return Activity(
            name=ref,
            type=ActivityType.PROBE,
            provider=None,
            pointer=pointer,
            raw=d,
            ref=ref,
            tolerance=tolerance,
        )
    kind = _activity_type(r, d, pointer)
    name = r.text(d, "name", pointer, required=True, what="an activity")
    provider = parse_provider(r, d.get("provider"), pointer, activity=d)
    tolerance = (
        _activity_tolerance(r, d, pointer, in_hypothesis, is_ref=False)
        if in_hypothesis or "tolerance" in d
        else None
    )
    timeout = r.number(d, "timeout", pointer) if "timeout" in d else None
    dry = d.get("dry")
    if dry is not None and not (isinstance(dry, str) and dry in DryMode.__members__.values()):
        dry = None  # the reference ignores any other value (a boolean from addons' bypass)
    background = d.get("background", False)
    if background is not False and background is not True:
        background = r.boolean(d, "background", pointer, False)
    controls = d.get("controls")
    activity = new_activity(
        name or "",
        kind or _ACTION,
        provider,
        pointer,
        d,
        tolerance,
        NO_PAUSES if "pauses" not in d else _pauses(r, d["pauses"], pointer),
        background,
        float(timeout) if isinstance(timeout, float) else None,
        () if controls is None else _controls(r, controls, pointer + "/controls"),
        dry,
        NO_FLOW
        if _FLOW.isdisjoint(d)  # the usual activity: none of the keys, no call
        else parse_flow(
            r,
            d,
            pointer,
            provider_type=provider.type if provider is not None else None,
            has_tolerance=tolerance is not None,
            in_hypothesis=in_hypothesis,
        ),
    )
    if kind is None or name is None or provider is None:
        r.incomplete.append(activity)
        return None
    return activity


def _activity_type(r: Reader, d: Mapping[str, Any], pointer: str) -> ActivityType | None:
    kind = d.get("type")
    if kind == "probe":
        return _PROBE
    if kind == "action":
        return _ACTION
    if kind is None:
        r.add(pointer, 'an activity requires "type"', 'set "type": "probe" or "action"')
    else:
        r.add(
            pointer + "/type",
            f"unknown activity type {show_value(kind)}",
            'use "probe" (observes) or "action" (changes the system)',
        )
    return None


def _activity_tolerance(
    r: Reader, d: Mapping[str, Any], pointer: str, in_hypothesis: bool, *, is_ref: bool
) -> Any:
    if "tolerance" in d:
        return parse_tolerance(r, d["tolerance"], pointer + "/tolerance", parse_activity)
    if in_hypothesis and not is_ref:
        r.missing(
            d,
            "tolerance",
            pointer,
            'a steady-state hypothesis probe requires a "tolerance"',
            'add the value the probe must return, e.g. "tolerance": true',
        )
    return None


def _pauses(r: Reader, value: Any, pointer: str) -> Pauses:
    if value is None:
        return NO_PAUSES
    d = r.mapping(value, pointer + "/pauses", '"pauses"')
    if d is None:
        return NO_PAUSES
    where = pointer + "/pauses"
    return Pauses(
        before=r.number(d, "before", where, allow_var=True),
        after=r.number(d, "after", where, allow_var=True),
    )


def _controls(r: Reader, value: Any, pointer: str) -> tuple[ControlDecl, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        r.add(pointer, f'"controls" must be a list, found {kind_of(value)}')
        return ()
    out = []
    for i, item in enumerate(value):
        where = pointer_join(pointer, i)
        d = r.mapping(item, where, "a control")
        if d is None:
            continue
        ref = r.text(d, "ref", where, required=False, what="a control reference")
        name = r.text(d, "name", where, required="ref" not in d, what="a control")
        module, arguments = _control_provider(r, d, where, needed="ref" not in d)
        scope = d.get("scope")
        if scope is not None and scope not in ("before", "after"):
            r.add(
                where + "/scope",
                f"unknown control scope {show_value(scope)}",
                'use "before" or "after"',
            )
            scope = None
        automatic = r.boolean(d, "automatic", where, True)
        out.append(
            ControlDecl(
                name=name or ref or "",
                module=module,
                arguments=arguments,
                scope=scope,
                automatic=automatic,
                ref=ref,
                raw=d,
            )
        )
    return tuple(out)


def _control_provider(
    r: Reader, d: Mapping[str, Any], where: str, *, needed: bool
) -> tuple[str | None, Mapping[str, Any]]:
    provider = d.get("provider")
    if provider is None:
        if needed:
            r.add(where, 'a control requires a "provider"', 'add {"type": "python", "module": ...}')
        return None, {}
    p = r.mapping(provider, where + "/provider", "a control provider")
    if p is None:
        return None, {}
    if p.get("type", "python") != "python":
        r.add(where + "/provider/type", 'a control provider must be of type "python"')
    module = r.text(p, "module", where + "/provider", required=True, what="a control provider")
    arguments = p.get("arguments") or {}
    if not isinstance(arguments, Mapping):
        r.add(where + "/provider/arguments", 'control "arguments" must be an object')
        arguments = {}
    return module, arguments


def parse_controls(value: Any, pointer: str) -> tuple[tuple[ControlDecl, ...], list[Problem]]:
    """Parse a list of control declarations (settings, control files, activities)."""
    r = Reader()
    return _controls(r, value, pointer), r.problems


def _configuration(r: Reader, value: Any) -> Mapping[str, ConfigValue]:
    if value is None:
        return {}
    d = r.mapping(value, "/configuration", '"configuration"')
    if d is None:
        return {}
    for key in (CONFIG_ALLOWED_PATHS, CONFIG_ALLOWED_NETWORKS):
        for suffix, why in entry_problems(key, d.get(key)):
            r.add(pointer_join("/configuration", key) + suffix, f'"{key}": {why}', _NARROW)
    return {key: _config_value(r, key, item) for key, item in d.items()}


_NARROW = "an allow-list names what the experiment may touch, not more (see docs/safety.md)"


def _config_value(r: Reader, key: str, item: Any) -> ConfigValue:
    where = pointer_join("/configuration", key)
    if not isinstance(item, Mapping) or "type" not in item:
        return item
    if item["type"] == "env":
        env_key = r.text(item, "key", where, required=True, what="an env configuration entry")
        kind = item.get("env_var_type")
        if kind is not None and kind not in ENV_VAR_TYPES:
            r.add(
                where + "/env_var_type",
                f"unknown env_var_type {show_value(kind)}",
                "use one of " + ", ".join(ENV_VAR_TYPES),
            )
            kind = None
        return ConfigEnv(
            key=env_key or "",
            default=item.get("default"),
            has_default="default" in item,
            env_var_type=kind,
        )
    if item["type"] == "probe":
        # the name is optional here, as in the reference: the key names the probe
        probe = parse_activity(r, {"name": key, **item, "type": "probe"}, where)
        return ConfigProbe(probe=probe) if probe is not None else item
    return item


def _secrets(r: Reader, value: Any) -> Mapping[str, Mapping[str, SecretValue]]:
    if value is None:
        return {}
    d = r.mapping(value, "/secrets", '"secrets"')
    if d is None:
        return {}
    out: dict[str, Mapping[str, SecretValue]] = {}
    for scope, entries in d.items():
        where = pointer_join("/secrets", scope)
        scope_map = r.mapping(entries, where, f"secret scope {show_value(scope)}")
        if scope_map is not None:
            out[scope] = {
                k: _secret_value(r, pointer_join(where, k), v) for k, v in scope_map.items()
            }
    return out


def _secret_value(r: Reader, where: str, item: Any) -> SecretValue:
    if not isinstance(item, Mapping) or "type" not in item:
        return item
    if item["type"] == "env":
        key = r.text(item, "key", where, required=True, what="an env secret")
        return SecretEnv(key=key or "")
    if item["type"] == "vault":
        path = item.get("path")
        return SecretVault(path=path if isinstance(path, str) else None, key=item.get("key"))
    return item


def _percentage(r: Reader, obj: Mapping[str, Any], key: str, pointer: str) -> float | None:
    """A percentage (0 to 100), or None (absent, or wrong: the problem is added)."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, bool) and isinstance(value, int | float) and 0 <= value <= 100:
        return float(value)
    r.add(
        pointer_join(pointer, key),
        f"'{key}' is a percentage of checks, from 0 to 100, found {show_value(value, 40)}",
    )
    return None


def _runtime(r: Reader, value: Any) -> Runtime:
    if value is None:
        return Runtime()
    d = r.mapping(value, "/runtime", '"runtime"')
    if d is None:
        return Runtime()
    rollback = _strategy_block(r, d, "rollbacks")
    hypothesis = _strategy_block(r, d, "hypothesis")
    rollback_strategy = hypothesis_strategy = None
    if "strategy" in rollback:
        try:
            rollback_strategy = RollbackStrategy(rollback["strategy"])
        except ValueError:
            r.add(
                "/runtime/rollbacks/strategy",
                f"unknown rollback strategy {show_value(rollback['strategy'])}",
                "use default, always, never or deviated",
            )
    if "strategy" in hypothesis:
        try:
            hypothesis_strategy = HypothesisStrategy.parse(hypothesis["strategy"])
        except ValueError:
            r.add(
                "/runtime/hypothesis/strategy",
                f"unknown hypothesis strategy {show_value(hypothesis['strategy'])}",
                "use " + ", ".join(s.value for s in HypothesisStrategy),
            )
    frequency = r.number(hypothesis, "frequency", "/runtime/hypothesis")
    if isinstance(frequency, float):
        try:
            interval(frequency)
        except ValueError as exc:
            r.add("/runtime/hypothesis/frequency", str(exc))
            frequency = None
    ratio = _percentage(r, hypothesis, "fail_fast_ratio", "/runtime/hypothesis")
    fail_fast = hypothesis.get("fail_fast")
    if fail_fast is not None and not isinstance(fail_fast, bool):
        r.add("/runtime/hypothesis/fail_fast", '"fail_fast" must be true or false')
    timeout = r.number(d, "timeout", "/runtime")
    return Runtime(
        present=True,
        timeout=timeout if isinstance(timeout, float) and timeout > 0 else None,
        rollback_strategy=rollback_strategy,
        hypothesis_strategy=hypothesis_strategy,
        hypothesis_frequency=frequency if isinstance(frequency, float) else None,
        fail_fast=fail_fast if isinstance(fail_fast, bool) else None,
        fail_fast_ratio=ratio if isinstance(ratio, float) else None,
        on_failure=parse_failure_policy(r, d.get("on_failure"), "/runtime/on_failure"),
    )


def _strategy_block(r: Reader, d: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    block = d.get(key)
    if block is None:
        return {}
    return r.mapping(block, f"/runtime/{key}", f"'runtime.{key}'") or {}
