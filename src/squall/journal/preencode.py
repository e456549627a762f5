"""The experiment's activities encoded once per run, for the start event and the entries.

The event stream's first line holds the whole experiment; each run entry holds its
activity's JSON again. Both are the same text (``dumps_document`` of the activity's
mapping), so the activities are encoded once, before the run, and the start line is put
together from them: the experiment was encoded twice before (about 20 k instructions per
activity for the entries, 16 k for the start line).
"""

from __future__ import annotations

from squall.journal.store import dumps_document, encode_text

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

__all__ = ["encode_activities", "start_line"]

#: the keys of an experiment that hold lists of activities
_LISTS = ("method", "rollbacks")
_HYPOTHESIS = "steady-state-hypothesis"


def _activities(experiment: Mapping[str, Any]) -> list[dict[str, Any]]:
    found: list[Any] = []
    for key in _LISTS:
        items = experiment.get(key)
        if type(items) is list:
            found += items
    hypothesis = experiment.get(_HYPOTHESIS)
    if type(hypothesis) is dict and type(hypothesis.get("probes")) is list:
        found += hypothesis["probes"]
    return [item for item in found if type(item) is dict]


def encode_activities(experiment: Mapping[str, Any]) -> dict[int, str]:
    """``id()`` of each activity mapping of ``experiment`` (method, rollbacks, hypothesis
    probes) -> ``dumps_document`` of it. (One encoder call for all of them, cut at marks
    put between them, was measured: it costs more than a call for each.)"""
    return {id(item): dumps_document(item) for item in _activities(experiment)}


def _object(pairs: Iterable[tuple[str, str]]) -> str:
    """A JSON object from its keys and its values' JSON (``dumps_document``'s layout)."""
    return "{" + ", ".join(f"{encode_text(key)}: {value}" for key, value in pairs) + "}"


def _listed(items: list[Any], known: Mapping[int, str]) -> str:
    return "[" + ", ".join(known.get(id(i)) or dumps_document(i) for i in items) + "]"


def _value(key: str, value: Any, known: Mapping[int, str]) -> str:
    if key in _LISTS and type(value) is list:
        return _listed(value, known)
    if key == _HYPOTHESIS and _text_keys(value):
        return _object(
            (k, _listed(v, known) if k == "probes" and type(v) is list else dumps_document(v))
            for k, v in value.items()
        )
    return dumps_document(value)


def _text_keys(value: Any) -> bool:
    return type(value) is dict and all(type(key) is str for key in value)


def _experiment(experiment: Any, known: Mapping[int, str]) -> str:
    """``dumps_document(experiment)``, its activities' text taken from ``known``."""
    if not _text_keys(experiment):
        return dumps_document(experiment)
    return _object((key, _value(key, value, known)) for key, value in experiment.items())


def start_line(data: Mapping[str, Any], known: Mapping[int, str]) -> str:
    """``dumps_document(data)`` of the start event's data, the experiment (under
    ``journal``) put together from its activities' text in ``known``."""
    journal = data.get("journal")
    if not known or journal is None or not _text_keys(journal):
        return dumps_document(data)
    header = _object(
        (key, _experiment(value, known) if key == "experiment" else dumps_document(value))
        for key, value in journal.items()
    )
    return _object(
        (key, header if key == "journal" else dumps_document(value)) for key, value in data.items()
    )
