"""Walking the raw values of an experiment: every leaf with its JSON pointer and key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from squall.experiment.model import Activity
from squall.experiment.placeholders import leaves, substituted_places

__all__ = ["leaves", "provider_raw", "substituted_places"]


def provider_raw(activity: Activity) -> Mapping[str, Any]:
    raw = activity.raw.get("provider")
    return raw if isinstance(raw, Mapping) else {}
