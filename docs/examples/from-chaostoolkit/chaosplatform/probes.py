"""Probes: what the service's status page and the feature flags say."""

import json
import os

from chaoslib.exceptions import ActivityFailed
from chaoslib.types import Configuration, Secrets

__all__ = ["flag_value", "service_status", "token_is_set"]


def service_status(path: str = "status.json") -> dict:
    """The service's status document (a file the service rewrites every second)."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise ActivityFailed(f"no status document at {path}: {e}") from e


def flag_value(name: str, configuration: Configuration = None) -> str:
    """The value of a feature flag ("unset" when nobody set it)."""
    path = os.path.join(configuration["flags_dir"], name)
    if not os.path.exists(path):
        return "unset"
    with open(path) as f:
        return f.read().strip()


def token_is_set(secrets: Secrets = None) -> bool:
    """Whether the platform API token was given to the experiment."""
    # chaoslib's convention, kept by squall: the provider's "secrets": ["platform"]
    # hands this function the keys of that scope, flattened ({"api_token": ...})
    return bool((secrets or {}).get("api_token"))
