"""squall: a fast, safe chaos-engineering toolkit for the Chaos Toolkit's experiment format.

The public API is what ``__all__`` lists; everything else is internal. Names are loaded
lazily so that ``import squall`` (and ``squall --version``) stay cheap.
"""

from __future__ import annotations

from squall._lazy import lazy_attributes
from squall._version import __version__

TYPE_CHECKING = False  # not imported from typing: `squall --version` stays cheap

if TYPE_CHECKING:
    from squall.api import check_experiment, load_experiment, run_experiment
    from squall.engine.runner import RunOptions
    from squall.errors import (
        ActivityFailed,
        ActivityTimeout,
        InputError,
        Interrupted,
        LoadError,
        Problem,
        RunInterrupted,
        SquallError,
        ValidationError,
    )
    from squall.experiment.model import Activity, Experiment
    from squall.journal.model import Journal
    from squall.plan import PlanOptions
    from squall.show import show_value

__all__ = [
    "Activity",
    "ActivityFailed",
    "ActivityTimeout",
    "Experiment",
    "InputError",
    "Interrupted",
    "Journal",
    "LoadError",
    "PlanOptions",
    "Problem",
    "RunInterrupted",
    "RunOptions",
    "SquallError",
    "ValidationError",
    "__version__",
    "check_experiment",
    "load_experiment",
    "run_experiment",
    "show_value",
]

_LAZY = {
    "check_experiment": "squall.api",
    "load_experiment": "squall.api",
    "run_experiment": "squall.api",
    "ActivityFailed": "squall.errors",
    "ActivityTimeout": "squall.errors",
    "InputError": "squall.errors",
    "Interrupted": "squall.errors",
    "LoadError": "squall.errors",
    "Problem": "squall.errors",
    "RunInterrupted": "squall.errors",
    "SquallError": "squall.errors",
    "ValidationError": "squall.errors",
    "Activity": "squall.experiment.model",
    "Experiment": "squall.experiment.model",
    "Journal": "squall.journal.model",
    "PlanOptions": "squall.plan",
    "RunOptions": "squall.engine.runner",
    "show_value": "squall.show",
}


__getattr__ = lazy_attributes(globals(), _LAZY, __name__)
