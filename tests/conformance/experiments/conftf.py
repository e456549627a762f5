"""A control that publishes values into the run's configuration, as the Terraform
control publishes its outputs (``tf_out__<name>``), for ``${...}`` in later activities."""

from __future__ import annotations

from typing import Any


def configure_control(
    configuration: Any = None, secrets: Any = None, prefix: str = "tf_out__", **kwargs: Any
) -> None:
    configuration[f"{prefix}url"] = "http://x/from-control"
    configuration[f"{prefix}replicas"] = 3


def after_activity_control(
    context: Any, state: Any, configuration: Any = None, **kwargs: Any
) -> None:
    # a value an activity produced, published for the activities after it
    configuration["last_status"] = state.get("status")
