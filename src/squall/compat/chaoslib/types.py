"""``chaoslib.types``: the type aliases drivers annotate with, spelt as chaoslib spells
them (``typing.Dict``...), so a discovery reads the same types as with the real one."""

# ruff: noqa: UP006, UP007, UP035

import enum
from typing import Any, Dict, List, Optional, Tuple, Union

__all__ = [
    "Action",
    "Activity",
    "ConfigVars",
    "Configuration",
    "Control",
    "DiscoveredActivities",
    "DiscoveredSystemInfo",
    "Discovery",
    "Dry",
    "EventPayload",
    "Experiment",
    "Extension",
    "Hypothesis",
    "Journal",
    "Layer",
    "MicroservicesStatus",
    "Probe",
    "Run",
    "Schedule",
    "SecretVars",
    "Secrets",
    "Settings",
    "Step",
    "Strategy",
    "TargetLayers",
    "Tolerance",
]

Action = Dict[str, Any]
Experiment = Dict[str, Any]
Probe = Dict[str, Any]
Activity = Union[Probe, Action]
Layer = Any
TargetLayers = Dict[str, List[Dict[str, Any]]]
MicroservicesStatus = Tuple[Dict[str, Any], Dict[str, Any]]
Journal = Dict[str, Any]
Run = Dict[str, Any]
Step = Dict[str, Any]
Secrets = Dict[str, Dict[str, str]]
Configuration = Dict[str, Dict[str, str]]
Discovery = Dict[str, Any]
DiscoveredActivities = Dict[str, Any]
DiscoveredSystemInfo = Dict[str, Any]
Settings = Dict[str, Any]
EventPayload = Dict[str, Any]
Tolerance = Union[int, str, bool, List[Any], Dict[str, Any]]
Extension = Dict[str, Any]
Hypothesis = Dict[str, Any]
Control = Dict[str, Any]
ConfigVars = Dict[str, Any]
SecretVars = Dict[str, Any]


class Strategy(enum.Enum):
    """When the steady-state hypothesis runs (``--hypothesis-strategy``)."""

    BEFORE_METHOD = "before-method-only"
    AFTER_METHOD = "after-method-only"
    DURING_METHOD = "during-method-only"
    DEFAULT = "default"
    CONTINUOUS = "continuous"
    SKIP = "skip"

    @staticmethod
    def from_string(value: str) -> "Strategy":
        if value == "continuously":
            return Strategy.CONTINUOUS
        if value == "continuous":
            raise ValueError("Unknown strategy")
        try:
            return Strategy(value)
        except ValueError:
            raise ValueError("Unknown strategy") from None


class Dry(enum.Enum):
    """What a dry run skips (``--dry``)."""

    PROBES = "probes"
    ACTIONS = "actions"
    ACTIVITIES = "activities"
    PAUSE = "pause"

    @staticmethod
    def from_string(value: str) -> Optional["Dry"]:
        if not value:
            return None
        try:
            return Dry(value)
        except ValueError:
            raise ValueError("Unknown dry") from None


class Schedule:
    """How often the hypothesis runs during the method, and when to stop early."""

    def __init__(
        self,
        continuous_hypothesis_frequency: float = 1.0,
        fail_fast: bool = False,
        fail_fast_ratio: float = 0,
    ) -> None:
        self.continuous_hypothesis_frequency = continuous_hypothesis_frequency
        self.fail_fast = fail_fast
        self.fail_fast_ratio = fail_fast_ratio
