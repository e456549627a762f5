"""Typed model of an experiment in the Chaos Toolkit's open format.

Every model keeps ``raw``: the mapping it was parsed from, unknown keys included, so the
journal can copy it exactly as the reference engine does. Models are records (see
``squall._record``): treated as immutable; ``replace`` makes a changed copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from squall._record import Record
from squall.experiment.flow import NO_FLOW, FailurePolicy, Flow
from squall.experiment.groups import ParallelGroup

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "Activity",
    "ActivityType",
    "ConfigEnv",
    "ConfigProbe",
    "ConfigValue",
    "ControlDecl",
    "DryMode",
    "Experiment",
    "GenericSpec",
    "HttpSpec",
    "Hypothesis",
    "HypothesisStrategy",
    "JsonPathTolerance",
    "ListTolerance",
    "ParallelGroup",
    "Pauses",
    "ProbeTolerance",
    "ProcessSpec",
    "ProviderSpec",
    "PythonSpec",
    "RangeTolerance",
    "RegexTolerance",
    "RollbackStrategy",
    "Runtime",
    "SecretEnv",
    "SecretValue",
    "SecretVault",
    "Tolerance",
    "ValueTolerance",
    "new_activity",
    "new_python_spec",
]

if TYPE_CHECKING:
    Raw = Mapping[str, Any]


class ActivityType(StrEnum):
    PROBE = "probe"
    ACTION = "action"


class HypothesisStrategy(StrEnum):
    DEFAULT = "default"
    BEFORE_METHOD_ONLY = "before-method-only"
    AFTER_METHOD_ONLY = "after-method-only"
    DURING_METHOD_ONLY = "during-method-only"
    CONTINUOUSLY = "continuously"
    SKIP = "skip"

    @classmethod
    def parse(cls, value: str) -> HypothesisStrategy:
        """Parse a strategy name; the reference's spellings ``continuous`` and
        ``continously`` are accepted as ``continuously``."""
        if value in ("continuous", "continously"):
            return cls.CONTINUOUSLY
        return cls(value)


class RollbackStrategy(StrEnum):
    DEFAULT = "default"
    ALWAYS = "always"
    NEVER = "never"
    DEVIATED = "deviated"


class DryMode(StrEnum):
    PROBES = "probes"
    ACTIONS = "actions"
    ACTIVITIES = "activities"
    PAUSE = "pause"


# --- providers -------------------------------------------------------------------------

_EMPTY: Mapping[str, Any] = {}


class PythonSpec(Record):
    """``provider.type: python``: call ``module.func(**arguments)``.

    ``templated`` tells whether any argument holds a ``$`` (so substitution can be skipped).
    """

    __slots__ = ("arguments", "func", "module", "secrets", "templated")
    type = "python"

    def __init__(
        self,
        *,
        module: str,
        func: str,
        arguments: Mapping[str, Any] = _EMPTY,
        secrets: tuple[str, ...] = (),
        templated: bool = True,
    ) -> None:
        self.module = module
        self.func = func
        self.arguments = arguments
        self.secrets = secrets
        self.templated = templated


def new_python_spec(
    module: str,
    func: str,
    arguments: Mapping[str, Any],
    secrets: tuple[str, ...],
    templated: bool,
) -> PythonSpec:
    """``PythonSpec(...)`` with every field given, in order (see ``new_activity``)."""
    spec = object.__new__(PythonSpec)
    spec.module = module
    spec.func = func
    spec.arguments = arguments
    spec.secrets = secrets
    spec.templated = templated
    return spec


class ProcessSpec(Record):
    """``provider.type: process``: run ``path`` with ``arguments``."""

    __slots__ = ("arguments", "path", "secrets", "timeout")
    type = "process"

    def __init__(
        self,
        *,
        path: str,
        arguments: Any = None,
        timeout: Any = None,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self.path = path
        self.arguments = arguments  # list (preferred), string (shell) or mapping (deprecated)
        self.timeout = timeout  # number or "${var}"
        self.secrets = secrets


class HttpSpec(Record):
    """``provider.type: http``: send a request to ``url``."""

    __slots__ = (
        "arguments",
        "expected_status",
        "headers",
        "max_retries",
        "method",
        "secrets",
        "timeout",
        "url",
        "verify_tls",
    )
    type = "http"

    def __init__(
        self,
        *,
        url: str,
        method: str = "GET",
        headers: Mapping[str, Any] = _EMPTY,
        arguments: Any = None,
        timeout: Any = None,
        verify_tls: bool = True,
        max_retries: int = 0,
        expected_status: Any = None,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self.url = url
        self.method = method
        self.headers = headers
        self.arguments = arguments
        self.timeout = timeout  # number, [connect, read] or "${var}"
        self.verify_tls = verify_tls
        self.max_retries = max_retries
        self.expected_status = expected_status  # documented by the reference, ignored by both
        self.secrets = secrets


class GenericSpec(Record):
    """A provider type that is not built in; a plugin provider must claim it."""

    __slots__ = ("raw", "secrets", "type")

    def __init__(self, *, type: str, raw: Raw, secrets: tuple[str, ...] = ()) -> None:
        self.type = type
        self.raw = raw
        self.secrets = secrets


ProviderSpec = PythonSpec | ProcessSpec | HttpSpec | GenericSpec


# --- tolerances ------------------------------------------------------------------------


class ValueTolerance(Record):
    """A bare ``true``/``false``, number or string tolerance."""

    __slots__ = ("value",)

    def __init__(self, *, value: bool | int | float | str) -> None:
        self.value = value


class ListTolerance(Record):
    """A bare list: membership (or, with two items and no ``status``, an inclusive range)."""

    __slots__ = ("values",)

    def __init__(self, *, values: tuple[Any, ...]) -> None:
        self.values = values


class RangeTolerance(Record):
    __slots__ = ("high", "low", "target")

    def __init__(self, *, low: float, high: float, target: str | None = None) -> None:
        self.low = low
        self.high = high
        self.target = target


class RegexTolerance(Record):
    __slots__ = ("pattern", "target")

    def __init__(self, *, pattern: str, target: str | None = None) -> None:
        self.pattern = pattern
        self.target = target


class JsonPathTolerance(Record):
    __slots__ = ("count", "expect", "has_expect", "path", "target")

    def __init__(
        self,
        *,
        path: str,
        expect: Any = None,
        has_expect: bool = False,
        count: int | None = None,
        target: str | None = None,
    ) -> None:
        self.path = path
        self.expect = expect
        self.has_expect = has_expect
        self.count = count
        self.target = target


class ProbeTolerance(Record):
    """A probe that receives the output as ``value`` and whose truthy return means 'met'."""

    __slots__ = ("probe",)

    def __init__(self, *, probe: Activity) -> None:
        self.probe = probe


Tolerance = (
    ValueTolerance
    | ListTolerance
    | RangeTolerance
    | RegexTolerance
    | JsonPathTolerance
    | ProbeTolerance
)


# --- activities --------------------------------------------------------------------------


class Pauses(Record):
    __slots__ = ("after", "before")

    def __init__(
        self, *, before: float | str | None = None, after: float | str | None = None
    ) -> None:
        self.before = before
        self.after = after


NO_PAUSES = Pauses()


class ControlDecl(Record):
    """A control declaration (``controls`` at experiment, hypothesis or activity level)."""

    __slots__ = ("arguments", "automatic", "module", "name", "raw", "ref", "scope")

    def __init__(
        self,
        *,
        name: str,
        module: str | None = None,
        arguments: Mapping[str, Any] = _EMPTY,
        scope: str | None = None,
        automatic: bool = True,
        ref: str | None = None,
        raw: Raw = _EMPTY,
    ) -> None:
        self.name = name
        self.module = module
        self.arguments = arguments
        self.scope = scope  # "before", "after" or None for both
        self.automatic = automatic
        self.ref = ref
        self.raw = raw


class Activity(Record):
    """A probe or an action, or a ``ref`` to one declared elsewhere."""

    __slots__ = (
        "background",
        "controls",
        "dry",
        "flow",
        "name",
        "pauses",
        "pointer",
        "provider",
        "raw",
        "ref",
        "timeout",
        "tolerance",
        "type",
    )

    def __init__(
        self,
        *,
        name: str,
        type: ActivityType,
        provider: ProviderSpec | None,
        pointer: str,
        raw: Raw,
        ref: str | None = None,
        tolerance: Tolerance | None = None,
        pauses: Pauses = NO_PAUSES,
        background: bool = False,
        timeout: float | None = None,
        controls: tuple[ControlDecl, ...] = (),
        dry: str | None = None,
        flow: Flow = NO_FLOW,
    ) -> None:
        self.name = name
        self.type = type
        self.provider = provider
        self.pointer = pointer
        self.raw = raw
        self.ref = ref
        self.tolerance = tolerance
        self.pauses = pauses
        self.background = background
        self.timeout = timeout
        self.controls = controls
        self.dry = dry
        self.flow = flow  # retry, wait_until, isolation, on_failure (squall additions)


_new = object.__new__


def new_activity(
    name: str,
    type: ActivityType,
    provider: ProviderSpec | None,
    pointer: str,
    raw: Raw,
    tolerance: Tolerance | None,
    pauses: Pauses,
    background: bool,
    timeout: float | None,
    controls: tuple[ControlDecl, ...],
    dry: str | None,
    flow: Flow,
) -> Activity:
    """``Activity(...)`` of a probe or an action (``ref`` None), every other field given
    in order: the parser's call for each activity. A class called with keywords gets them
    as a new dict on the way to ``__init__`` (9.6 k instructions against about 3 k)."""
    activity = _new(Activity)
    activity.name = name
    activity.type = type
    activity.provider = provider
    activity.pointer = pointer
    activity.raw = raw
    activity.ref = None
    activity.tolerance = tolerance
    activity.pauses = pauses
    activity.background = background
    activity.timeout = timeout
    activity.controls = controls
    activity.dry = dry
    activity.flow = flow
    return activity


class Hypothesis(Record):
    __slots__ = ("controls", "probes", "raw", "title")

    def __init__(
        self,
        *,
        title: str,
        probes: tuple[Activity, ...],
        controls: tuple[ControlDecl, ...] = (),
        raw: Raw = _EMPTY,
    ) -> None:
        self.title = title
        self.probes = probes
        self.controls = controls
        self.raw = raw


# --- configuration and secrets ------------------------------------------------------------


class ConfigEnv(Record):
    __slots__ = ("default", "env_var_type", "has_default", "key")

    def __init__(
        self,
        *,
        key: str,
        default: Any = None,
        has_default: bool = False,
        env_var_type: str | None = None,
    ) -> None:
        self.key = key
        self.default = default
        self.has_default = has_default
        self.env_var_type = env_var_type


class ConfigProbe(Record):
    """Dynamic configuration: the value is the output of a probe run at start."""

    __slots__ = ("probe",)

    def __init__(self, *, probe: Activity) -> None:
        self.probe = probe


if TYPE_CHECKING:
    ConfigValue = ConfigEnv | ConfigProbe | Any


class SecretEnv(Record):
    __slots__ = ("key",)

    def __init__(self, *, key: str) -> None:
        self.key = key


class SecretVault(Record):
    __slots__ = ("key", "path")

    def __init__(self, *, path: str | None, key: str | None = None) -> None:
        self.path = path
        self.key = key


if TYPE_CHECKING:
    SecretValue = SecretEnv | SecretVault | Any


class Runtime(Record):
    """``runtime`` block; ``present`` tells whether the experiment had one."""

    __slots__ = (
        "fail_fast",
        "fail_fast_ratio",
        "hypothesis_frequency",
        "hypothesis_strategy",
        "on_failure",
        "present",
        "rollback_strategy",
        "timeout",
    )

    def __init__(
        self,
        *,
        present: bool = False,
        timeout: float | None = None,
        rollback_strategy: RollbackStrategy | None = None,
        hypothesis_strategy: HypothesisStrategy | None = None,
        hypothesis_frequency: float | None = None,
        fail_fast: bool | None = None,
        fail_fast_ratio: float | None = None,
        on_failure: FailurePolicy | None = None,
    ) -> None:
        self.present = present
        self.timeout = timeout  # a deadline for the whole run (squall addition)
        self.rollback_strategy = rollback_strategy
        self.hypothesis_strategy = hypothesis_strategy
        self.hypothesis_frequency = hypothesis_frequency
        self.fail_fast = fail_fast
        self.fail_fast_ratio = fail_fast_ratio
        self.on_failure = on_failure  # what a failed method activity does (squall addition)


NO_RUNTIME = Runtime()


# --- the experiment ------------------------------------------------------------------------


class Experiment(Record):
    __slots__ = (
        "configuration",
        "contributions",
        "controls",
        "description",
        "extensions",
        "groups",
        "hypothesis",
        "method",
        "placeholders",
        "raw",
        "rollbacks",
        "runtime",
        "secrets",
        "source",
        "tags",
        "title",
    )

    def __init__(
        self,
        *,
        title: str,
        description: str,
        method: tuple[Activity, ...],
        raw: Raw,
        source: str = "",
        tags: tuple[str, ...] = (),
        contributions: Mapping[str, str] = _EMPTY,
        configuration: Mapping[str, ConfigValue] = _EMPTY,
        secrets: Mapping[str, Mapping[str, SecretValue]] = _EMPTY,
        extensions: tuple[Raw, ...] = (),
        controls: tuple[ControlDecl, ...] = (),
        hypothesis: Hypothesis | None = None,
        rollbacks: tuple[Activity, ...] = (),
        runtime: Runtime = NO_RUNTIME,
        groups: Mapping[str, ParallelGroup] = _EMPTY,
        placeholders: bool = True,
    ) -> None:
        self.title = title
        self.description = description
        self.method = method
        self.raw = raw
        self.source = source
        self.tags = tags
        self.contributions = contributions
        self.configuration = configuration
        self.secrets = secrets
        self.extensions = extensions
        self.controls = controls
        self.hypothesis = hypothesis
        self.rollbacks = rollbacks
        self.runtime = runtime
        #: parallel groups by JSON pointer (their activities are in method/rollbacks)
        self.groups = groups
        #: False: no text of the document holds a ``$`` (its source text says so), so it
        #: has no ``${name}`` nor ``${outputs...}``: nothing searches its activities for one
        self.placeholders = placeholders

    def referable(self) -> dict[str, Activity]:
        """Activities a ``ref`` may name: the method and hypothesis probes (first wins)."""
        found: dict[str, Activity] = {}
        probes = self.hypothesis.probes if self.hypothesis else ()
        for activity in (*self.method, *probes):
            if activity.ref is None:
                found.setdefault(activity.name, activity)
        return found

    def activities(self) -> list[Activity]:
        """Every declared activity: hypothesis probes, method, then rollbacks."""
        probes = list(self.hypothesis.probes) if self.hypothesis else []
        return probes + list(self.method) + list(self.rollbacks)
