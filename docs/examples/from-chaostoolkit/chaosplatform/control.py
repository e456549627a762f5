"""A control: one line per experiment and activity in an audit file."""

from typing import Any

from chaoslib.types import Activity, Configuration, Experiment, Journal, Run, Secrets

_audit = {"file": "audit.log"}


def configure_control(
    configuration: Configuration = None,
    secrets: Secrets = None,
    settings: dict[str, Any] | None = None,
    experiment: Experiment = None,
    audit_file: str = "audit.log",
) -> None:
    _audit["file"] = audit_file


def _write(line: str) -> None:
    with open(_audit["file"], "a") as f:
        f.write(line + "\n")


def before_experiment_control(context: Experiment, **kwargs: Any) -> None:
    _write(f"start: {context['title']}")


def after_activity_control(context: Activity, state: Run, **kwargs: Any) -> None:
    _write(f"{context['type']} {context['name']}: {state['status']}")


def after_experiment_control(context: Experiment, state: Journal, **kwargs: Any) -> None:
    _write(f"end: {state['status']}, deviated: {str(state['deviated']).lower()}")
