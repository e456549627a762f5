"""What a run's event stream keeps so that ``squall recover`` needs nothing else: the
experiment as it ran (the journal's copy: inline secret values masked, ``env`` and
``vault`` secrets as references), the configuration given on the command line, which
inline secrets were left out, where the journal goes, and the working directory (relative
paths in the experiment mean the same thing to the recovery)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from squall.errors import InputError
from squall.experiment.model import Experiment, SecretEnv, SecretVault
from squall.journal.history.record import experiment_hash
from squall.journal.model import Journal
from squall.journal.recorder import Recorder
from squall.journal.recovery import ENV_RECOVERY_DIR, stream_path
from squall.plan import Plan
from squall.show import show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["inline_secrets", "new_recorder", "start_facts"]


def inline_secrets(experiment: Experiment) -> list[list[str]]:
    """``[scope, key]`` of every inline secret: its value is never written to disk."""
    return [
        [scope, key]
        for scope, entries in experiment.secrets.items()
        for key, value in entries.items()
        if not isinstance(value, SecretEnv | SecretVault)
    ]


def _where(source: str) -> str:
    if source and "://" not in source and os.path.exists(source):
        return os.path.abspath(source)
    return source


def start_facts(
    plan: Plan,
    overrides: Mapping[str, Any],
    journal_path: str | os.PathLike[str] | None,
    secret_overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The ``start`` event's facts besides the journal header (see docs/recovery.md).
    ``inline_secrets`` lists every secret whose value is not on disk: the experiment's
    inline ones and those a ``--var-file`` gave (recover must be given them again)."""
    kept = inline_secrets(plan.experiment)
    for scope, entries in (secret_overrides or {}).items():
        kept.extend([scope, key] for key in entries if [scope, key] not in kept)
    return {
        "rollback_strategy": plan.rollback_strategy,
        "hypothesis_strategy": plan.hypothesis_strategy,
        "dry": plan.dry,
        "source": _where(plan.experiment.source or ""),
        "journal_path": os.path.abspath(os.fspath(journal_path)) if journal_path else None,
        "overrides": dict(overrides),
        "inline_secrets": kept,
        "experiment_hash": experiment_hash(plan.experiment.raw),
        "pid": os.getpid(),
        "cwd": os.getcwd(),
    }


def new_recorder(
    journal: Journal,
    journal_path: str | os.PathLike[str] | None,
    start: dict[str, Any],
    *,
    events: bool,
    max_output: int | None,
) -> Recorder:
    """A new run's recorder, streaming (when ``events``) to its own file in the recovery
    directory; a journal path that cannot be written is refused before anything runs.

    Raises:
        InputError: the journal's directory or the stream cannot be written.
    """
    if journal_path is not None:
        _check_writable(journal_path)
    path = stream_path(journal.run_id) if events else None
    try:
        return Recorder(journal, path, max_output=max_output, **start)
    except FileExistsError:
        raise InputError(
            f"run id {show_value(journal.run_id)} was used before: its event stream {path} exists"
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot write the run's event stream {path}: {exc.strerror or exc}; "
            f"set {ENV_RECOVERY_DIR} to a writable directory"
        ) from None


def _check_writable(journal_path: str | os.PathLike[str]) -> None:
    """Refuse a journal path that cannot be written before anything runs.

    Raises:
        InputError: its directory cannot be created or written.
    """
    parent = os.path.dirname(os.path.abspath(os.fspath(journal_path)))
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot write the journal in {parent}: {exc.strerror or exc}; "
            "choose a writable --journal-path"
        ) from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(
            f"cannot write the journal in {parent}: permission denied; "
            "choose a writable --journal-path"
        )
