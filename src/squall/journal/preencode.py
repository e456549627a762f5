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
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any

    #: puts a JSON object's value (given its key) at the end of a list of pieces
    Put = Callable[[str, Any, list[str]], None]

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


def _object(pairs: Iterable[tuple[str, Any]], out: list[str], put: Put) -> None:
    """Append a JSON object to ``out`` (``dumps_document``'s layout): its keys, and each
    value put by ``put(key, value, out)``."""
    opening = "{"
    for key, value in pairs:
        out.append(f"{opening}{encode_text(key)}: ")
        put(key, value, out)
        opening = ", "
    out.append("{}" if opening == "{" else "}")


def _listed(items: list[Any], known: Mapping[int, str], out: list[str]) -> None:
    if not items:
        out.append("[]")
        return
    pieces = [", "] * (2 * len(items) + 1)
    pieces[1::2] = [known.get(id(i)) or dumps_document(i) for i in items]
    pieces[0], pieces[-1] = "[", "]"
    out += pieces


def _plain(_key: str, value: Any, out: list[str]) -> None:
    out.append(dumps_document(value))


def _value(known: Mapping[int, str]) -> Put:
    """What puts an experiment's values: its activities' text taken from ``known``."""

    def put(key: str, value: Any, out: list[str]) -> None:
        if key in _LISTS and type(value) is list:
            _listed(value, known, out)
        elif key == _HYPOTHESIS and _text_keys(value):
            _object(value.items(), out, probes)
        else:
            out.append(dumps_document(value))

    def probes(key: str, value: Any, out: list[str]) -> None:
        if key == "probes" and type(value) is list:
            _listed(value, known, out)
        else:
            out.append(dumps_document(value))

    return put


def _text_keys(value: Any) -> bool:
    return type(value) is dict and all(type(key) is str for key in value)


def start_line(data: Mapping[str, Any], known: Mapping[int, str]) -> str:
    """``dumps_document(data)`` of the start event's data, the experiment (under
    ``journal``) put together from its activities' text in ``known``; joined once from
    its pieces (joining each part on its own copied a large experiment's text several
    times, each copy in fresh memory)."""
    journal = data.get("journal")
    if not known or journal is None or not _text_keys(journal):
        return dumps_document(data)
    value = _value(known)

    def experiment(key: str, item: Any, out: list[str]) -> None:
        if key == "experiment" and _text_keys(item):
            _object(item.items(), out, value)
        else:
            out.append(dumps_document(item))

    def header(key: str, item: Any, out: list[str]) -> None:
        if key == "journal":
            _object(item.items(), out, experiment)
        else:
            out.append(dumps_document(item))

    out: list[str] = []
    _object(data.items(), out, header)
    return "".join(out)
