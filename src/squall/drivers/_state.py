"""The injection state store: what each action changed, so that its rollback is exact.

Every action writes one JSON record *before* it injects its fault (write-ahead), and its
rollback reads the record, restores the prior state and removes the record. Because the
record is a file, the rollback may run in another process (a planned ``squall recover``,
after a crash) and still find the backup, the pid or the port it needs.

Layout: one file ``<key>.json`` per active injection under the state directory, plus an
optional artefact directory ``<key>.d/`` (generated certificates, daemon logs). The key is
derived from the action kind and its target (a resolved path, a name), so that the rollback
finds the record from the same arguments the action got. A second injection on the same
target is refused until the first one is rolled back: its backup would otherwise capture
the faulty state.

The state directory is, in order: ``configuration["squall_state_dir"]``, the environment
variable ``SQUALL_STATE_DIR``, else ``platformdirs.user_state_path("squall") / "injections"``.

The run id carried by every injected artefact is ``configuration["squall_run_id"]``, else
the environment variable ``SQUALL_RUN_ID``, else an id generated once per process (it is
written into each record, so a later rollback still knows it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from squall import ActivityFailed, show_value

__all__ = [
    "ENV_DEMO_DIR",
    "ENV_RUN_ID",
    "ENV_STATE_DIR",
    "Record",
    "StateStore",
    "atomic_write",
    "demo_state_dir",
    "nothing_to_restore",
    "play_rollbacks",
    "record_key",
    "run_id",
    "state_dir",
]

ENV_STATE_DIR = "SQUALL_STATE_DIR"
ENV_DEMO_DIR = "SQUALL_DEMO_DIR"
ENV_RUN_ID = "SQUALL_RUN_ID"
_RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_generated_run_id: str | None = None


def run_id(configuration: Mapping[str, Any] | None = None) -> str:
    """The id of the current run: configuration, then ``SQUALL_RUN_ID``, else generated.

    The generated id is stable for the life of the process. Ids are restricted to
    ``[A-Za-z0-9._:-]`` (at most 64 characters) because they end up in headers, file
    names and process command lines.
    """
    global _generated_run_id
    value = (configuration or {}).get("squall_run_id") or os.environ.get(ENV_RUN_ID)
    if value:
        text = str(value)
        if not _RUN_ID_PATTERN.match(text):
            raise ActivityFailed(
                f"run id {show_value(text)} is not usable: use at most 64 characters of "
                "letters, digits and . _ : -"
            )
        return text
    if _generated_run_id is None:
        _generated_run_id = f"squall-{uuid.uuid4().hex[:12]}"
    return _generated_run_id


def state_dir(configuration: Mapping[str, Any] | None = None) -> Path:
    """The directory holding injection records (see the module docstring for the order)."""
    value = (configuration or {}).get("squall_state_dir") or os.environ.get(ENV_STATE_DIR)
    if value:
        return Path(str(value)).expanduser().absolute()
    import platformdirs

    return platformdirs.user_state_path("squall") / "injections"


def demo_state_dir() -> Path:
    """The demo's default state directory: ``$SQUALL_DEMO_DIR``, else the platform's user
    state directory for squall, ``/demo`` (``squall demo`` and the path allow-list agree)."""
    value = os.environ.get(ENV_DEMO_DIR)
    if value:
        return Path(value)
    import platformdirs

    return platformdirs.user_state_path("squall") / "demo"


def record_key(kind: str, target: str) -> str:
    """A file-name-safe key for ``kind`` + ``target``: readable prefix, then a digest."""
    digest = hashlib.sha256(f"{kind}\0{target}".encode()).hexdigest()[:16]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", target).strip("_")[-40:]
    return f"{kind}--{slug}--{digest}" if slug else f"{kind}--{digest}"


def atomic_write(
    path: Path, data: bytes, mode: int | None = None, owner: tuple[int, int] | None = None
) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    ``mode`` (default: the current file's mode, else 0o600) and ``owner`` (uid, gid; only
    changed when it differs from ours) are set on the temporary file before the rename, so
    readers never see the new content with a wrong mode or owner.
    """
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o600
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".squall-tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if owner is not None and owner != (os.geteuid(), os.getegid()):
            os.chown(tmp, owner[0], owner[1])
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _link_exclusive(source: str, final: Path) -> None:
    """Publish ``source`` as ``final`` unless ``final`` exists (``FileExistsError``)."""
    try:
        os.link(source, final)  # atomic and exclusive
    except FileExistsError:
        raise
    except OSError:  # a filesystem without hard links: exclusive create, then copy
        fd = os.open(final, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Path(source).read_bytes())
            handle.flush()
            os.fsync(handle.fileno())


def _left_by(existing: Record | None) -> str:
    return f" by run {existing.run_id} at {existing.created}" if existing else ""


def _how_to_undo(existing: Record | None) -> str:
    """How to roll back an injection a run left (a rollback its strategy did not play)."""
    function = existing.rollback.get("function") if existing is not None else None
    if existing is None or not function:
        return ""
    return (
        f": {function} undoes it (run the experiment's rollbacks, or "
        f"squall.drivers._state.play_rollbacks(only_run={existing.run_id!r}) "
        "as docs/drivers/actions.md's state store says)"
    )


