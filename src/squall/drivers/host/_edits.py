"""Exactly reversible file edits, and the "reloadable target" contract.

An edit records, per file, a snapshot (bytes, mode, owner, times, or "did not exist"), the
SHA-256 of what squall wrote, and an *undo* that can be applied if someone changed the file
after squall: the JSON keys squall set (with their old values) or the text substitutions
squall made. On rollback a file that still holds exactly what squall wrote gets its
snapshot back byte for byte; a file changed since gets only squall's change undone.

A reloadable target reads a JSON config file and reloads it on SIGHUP; the pid is given
directly or via a pidfile (re-read at rollback time, so a restarted target is still
signalled).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import signal
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from squall import ActivityFailed, show_value
from squall.drivers._safety import (
    check_path,
    process_state,
    read_beneath,
    read_pidfile,
    resolve_pid,
    unlink_beneath,
    write_beneath,
)
from squall.drivers._state import StateStore, nothing_to_restore

__all__ = [
    "MISSING",
    "FileEdit",
    "PidArg",
    "PidfileArg",
    "Reload",
    "apply_edits",
    "config_path",
    "json_edit",
    "load_json",
    "reconfigure",
    "restore_config",
    "revert_edits",
    "sha256",
    "text_edit",
]

MISSING: dict[str, str] = {"$squall": "missing"}  # marks a JSON key that did not exist


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


PidArg = int | list[int] | None
PidfileArg = str | list[str] | None


@dataclass(slots=True)
class Reload:
    """How to tell a reloadable target to re-read its files: SIGHUP to every named process.

    ``pid`` and ``pidfile`` each name one process or a list of them (several components
    that read the same config file).
    """

    pid: PidArg = None
    pidfile: PidfileArg = None
    process_name: str | None = None
    configuration: Mapping[str, Any] | None = None  # the allow-lists; never serialised

    def _sources(self) -> list[tuple[int | None, str | None]]:
        pids = [] if self.pid is None else [self.pid] if isinstance(self.pid, int) else self.pid
        files = [self.pidfile] if isinstance(self.pidfile, str) else list(self.pidfile or [])
        return [(pid, None) for pid in pids] + [(None, f) for f in files if f]

    @property
    def wanted(self) -> bool:
        return bool(self._sources())

    def to_json(self) -> dict[str, Any]:
        return {"pid": self.pid, "pidfile": self.pidfile, "process_name": self.process_name}

    @classmethod
    def from_json(
        cls, raw: Mapping[str, Any] | None, configuration: Mapping[str, Any] | None = None
    ) -> Reload:
        raw = raw or {}
        return cls(raw.get("pid"), raw.get("pidfile"), raw.get("process_name"), configuration)

    def check(self) -> list[int]:
        """The checked pids to signal (empty when no process was named)."""
        return [
            resolve_pid(pid, pidfile, self.process_name, self.configuration)
            for pid, pidfile in self._sources()
        ]

    def send(self) -> list[int]:
        """Send SIGHUP to each; ``ActivityFailed`` if one cannot be signalled."""
        pids = self.check()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGHUP)
            except OSError as exc:
                raise ActivityFailed(f"cannot send SIGHUP to pid {pid}: {exc}") from exc
        return pids

    def send_if_running(self) -> tuple[list[int], str]:
        """SIGHUP at rollback time: never fails, says what happened."""
        if not self.wanted:
            return [], "no process named"
        sent: list[int] = []
        notes: list[str] = []
        for pid, pidfile in self._sources():
            try:
                current = read_pidfile(pidfile) if pidfile else pid
                if current is None or process_state(current) in (None, "Z"):
                    notes.append(f"pid {current} is not running")
                    continue
                sent += Reload(pid, pidfile, self.process_name, self.configuration).send()
            except ActivityFailed as exc:
                notes.append(str(exc))
        text = f"SIGHUP sent to {sent}" if sent else "not signalled"
        return sent, "; ".join([text, *notes])


@dataclass(slots=True)
class FileEdit:
    """One file to (over)write and how to undo the change if the file moves on."""

    path: Path
    content: bytes
    undo: dict[str, Any]
    mode: int | None = None  # for a new file; an existing file keeps its mode


Configuration = Mapping[str, Any] | None


def _snapshot(path: Path, configuration: Configuration) -> dict[str, Any]:
    found = read_beneath(path, configuration)
    if found is None:
        return {"path": str(path), "existed": False}
    content, st = found
    return {
        "path": str(path),
        "existed": True,
        "mode": st.st_mode & 0o7777,
        "uid": st.st_uid,
        "gid": st.st_gid,
        "atime_ns": st.st_atime_ns,
        "mtime_ns": st.st_mtime_ns,
        "content_b64": base64.b64encode(content).decode("ascii"),
    }


def _restore_snapshot(snapshot: Mapping[str, Any], configuration: Configuration) -> None:
    path = Path(snapshot["path"])
    if not snapshot["existed"]:
        unlink_beneath(path, configuration)
        return
    write_beneath(
        path,
        base64.b64decode(snapshot["content_b64"]),
        configuration,
        mode=int(snapshot["mode"]),
        owner=(int(snapshot["uid"]), int(snapshot["gid"])),
        times_ns=(int(snapshot["atime_ns"]), int(snapshot["mtime_ns"])),
    )


def _read_text(path: Path, configuration: Configuration) -> str:
    found = read_beneath(path, configuration)
    if found is None:
        raise ActivityFailed(f"{path} does not exist")
    return found[0].decode("utf-8")


def load_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path`` (``ActivityFailed`` if unreadable or not an object)."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ActivityFailed(f"cannot read JSON config {path}: {exc}") from exc
    if not isinstance(value, dict):
        raise ActivityFailed(f"{path} does not hold a JSON object")
    return value


def _dump_json(value: Mapping[str, Any]) -> bytes:
    return (json.dumps(value, indent=2) + "\n").encode()


def json_edit(path: Path, updates: Mapping[str, Any]) -> FileEdit:
    """Set top-level ``updates`` in the JSON object stored at ``path``."""
    current = load_json(path)
    old = {key: current.get(key, MISSING) for key in updates}
    current.update(updates)
    return FileEdit(path, _dump_json(current), {"type": "json", "old": old})


def text_edit(path: Path, content: bytes, substitutions: list[tuple[str, str]]) -> FileEdit:
    """Write ``content``; if the file changes later, undo by ``new -> old`` substitutions."""
    return FileEdit(
        path, content, {"type": "text", "substitutions": [list(s) for s in substitutions]}
    )


def _apply_undo(
    path: Path, undo: Mapping[str, Any], snapshot: Mapping[str, Any], configuration: Configuration
) -> str:
    kind = undo.get("type")

    def write(data: bytes) -> None:
        write_beneath(path, data, configuration)

    if kind == "json":
        current = load_json(path)
        for key, value in dict(undo["old"]).items():
            if value == MISSING:
                current.pop(key, None)
            else:
                current[key] = value
        write(_dump_json(current))
        return "file changed since injection: restored only the keys squall set"
    if kind == "text":
        text = _read_text(path, configuration)
        for new, old in undo["substitutions"]:
            if new in text:
                text = text.replace(new, old, 1)
        write(text.encode())
        return "file changed since injection: undid only squall's text changes"
    if kind == "remove_line":
        lines = _read_text(path, configuration).splitlines(keepends=True)
        for index, line in enumerate(lines):
            if line.rstrip("\r\n") == undo["line"]:
                del lines[index]
                break
        write("".join(lines).encode())
        return "file changed since injection: removed only the line squall added"
    if kind == "remove_item":
        items = json.loads(_read_text(path, configuration))
        if isinstance(items, list) and undo["item"] in items:
            items.remove(undo["item"])
        write((json.dumps(items, indent=2) + "\n").encode())
        return "file changed since injection: removed only the entry squall added"
    if kind == "restore":
        _restore_snapshot(snapshot, configuration)
        return "file changed since injection: restored the original over the later change"
    if kind == "delete":
        unlink_beneath(path, configuration)
        return "file changed since injection: deleted it anyway (squall created it)"
    raise ActivityFailed(f"unknown undo {show_value(kind)} for {path}")


def apply_edits(
    kind: str,
    target: str,
    edits: list[FileEdit],
    *,
    reload: Reload | None = None,
    rollback: dict[str, Any],
    configuration: Mapping[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Record, then write ``edits`` atomically, then SIGHUP the target.

    All or nothing: if a write or the signal fails, the files written so far are restored,
    the record removed, and ``ActivityFailed`` raised. Returns the action's result dict.
    """
    reload = reload or Reload()
    reload.configuration = configuration
    reload.check()  # refuse a bad pid before touching anything
    store = StateStore.for_configuration(configuration)
    files: list[dict[str, Any]] = []
    for edit in edits:
        snap = _snapshot(edit.path, configuration)
        files.append({"snapshot": snap, "written_sha256": sha256(edit.content), "undo": edit.undo})
    record = store.create(
        kind,
        target,
        {"files": files, "reload": reload.to_json(), **(data or {})},
        rollback=rollback,
        configuration=configuration,
    )
    done: list[dict[str, Any]] = []
    try:
        for edit, entry in zip(edits, files, strict=True):
            snap = entry["snapshot"]
            if snap["existed"]:
                owner = (snap["uid"], snap["gid"])
                write_beneath(
                    edit.path, edit.content, configuration, mode=snap["mode"], owner=owner
                )
            else:
                mode = 0o600 if edit.mode is None else edit.mode
                write_beneath(edit.path, edit.content, configuration, mode=mode)
            done.append(snap)
        pids = reload.send()
    except BaseException as exc:
        for snap in reversed(done):
            with contextlib.suppress(OSError, ActivityFailed):
                _restore_snapshot(snap, configuration)
        store.remove(record)
        if isinstance(exc, ActivityFailed):
            raise
        if isinstance(exc, OSError):
            raise ActivityFailed(f"{kind}: could not write {exc.filename}: {exc}") from exc
        raise
    return {
        "kind": kind,
        "target": target,
        "run_id": record.run_id,
        "state_key": record.key,
        "files": [str(e.path) for e in edits],
        "reloaded_pid": pids[0] if pids else None,
        "reloaded_pids": pids,
    }


