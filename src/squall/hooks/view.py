"""RunView: what a hook sees of a run, and its one way to act on it (``request_stop``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from squall.experiment.model import Experiment
from squall.journal.model import Journal

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

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
        probe: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None,
        repeat: Callable[[Mapping[str, Any], int], object] | None = None,
    ) -> None:
        self.experiment = experiment
        self.journal = journal
        self.configuration = configuration
        self.secrets = secrets
        self.settings = settings
        self._stop = stop
        self._probe = probe
        self._repeat = repeat

    @property
    def run_id(self) -> str:
        return self.journal.run_id

    def request_stop(self, reason: str, name: str = "plugin", kind: str = "plugin") -> None:
        """Interrupt the run cleanly (as a signal would); rollbacks follow the strategy."""
        self._stop(name, reason, kind)

    def run_probe(self, probe: Mapping[str, Any]) -> dict[str, Any]:
        """Run a probe declaration (any provider type the run knows) beside the run and
        return its entry as a mapping: ``status``, ``output``, ``tolerance_met``,
        ``reason``. It is not journaled and fires no hook (safeguards use it).

        Raises:
            squall.InputError: the declaration is not a valid probe.
        """
        if self._probe is None:
            raise RuntimeError("this run cannot run probes")
        return self._probe(probe)

    def request_repeat(self, activity: Mapping[str, Any], times: int = 1) -> None:
        """From ``squall_after_activity``: run ``activity`` (the mapping the hook got)
        ``times`` more times right after this run of it. Each iteration is a run entry
        whose activity has ``iteration_index`` 1, 2, ... (as the Chaos Toolkit writes
        it). Honoured for method and rollback activities run in the foreground."""
        if self._repeat is not None and times > 0:
            self._repeat(activity, times)