@dataclass(slots=True)
class Record:
    """One active injection: what was changed and how to undo it."""

    key: str
    kind: str
    target: str
    run_id: str
    data: dict[str, Any] = field(default_factory=dict)
    rollback: dict[str, Any] = field(default_factory=dict)
    created: str = ""
    pid: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "target": self.target,
            "run_id": self.run_id,
            "created": self.created,
            "pid": self.pid,
            "rollback": self.rollback,
            "data": self.data,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Record:
        return cls(
            key=str(raw["key"]),
            kind=str(raw["kind"]),
            target=str(raw["target"]),
            run_id=str(raw.get("run_id", "")),
            data=dict(raw.get("data") or {}),
            rollback=dict(raw.get("rollback") or {}),
            created=str(raw.get("created", "")),
            pid=int(raw.get("pid", 0)),
        )


class StateStore:
    """JSON records of active injections under one directory (created 0700 on demand)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def for_configuration(cls, configuration: Mapping[str, Any] | None = None) -> StateStore:
        """The store named by the configuration or the environment (see ``state_dir``)."""
        return cls(state_dir(configuration))

    def _ensure(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def path(self, key: str) -> Path:
        """The record file of ``key``."""
        return self.directory / f"{key}.json"

    def artefact_dir(self, key: str) -> Path:
        """A private directory (0700) for files that belong to the injection ``key``."""
        path = self.directory / f"{key}.d"
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path

    def create(
        self,
        kind: str,
        target: str,
        data: dict[str, Any],
        *,
        rollback: dict[str, Any],
        configuration: Mapping[str, Any] | None = None,
    ) -> Record:
        """Write a new record; refuse (``ActivityFailed``) if one exists for this target."""
        self._ensure()
        record = Record(
            key=record_key(kind, target),
            kind=kind,
            target=target,
            run_id=run_id(configuration),
            data=data,
            rollback=rollback,
            created=dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
            pid=os.getpid(),
        )
        final = self.path(record.key)
        fd, tmp = tempfile.mkstemp(prefix=".rec.", suffix=".tmp", dir=self.directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(record.to_json(), handle, indent=2, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                _link_exclusive(tmp, final)
            except FileExistsError:
                existing = self.load_key(record.key)
                raise ActivityFailed(
                    f"{kind} is already injected on {target}{_left_by(existing)}; roll it back "
                    f"first{_how_to_undo(existing)} (state record {final})"
                ) from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        return record

    def update(self, record: Record) -> None:
        """Rewrite an existing record (atomically)."""
        self._ensure()
        text = json.dumps(record.to_json(), indent=2, sort_keys=True)
        atomic_write(self.path(record.key), text.encode(), 0o600)

    def load_key(self, key: str) -> Record | None:
        """The record stored under ``key``, or None."""
        try:
            raw = json.loads(self.path(key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise ActivityFailed(f"state record {self.path(key)} is unreadable: {exc}") from exc
        return Record.from_json(raw)

    def load(self, kind: str, target: str) -> Record | None:
        """The record of ``kind`` on ``target``, or None."""
        return self.load_key(record_key(kind, target))

    def remove(self, record: Record) -> None:
        """Delete the record and its artefact directory."""
        with contextlib.suppress(FileNotFoundError):
            self.path(record.key).unlink()
        shutil.rmtree(self.directory / f"{record.key}.d", ignore_errors=True)

    def records(self) -> Iterator[Record]:
        """Every active record, oldest first (for ``squall recover``)."""
        if not self.directory.is_dir():
            return
        found: list[Record] = []
        for path in self.directory.glob("*.json"):
            record = self.load_key(path.stem)
            if record is not None:
                found.append(record)
        yield from sorted(found, key=lambda r: (r.created, r.key))


def nothing_to_restore(kind: str, target: str, store: StateStore) -> dict[str, Any]:
    """The return value of a rollback that found no record (a no-op)."""
    return {
        "restored": False,
        "kind": kind,
        "target": target,
        "state_key": record_key(kind, target),
        "message": f"nothing to restore: no active {kind} on {target} in {store.directory}",
    }


def play_rollbacks(
    configuration: Mapping[str, Any] | None = None,
    *,
    only_run: str | None = None,
    allowed_prefixes: tuple[str, ...] = ("squall.drivers.",),
) -> list[dict[str, Any]]:
    """Call the recorded rollback of every active injection, newest first (``squall recover``).

    Only rollbacks in modules under ``allowed_prefixes`` are called (a state file is data,
    not a licence to run arbitrary code). ``only_run`` limits it to one run id. Each entry
    of the result has ``key``, ``kind``, ``target``, ``function`` and either ``result`` or
    ``error``; a failed rollback keeps its record for another attempt.
    """
    import importlib

    store = StateStore.for_configuration(configuration)
    done: list[dict[str, Any]] = []
    for record in reversed(list(store.records())):
        if only_run and record.run_id != only_run:
            continue
        function_name = str(record.rollback.get("function", ""))
        entry: dict[str, Any] = {
            "key": record.key,
            "kind": record.kind,
            "target": record.target,
            "function": function_name,
        }
        module_name, _, attribute = function_name.rpartition(".")
        if not module_name or not module_name.startswith(allowed_prefixes):
            allowed = show_value(list(allowed_prefixes))
            entry["error"] = f"rollback {show_value(function_name)} is not in {allowed}"
            done.append(entry)
            continue
        arguments = dict(record.rollback.get("arguments") or {})
        try:
            function = getattr(importlib.import_module(module_name), attribute)
            entry["result"] = function(**arguments, configuration=dict(configuration or {}))
        except Exception as exc:
            entry["error"] = f"{type(exc).__name__}: {exc}"
        done.append(entry)
    return done