def revert_edits(kind: str, target: str, configuration: Mapping[str, Any] | None) -> dict[str, Any]:
    """Undo what ``apply_edits`` did for ``kind`` on ``target``, then SIGHUP the target."""
    store = StateStore.for_configuration(configuration)
    record = store.load(kind, target)
    if record is None:
        return nothing_to_restore(kind, target, store)
    notes: list[str] = []
    exact = True
    for entry in reversed(record.data.get("files", [])):
        snap = entry["snapshot"]
        path = Path(snap["path"])
        # the same allow-list as the action: a link swapped in meanwhile is refused, and
        # the record stays for another attempt
        found = read_beneath(path, configuration)
        current = found[0] if found is not None else None
        if current is not None and sha256(current) == entry["written_sha256"]:
            _restore_snapshot(snap, configuration)
        elif current is None:
            if snap["existed"]:
                _restore_snapshot(snap, configuration)
                notes.append(f"{path} was gone: restored the original")
        else:
            exact = False
            notes.append(f"{path}: {_apply_undo(path, entry['undo'], snap, configuration)}")
    reload = Reload.from_json(record.data.get("reload"), configuration)
    pids, signalled = reload.send_if_running()
    store.remove(record)
    return {
        "restored": True,
        "exact": exact,
        "kind": kind,
        "target": target,
        "run_id": record.run_id,
        "state_key": record.key,
        "files": [e["snapshot"]["path"] for e in record.data.get("files", [])],
        "reloaded_pid": pids[0] if pids else None,
        "reloaded_pids": pids,
        "reload": signalled,
        "notes": notes,
    }


