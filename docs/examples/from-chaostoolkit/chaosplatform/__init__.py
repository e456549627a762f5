"""The platform team's Chaos Toolkit extension: feature flags and the status page."""

from chaoslib.discovery.discover import (
    discover_actions,
    discover_probes,
    initialize_discovery_result,
)
from chaoslib.types import DiscoveredActivities, Discovery
from logzero import logger

__version__ = "0.3.0"
__all__ = ["__version__", "discover"]


def discover(discover_system: bool = True) -> Discovery:
    """What `chaos discover chaostoolkit-platform` reports."""
    logger.info("Discovering capabilities from chaostoolkit-platform")
    discovery = initialize_discovery_result("chaostoolkit-platform", __version__, "platform")
    discovery["activities"].extend(load_exported_activities())
    return discovery


def load_exported_activities() -> list[DiscoveredActivities]:
    activities: list[DiscoveredActivities] = []
    activities.extend(discover_probes("chaosplatform.probes"))
    activities.extend(discover_actions("chaosplatform.actions"))
    return activities
