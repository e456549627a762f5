"""``chaoslib.discovery``: the helpers a driver's ``discover()`` uses."""

from squall.compat.chaoslib.discovery.discover import (
    discover_actions,
    discover_activities,
    discover_probes,
    initialize_discovery_result,
)

__all__ = [
    "discover_actions",
    "discover_activities",
    "discover_probes",
    "initialize_discovery_result",
]
