"""``chaoslib.types``: the type aliases drivers annotate with, spelt as chaoslib spells
them (``typing.Dict``...), so a discovery reads the same types as with the real one."""

# ruff: noqa: UP006, UP007, UP035

from typing import Any, Dict, List, Tuple, Union

__all__ = [
    "Action",
    "Activity",
    "ConfigVars",
    "Configuration",
    "Control",
    "DiscoveredActivities",
    "DiscoveredSystemInfo",
    "Discovery",
    "EventPayload",
    "Experiment",
    "Extension",
    "Hypothesis",
    "Journal",
    "Layer",
    "MicroservicesStatus",
    "Probe",
    "Run",
    "SecretVars",
    "Secrets",
    "Settings",
    "Step",
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
