"""Activity outputs kept during a run, for ``${outputs...}`` in later activities.

Outputs are kept from the steady-state probes of the hypothesis before the method, the
method's activities and the rollbacks (the latest finished run of a name wins). Probes of
the hypothesis during and after the method do not replace them. Each run entry that used
outputs lists them in its ``squall.outputs`` (secrets masked, as everywhere in the journal).
"""

from __future__ import annotations

from squall.errors import ActivityFailed
from squall.experiment.model import Activity, GenericSpec, HttpSpec, ProcessSpec, PythonSpec
from squall.experiment.outputs import (
    OutputPathError,
    OutputRef,
    activity_output_refs,
    follow_path,
    mentions_outputs,
    substitute_outputs,
)
from squall.journal.limits import journal_safe
from squall.journal.model import ActivityRun, Journal, RunStatus
from squall.journal.recorder import Phase
from squall.show import show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["OutputStore"]

#: Phases whose outputs later activities can use.
_SOURCES = (Phase.BEFORE, Phase.METHOD, Phase.ROLLBACKS)
#: read once: an Enum member read from its class runs Enum code (0.9 k instructions)
_SUCCEEDED = RunStatus.SUCCEEDED


#: (output, phase, start of its run entry)
if TYPE_CHECKING:
    _Source = tuple[Any, str, str]


class OutputStore:
    """Outputs by activity name. Parallel groups record at once: each record is one dict
    assignment (atomic), so no lock is needed."""

    def __init__(self, experiment: Any = None, *, placeholders: bool = True) -> None:
        """``experiment``: the document the run's activities come from; when nothing in it
        mentions ``${outputs`` (the usual case, one search for the run; none when
        ``placeholders`` is False: it has no ``$`` at all), no activity is searched again."""
        self._mentioned = experiment is None or (placeholders and mentions_outputs(experiment))
        self._outputs: dict[str, _Source] = {}
        self._refs: dict[int, list[OutputRef]] = {}  # id(activity.raw) -> its expressions
        #: outputs a recovery cannot use, by name: why (the journal holds them cut or
        #: masked, and a rollback must not run with a value that is not the real one)
        self._unusable: dict[str, str] = {}

    def keep(self, name: str, run: ActivityRun, phase: str, *, ran: bool = True) -> None:
        """Keep a finished run's output if it ran (not dry), succeeded, and its phase is a
        source."""
        if ran and phase in _SOURCES and run.status is _SUCCEEDED:
            self._outputs[name] = (run.output, phase, run.start)

    def seed(self, journal: Journal) -> None:
        """Refill from a journal read back from an event stream (``squall recover``)."""
        before = journal.before.probes if journal.before else []
        for phase, entries in (
            (Phase.BEFORE, before),
            (Phase.METHOD, journal.run),
            (Phase.ROLLBACKS, journal.rollbacks),
        ):
            for entry in entries:
                if entry is None:
                    continue
                extra = entry.squall or {}
                if "output_truncated" in extra or extra.get("output_masked"):
                    self._outputs.pop(entry.name, None)
                    self._unusable[entry.name] = (
                        "cut to the output limit"
                        if "output_truncated" in extra
                        else "masked (it held a secret)"
                    )
                    continue
                self._unusable.pop(entry.name, None)
                self.keep(entry.name, entry, phase)

    def refs(self, activity: Activity) -> list[OutputRef]:
        if not self._mentioned:
            return []
        key = id(activity.raw)
        found = self._refs.get(key)
        if found is None:
            found = self._refs[key] = activity_output_refs(activity)
        return found

    def resolve(self, activity: Activity, run: ActivityRun) -> Activity:
        """The activity with its ``${outputs...}`` replaced; what it used goes to
        ``run.squall["outputs"]``.

        Raises:
            ActivityFailed: an output is missing or has no such key/index (named).
        """
        if not self._mentioned or activity.provider is None or not self.refs(activity):
            return activity  # (``_mentioned`` first: the usual run, without a call)
        used: list[dict[str, Any]] = []

        def lookup(ref: OutputRef) -> Any:
            source = self._outputs.get(ref.name)
            if source is None and ref.name in self._unusable:
                raise OutputPathError(
                    f"{ref.expression}: the output of {show_value(ref.name)} was "
                    f"{self._unusable[ref.name]} in the journal this recovery reads, so "
                    "it cannot be used (see docs/safety.md)"
                )
            if source is None:
                raise OutputPathError(
                    f"{ref.expression}: no output of {show_value(ref.name)} yet (it did not run, "
                    "failed, or was dry)"
                )
            output, phase, start = source
            # as the journal holds it (and as it crosses to a Temporal worker): a value
            # JSON cannot hold (circular, a long integer, a lone surrogate, deep or
            # shared nesting) is written and substituted in bounded time
            value = journal_safe(follow_path(output, ref))
            used.append(
                {
                    "expression": ref.expression,
                    "from": {"activity": ref.name, "phase": phase, "start": start},
                    "value": value,  # the recorder masks secrets (squall.masking)
                }
            )
            return value

        try:
            provider = _substituted(activity.provider, lookup)
        except OutputPathError as exc:
            raise ActivityFailed(str(exc)) from None
        finally:
            if used:
                run.squall = {**(run.squall or {}), "outputs": used}
        return activity.replace(provider=provider)


def _substituted(spec: Any, lookup: Any) -> Any:
    if isinstance(spec, PythonSpec):
        return spec.replace(arguments=substitute_outputs(spec.arguments, lookup), templated=True)
    if isinstance(spec, ProcessSpec):
        return spec.replace(
            path=substitute_outputs(spec.path, lookup),
            arguments=substitute_outputs(spec.arguments, lookup),
            timeout=substitute_outputs(spec.timeout, lookup),
        )
    if isinstance(spec, HttpSpec):
        return spec.replace(
            url=substitute_outputs(spec.url, lookup),
            headers=substitute_outputs(spec.headers, lookup),
            arguments=substitute_outputs(spec.arguments, lookup),
            timeout=substitute_outputs(spec.timeout, lookup),
        )
    if isinstance(spec, GenericSpec):
        return spec.replace(raw=substitute_outputs(spec.raw, lookup))
    return spec
