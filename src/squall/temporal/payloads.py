"""The run's journal as it crosses Temporal: within the size of one Temporal payload.

The workflow hands the journal on whole (its result, the state every experiment-level
hook is given, the record a worker writes of a run nobody follows), and Temporal
refuses a payload over 2 MiB (its default ``limit.blobSize.error``): the workflow task
that tried was failed and offered again for ever, so the run hung at its very end.
Each output is already cut to ``--max-output`` (1 MiB by default) on its worker; a
journal whose outputs together are too large has the largest cut further, each to the
same share, until it fits (the entry's ``squall.output_truncated`` says so, as for the
output limit). The outputs later activities use (``${outputs...}``) are not cut by
this: they travel with each activity.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from squall.journal.limits import cap_output
from squall.journal.store import format_journal

__all__ = ["JOURNAL_ROOM", "fitted_journal"]

#: bytes the journal may take as a Temporal payload (JSON text inside JSON, encrypted):
#: under Temporal's 2 MiB limit with room for what comes with it
JOURNAL_ROOM = 1_600_000
#: the smallest share an output is cut to before outputs are left out altogether
_LEAST = 256
#: why an output was cut here (the entry's ``squall.output_truncated.why``)
WHY = "the run's journal is larger than one Temporal payload may be: outputs cut to fit"


def fitted_journal(document: dict[str, Any], room: int = JOURNAL_ROOM) -> str:
    """The journal's text (:func:`squall.journal.store.format_journal`), its largest
    outputs cut to one share when the whole would not fit in ``room`` bytes as a
    payload. ``document`` is changed in place only when something is cut."""
    text = format_journal(document)
    if _payload_size(text) <= room:
        return text
    entries = [e for e in _entries(document) if "output" in e]
    whole = [e["output"] for e in entries]
    sizes = [_payload_size(json.dumps(o)) for o in whole]
    share = max(sizes, default=0)
    while share > _LEAST:
        share //= 2
        for entry, output, size in zip(entries, whole, sizes, strict=True):
            if size > share:
                entry["output"], _ = cap_output(output, share)
                _note(entry, share, size)
        text = format_journal(document)
        if _payload_size(text) <= room:
            return text
    for entry, size in zip(entries, sizes, strict=True):  # the rest is not outputs
        entry["output"] = f"[squall: output not recorded: {WHY}]"
        _note(entry, 0, size)
    return format_journal(document)


def _payload_size(text: str) -> int:
    """Bytes of ``text`` as Temporal's JSON converter writes it (escaped, ASCII)."""
    return len(json.dumps(text))


def _note(entry: dict[str, Any], limit: int, size: int) -> None:
    squall = dict(entry.get("squall") or {})
    squall["output_truncated"] = {"limit": limit, "size": size, "why": WHY}
    entry["squall"] = squall


def _entries(document: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every run entry of the journal: the method's, the rollbacks', the probes'."""
    for key in ("run", "rollbacks"):
        yield from (e for e in document.get(key) or () if isinstance(e, dict))
    states = document.get("steady_states") or {}
    checks = [states.get("before"), states.get("after"), *(states.get("during") or ())]
    for check in checks:
        if isinstance(check, Mapping):
            yield from (p for p in check.get("probes") or () if isinstance(p, dict))
