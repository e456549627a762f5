"""``squall runs import JOURNAL...``: record journals written elsewhere (``chaos run``'s,
or squall's own from another machine) as finished runs of the run history.

Each journal is read and judged as ``squall report`` judges it (squall's own verdict when
it has one, else squall's rules) and stored masked: the inline secrets of its experiment,
and the values of its ``env`` secrets set in this environment, become ``***`` wherever
they appear. The run id is the journal's own (a squall journal) or the first 12 hex digits
of the SHA-256 of its content (a Chaos Toolkit journal, which has none), so importing the
same journal again finds it and adds nothing. Every journal is read and checked before any
is recorded: one that is not a journal imports none (exit 2, located).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

from squall.cli.history import history_options
from squall.errors import printable
from squall.show import counted

if TYPE_CHECKING:
    from squall.journal.history import RunHistory, RunRecord

__all__ = ["IMPORTED", "import_runs"]

#: what follows the version of whatever wrote an imported journal (``squall runs show``)
IMPORTED = "(imported)"

#: a run id as squall writes them (12 hex digits; a schedule's are longer): a journal's
#: own id is kept only when it looks like one, else the content's digest is used
_ID_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


@click.command("import")
@click.argument("journals", nargs=-1, required=True, type=click.Path(dir_okay=False))
@history_options
@click.pass_context
def import_runs(
    ctx: click.Context, journals: tuple[str, ...], history: str | None, no_history: bool
) -> int:
    """Record journals (chaos run's or squall's) as finished runs in the run history."""
    from squall.cli.runs import open_store

    records = [_record(path) for path in journals]  # all checked before any is stored
    imported = 0
    with open_store(ctx, history, no_history) as store:
        for path, record in zip(journals, records, strict=True):
            imported += _store_once(store, path, record)
    kept = len(journals) - imported
    if len(journals) > 1:
        already = f", {kept} already in the run history" if kept else ""
        sys.stderr.write(f"squall: {counted(imported, 'journal')} imported{already}\n")
    return 0


def _store_once(store: RunHistory, path: str, record: RunRecord) -> int:
    """1 when ``record`` was added, 0 when the history has that run already."""
    from squall.journal.history import UnknownRun

    try:
        found = store.get(record.run_id)
    except UnknownRun:
        found = None
    shown = printable(path)
    if found is not None and found.run_id == record.run_id:
        sys.stderr.write(f"squall: {shown}: already in the run history (run {record.run_id})\n")
        return 0
    store.finish(record)
    sys.stderr.write(f"squall: imported {shown} as run {record.run_id} ({record.outcome})\n")
    return 1


def _record(path: str) -> RunRecord:
    """The history's record of the journal at ``path``, masked.

    Raises:
        InputError: the file cannot be read, is not JSON or is not a journal (located).
    """
    from squall.experiment import read_text
    from squall.journal.history import RunRecord, experiment_hash
    from squall.masking import mask_document, mask_value, register_inline_secrets
    from squall.report.read import journal_from_text, report_from_journal

    data = journal_from_text(read_text(path, kind="journal"), path)
    experiment = data.get("experiment") if isinstance(data, dict) else None
    if isinstance(experiment, Mapping):  # its secrets are masked before anything is read
        register_inline_secrets(experiment)
        _register_env_secrets(experiment)
    report = report_from_journal(data, path)  # a journal, or InputError
    masked = {**mask_value(data), "experiment": mask_document(experiment)}
    own = report.run_id if report.origin == "squall" else ""
    return RunRecord(
        run_id=own if _is_run_id(own) else experiment_hash(data)[:12],
        title=report.title,
        experiment_hash=report.digest,
        status=report.status if report.status not in ("", "running") else "interrupted",
        outcome=report.outcome,
        exit_code=report.exit_code,
        started_at=report.start,
        ended_at=report.end or None,
        duration=report.duration,
        journal_path=os.path.abspath(path),
        node=report.node or None,
        squall_version=f"{_engine(report)} {IMPORTED}",
        journal=json.dumps(masked, indent=2, ensure_ascii=False),
    )


def _engine(report: Any) -> str:
    """What wrote the journal: squall's version, or the Chaos Toolkit's library."""
    if report.origin == "squall":
        return report.squall_version or "squall"
    return f"chaostoolkit-lib {report.chaoslib_version}".strip()


def _is_run_id(text: str) -> bool:
    return 0 < len(text) <= 64 and set(text) <= _ID_CHARACTERS


def _register_env_secrets(experiment: Mapping[str, Any]) -> None:
    """The values of the experiment's ``env`` secrets set here are masked too: the run
    that wrote the journal most likely read the same ones (and may have printed them in
    an output)."""
    from squall.masking import register_secrets

    scopes = experiment.get("secrets")
    for entries in scopes.values() if isinstance(scopes, Mapping) else ():
        for entry in entries.values() if isinstance(entries, Mapping) else ():
            if not isinstance(entry, Mapping) or entry.get("type") != "env":
                continue
            key = entry.get("key")
            if isinstance(key, str) and os.environ.get(key):
                register_secrets(os.environ[key])
