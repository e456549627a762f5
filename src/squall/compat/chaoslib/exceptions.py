"""``chaoslib.exceptions``: the reference's exception classes, with its names (squall
recognises ``InterruptExecution`` and ``ExperimentExitedException`` by name)."""

from __future__ import annotations

__all__ = [
    "ActivityFailed",
    "ChaosException",
    "ControlPythonFunctionLoadingError",
    "DiscoveryFailed",
    "ExperimentExitedException",
    "FailedActivity",
    "InterruptExecution",
    "InvalidActivity",
    "InvalidControl",
    "InvalidExperiment",
    "InvalidSource",
]


class ChaosException(Exception):
    pass


class InvalidActivity(ChaosException):
    pass


class InvalidExperiment(ChaosException):
    pass


class ActivityFailed(ChaosException):
    """A driver's activity did not work: its run entry is ``failed``."""


FailedActivity = ActivityFailed  # the reference's older name


class DiscoveryFailed(ChaosException):
    pass


class InvalidSource(ChaosException):
    pass


class ControlPythonFunctionLoadingError(Exception):
    pass


class InterruptExecution(ChaosException):
    """Raised by a control: squall interrupts the run (``interrupted``, exit 130)."""


class InvalidControl(ChaosException):
    pass


class ExperimentExitedException(ChaosException):
    pass


# Named as the reference names them wherever they are shown: a journal's ``exception``
# lines read ``chaoslib.exceptions.ActivityFailed: ...`` with the stand-in as with
# chaostoolkit-lib, so dashboards and scripts that look for that text find squall's runs
for _name in __all__:
    globals()[_name].__module__ = "chaoslib.exceptions"
