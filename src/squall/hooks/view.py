"""RunView: what a hook sees of a run, and its one way to act on it (``request_stop``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from squall.experiment.model import Experiment
from squall.journal.model import Journal

__all__ = ["RunView"]


class RunView:
    """A run as hooks see it. Attributes are live: configuration changes are visible."""

    def __init__(
        self,
        *,
        experiment: Experiment,
        journal: Journal,
        configuration: dict[str, Any],
        secrets: dict[str, dict[str, Any]],
        settings: Mapping[str, Any],
        stop: Callable[[str, str, str], object],
    ) -> None:
        self.experiment = experiment
        self.journal = journal
        self.configuration = configuration
        self.secrets = secrets
        self.settings = settings
        self._stop = stop

    @property
    def run_id(self) -> str:
        return self.journal.run_id

    def request_stop(self, reason: str, name: str = "plugin", kind: str = "plugin") -> None:
        """Interrupt the run cleanly (as a signal would); rollbacks follow the strategy."""
        self._stop(name, reason, kind)
