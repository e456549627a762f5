"""Typed model of an experiment in the Chaos Toolkit's open format.

Every model keeps ``raw``: the mapping it was parsed from, unknown keys included, so the
journal can copy it exactly as the reference engine does. Models are frozen; the engine
never mutates them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
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
]

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


@dataclass(frozen=True, slots=True, kw_only=True)
class PythonSpec:
    """``provider.type: python``: call ``module.func(**arguments)``."""

    module: str
    func: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    type: str = "python"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessSpec:
    """``provider.type: process``: run ``path`` with ``arguments``."""

    path: str
    arguments: Any = None  # list (preferred), string (shell) or mapping (deprecated)
    timeout: Any = None  # number or "${var}"
    secrets: tuple[str, ...] = ()
    type: str = "process"


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpSpec:
    """``provider.type: http``: send a request to ``url``."""

    url: str
    method: str = "GET"
    headers: Mapping[str, Any] = field(default_factory=dict)
    arguments: Any = None
    timeout: Any = None  # number, [connect, read] or "${var}"
    verify_tls: bool = True
    max_retries: int = 0
    expected_status: Any = None  # documented by the reference, ignored by it and by us
    secrets: tuple[str, ...] = ()
    type: str = "http"


@dataclass(frozen=True, slots=True, kw_only=True)
class GenericSpec:
    """A provider type that is not built in; a plugin provider must claim it."""

    type: str
    raw: Raw
    secrets: tuple[str, ...] = ()


ProviderSpec = PythonSpec | ProcessSpec | HttpSpec | GenericSpec


# --- tolerances ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ValueTolerance:
    """A bare ``true``/``false``, number or string tolerance."""

    value: bool | int | float | str


@dataclass(frozen=True, slots=True, kw_only=True)
class ListTolerance:
    """A bare list: membership (or, with two items and no ``status``, an inclusive range)."""

    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RangeTolerance:
    low: float
    high: float
    target: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RegexTolerance:
    pattern: str
    target: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class JsonPathTolerance:
    path: str
    expect: Any = None
    has_expect: bool = False
    count: int | None = None
    target: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeTolerance:
    """A probe that receives the output as ``value`` and whose truthy return means 'met'."""

    probe: Activity


Tolerance = (
    ValueTolerance
    | ListTolerance
    | RangeTolerance
    | RegexTolerance
    | JsonPathTolerance
    | ProbeTolerance
)


# --- activities --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Pauses:
    before: float | str | None = None
    after: float | str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlDecl:
    """A control declaration (``controls`` at experiment, hypothesis or activity level)."""

    name: str
    module: str | None = None
    arguments: Mapping[str, Any] = field(default_factory=dict)
    scope: str | None = None  # "before", "after" or None for both
    automatic: bool = True
    ref: str | None = None
    raw: Raw = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Activity:
    """A probe or an action, or a ``ref`` to one declared elsewhere."""

    name: str
    type: ActivityType
    provider: ProviderSpec | None
    pointer: str
    raw: Raw
    ref: str | None = None
    tolerance: Tolerance | None = None
    pauses: Pauses = field(default_factory=Pauses)
    background: bool = False
    timeout: float | None = None
    controls: tuple[ControlDecl, ...] = ()
    dry: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Hypothesis:
    title: str
    probes: tuple[Activity, ...]
    controls: tuple[ControlDecl, ...] = ()
    raw: Raw = field(default_factory=dict)


# --- configuration and secrets ------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigEnv:
    key: str
    default: Any = None
    has_default: bool = False
    env_var_type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigProbe:
    """Dynamic configuration: the value is the output of a probe run at start."""

    probe: Activity


ConfigValue = ConfigEnv | ConfigProbe | Any


@dataclass(frozen=True, slots=True, kw_only=True)
class SecretEnv:
    key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SecretVault:
    path: str | None
    key: str | None = None


SecretValue = SecretEnv | SecretVault | Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Runtime:
    """``runtime`` block; ``present`` tells whether the experiment had one (a quirk needs it)."""

    present: bool = False
    rollback_strategy: RollbackStrategy | None = None
    hypothesis_strategy: HypothesisStrategy | None = None
    hypothesis_frequency: float | None = None
    fail_fast: bool | None = None
    fail_fast_ratio: float | None = None


# --- the experiment ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Experiment:
    title: str
    description: str
    method: tuple[Activity, ...]
    raw: Raw
    source: str = ""
    tags: tuple[str, ...] = ()
    contributions: Mapping[str, str] = field(default_factory=dict)
    configuration: Mapping[str, ConfigValue] = field(default_factory=dict)
    secrets: Mapping[str, Mapping[str, SecretValue]] = field(default_factory=dict)
    extensions: tuple[Raw, ...] = ()
    controls: tuple[ControlDecl, ...] = ()
    hypothesis: Hypothesis | None = None
    rollbacks: tuple[Activity, ...] = ()
    runtime: Runtime = field(default_factory=Runtime)

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