def config_path(config_file: str, configuration: Mapping[str, Any] | None = None) -> Path:
    """The checked, resolved path of an existing config file."""
    path = check_path(config_file, configuration)
    if not path.is_file():
        raise ActivityFailed(f"{path} is not a file")
    return path


def reconfigure(
    kind: str,
    config_file: str,
    updates: Mapping[str, Any],
    *,
    pid: PidArg,
    pidfile: PidfileArg,
    process_name: str | None,
    rollback_function: str,
    configuration: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Set ``updates`` in a reloadable target's JSON config, then SIGHUP it."""
    path = config_path(config_file, configuration)
    edit = json_edit(path, updates)
    result = apply_edits(
        kind,
        str(path),
        [edit],
        reload=Reload(pid, pidfile, process_name, configuration),
        rollback={"function": rollback_function, "arguments": {"config_file": str(path)}},
        configuration=configuration,
    )
    old = edit.undo["old"]
    result["changed"] = {
        key: {"old": None if old[key] == MISSING else old[key], "new": value}
        for key, value in updates.items()
    }
    return result


def restore_config(
    kind: str, config_file: str, configuration: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Rollback of ``reconfigure``: the config file as it was, then SIGHUP."""
    path = Path(config_file).expanduser().resolve()
    return revert_edits(kind, str(path), configuration)
