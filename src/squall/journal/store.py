"""Write and read journal files; the event stream that makes a crashed run recoverable.

The final journal is written atomically (temporary file, then rename). Its layout keeps
each run entry on one line: readable, diff-friendly, and written by the C JSON encoder
(pretty-printing with ``indent`` would use the slow pure-Python encoder).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping

from squall import _json

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "Encoded",
    "EventStream",
    "StreamBusy",
    "dumps",
    "dumps_document",
    "encodable",
    "encode_entry",
    "encode_text",
    "events_path_for",
    "format_journal",
    "read_journal",
    "write_journal",
    "write_journal_text",
]


class Encoded(str):
    """A value already encoded as JSON text; written as is (each run entry is encoded once,
    for the event stream, and reused by the final journal)."""

    __slots__ = ()


def encodable(value: Any) -> Any:
    """Encode what JSON cannot: dates, decimals, UUIDs, sets, bytes, exceptions."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    return str(value)


def _compact(value: Any) -> str:
    """The journal's JSON of ``value`` (one line, non-ASCII kept)."""
    return _json.dumps(value, ensure_ascii=False, default=encodable)


_text = _json.encode_text  # what the encoder uses for text
encode_text = _text
_c_encoder: Any = _json.make_encoder


def dumps(value: Any) -> str:
    """One-line JSON with the same encoding rules as the journal (what ``_compact``
    writes; text, null, booleans and integers without its layers of calls)."""
    kind = type(value)
    if kind is str:
        return _text(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if _c_encoder is None or kind is float:
        return _compact(value)
    return "".join(_c_encoder({}, encodable, _text, None, ": ", ", ", False, False, True)(value, 0))


#: the C encoder without the circular-reference check, for a document's own data (it
#: passed the input limits: no cycle); built once
_acyclic: Any = (
    _c_encoder(None, encodable, _text, None, ": ", ", ", False, False, True) if _c_encoder else None
)


def dumps_document(value: Any) -> str:
    """``dumps`` of data that holds no cycle (an experiment's document and its parts, as
    read and checked against the input limits): the same text, without the bookkeeping
    that detects a cycle."""
    if _acyclic is None or (type(value) is not dict and type(value) is not list):
        return dumps(value)
    return "".join(_acyclic(value, 0))


def format_journal(doc: Mapping[str, Any], known: Mapping[int, str] | None = None) -> str:
    """The journal as text: top-level keys one per line, run entries one per line.

    ``known`` maps ``id()`` of mappings already encoded during the run (the activities)
    to their JSON, which is reused instead of encoding them again. The text is joined
    once from its pieces: joining each list and block on its own copied a large run's
    journal (half a megabyte for 1000 activities) four times over, each copy in fresh
    memory (a page fault for every 4 KB).
    """
    known = known or {}
    out = ["{\n"]
    last = len(doc) - 1
    for index, (key, value) in enumerate(doc.items()):
        out.append(f"  {dumps(key)}: ")
        _block(value, 2, known, out)
        out.append(",\n" if index < last else "\n")
    out.append("}\n")
    return "".join(out)


def encode_entry(run: Any, activity_json: str) -> Encoded:
    """A run entry as ``dumps(run.to_dict())`` would write it, with the activity's JSON
    given (encoded once per activity, not once per entry and again for the journal)."""
    output = run.output
    output = _BOOLEANS[output] if type(output) is bool else dumps(output)
    # the status is a StrEnum: formatting one runs Enum code (about 2 k instructions)
    status = "succeeded" if run.status == "succeeded" else str(run.status)
    if run.exception is None and run.tolerance_met is None and run.squall is None:
        # the usual entry (no exception, tolerance or squall section) in one formatting;
        # the timestamps are texts (``_text`` is what ``dumps`` uses for one)
        return Encoded(
            f'{{"activity": {activity_json}, "output": {output}, '
            f'"start": {_text(run.start)}, "status": "{status}", '
            f'"end": {_text(run.end)}, "duration": {run.duration!r}}}'
        )
    head = (
        f'{{"activity": {activity_json}, "output": {output}, '
        f'"start": {_text(run.start)}, "status": "{status}"'
    )
    end = f', "end": {_text(run.end)}, "duration": {run.duration!r}'
    parts = [head]
    if run.exception is not None:
        parts += [', "exception": ', dumps(run.exception)]
    parts.append(end)
    if run.tolerance_met is not None:
        parts.append(', "tolerance_met": true' if run.tolerance_met else ', "tolerance_met": false')
    if run.squall is not None:
        parts += [', "squall": ', dumps(run.squall)]
    parts.append("}")
    return Encoded("".join(parts))


_BOOLEANS = {True: "true", False: "false"}


def _block(value: Any, depth: int, known: Mapping[int, str], out: list[str]) -> None:
    """Append the text of ``value`` at ``depth`` to ``out``."""
    if isinstance(value, Encoded):
        out.append(value)
        return
    pad = " " * (depth + 2)
    if isinstance(value, list) and value:
        lines = _lines(value, known)
        if lines is not None:
            out.append(f"[\n{pad}")
            _between(lines, f",\n{pad}", out)
            out.append(f"\n{' ' * depth}]")
            return
    if (
        isinstance(value, Mapping)
        and value
        and any(isinstance(v, list | Mapping) for v in value.values())
    ):
        opening = f"{{\n{pad}"
        for k, v in value.items():
            out.append(f"{opening}{dumps(k)}: ")
            _block(v, depth + 2, known, out)
            opening = f",\n{pad}"
        out.append(f"\n{' ' * depth}}}")
        return
    out.append(dumps(value))


def _between(items: list[str], separator: str, out: list[str]) -> None:
    """Append ``items`` to ``out`` with ``separator`` between them (``separator.join``
    without the joined copy)."""
    pieces = [separator] * (2 * len(items) - 1)
    pieces[::2] = items
    out += pieces


def _lines(items: list[Any], known: Mapping[int, str]) -> list[str] | None:
    """One line of JSON for each item of a list of entries or mappings (None when some
    item is neither: the list is written on one line)."""
    lines: list[str] = []
    for item in items:
        if type(item) is Encoded:
            lines.append(item)
        elif type(item) is dict or isinstance(item, Mapping | Encoded):
            lines.append(item if isinstance(item, Encoded) else known.get(id(item)) or _line(item))
        else:
            return None
    return lines


def _line(value: Any) -> str:
    """One line of JSON; entries already encoded inside it (the probes of a hypothesis
    checked during the method) are written as they are, not as strings."""
    if isinstance(value, Encoded):
        return value
    if isinstance(value, Mapping) and any(isinstance(v, list | Encoded) for v in value.values()):
        return "{" + ", ".join(f"{dumps(k)}: {_line(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list) and any(isinstance(v, Mapping | Encoded) for v in value):
        return "[" + ", ".join(_line(v) for v in value) + "]"
    return dumps(value)


StrPath = str | os.PathLike[str]


def _make_parent(path: str) -> None:
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)


def write_journal(
    doc: Mapping[str, Any], path: StrPath, known: Mapping[int, str] | None = None
) -> str:
    """Write the journal atomically; returns the path (``known``: see format_journal)."""
    return write_journal_text(format_journal(doc, known), path)


def write_journal_text(text: str, path: StrPath) -> str:
    """Write a formatted journal atomically (temporary file, then rename)."""
    path = os.fspath(path)
    from squall._files import special_file

    if special_file(path):  # /dev/null, /dev/stdout, a FIFO: written in place, not replaced
        _write_text(path, text)
        return path
    _make_parent(path)
    head, name = os.path.split(path)
    tmp = os.path.join(head, f".{name}.tmp")
    _write_text(tmp, text)
    os.replace(tmp, path)
    return path


#: characters encoded and written at a time
_CHUNK = 1 << 16


def _write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` as UTF-8 a chunk at a time: a large journal encoded at
    once was another copy of it in fresh memory."""
    with open(path, "w", encoding="utf-8") as handle:
        for start in range(0, len(text), _CHUNK):
            handle.write(text[start : start + _CHUNK])


def read_journal(path: StrPath) -> dict[str, Any]:
    """Read a journal file written by squall or the Chaos Toolkit."""
    with open(path, encoding="utf-8") as handle:
        data = _json.loads(handle.read())
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a journal (top level is not an object)")
    return data


def events_path_for(journal_path: StrPath) -> str:
    """Where the event stream of a run writing ``journal_path`` lives."""
    return os.fspath(journal_path) + ".events.jsonl"


#: the extended attribute of a stream cut short that names the rollbacks played
PLAYED_ATTRIBUTE = "user.squall.played"


def played_noted(path: str) -> list[str]:
    """The rollbacks ``EventStream.note_played`` noted on ``path`` ([] when none)."""
    try:
        names = _json.loads(os.getxattr(path, PLAYED_ATTRIBUTE))
    except (OSError, AttributeError, ValueError):
        return []
    return [str(n) for n in names] if isinstance(names, list) else []


def _ends_mid_line(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            if handle.tell() == 0:
                return False
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) != b"\n"
    except FileNotFoundError:
        return False


class StreamBusy(OSError):
    """Another process holds the event stream (its run, or a recovery, is still going)."""


class EventStream:
    """Append-only JSON-lines file: each event is one ``write`` system call on an
    unbuffered descriptor, so it is in the file (the kernel's page cache) before the
    engine goes on; a killed process loses nothing it had written.

    The writer holds an exclusive lock on the file for as long as it is open: a stream
    that can be locked belongs to no live process. A new stream is never written over an
    existing file; it is readable by its owner only (mode 0600, its directory 0700).

    Once ``tolerant`` (the run has started), a write that fails (a full disk) does not
    raise: ``error`` says why, the bytes not written wait (up to ``PENDING_LIMIT``) and go
    first in the next write, so the file stays a whole prefix of the run's events; past
    the limit, nothing more is written (``lost``). The run reads ``error`` and stops."""

    #: bytes a failing stream keeps waiting for the disk to have room again
    PENDING_LIMIT = 16 * 1024 * 1024

    def __init__(self, path: StrPath, *, append: bool = False) -> None:
        """Raises:
        StreamBusy: another process holds the stream.
        FileExistsError: a new stream's file exists already.
        OSError: it cannot be created or opened."""
        import fcntl

        self.path = os.fspath(path)
        parent = os.path.dirname(self.path)
        if parent:
            os.makedirs(parent, mode=0o700, exist_ok=True)
        flags = os.O_WRONLY | os.O_APPEND | (0 if append else os.O_CREAT | os.O_EXCL)
        self._fd: int | None = os.open(self.path, flags, 0o600)
        #: a finished activity's line held back to share the next event's write
        self._held = ""
        #: a failed write does not raise (class docstring)
        self.tolerant = False
        #: the first write that failed, if any
        self.error: OSError | None = None
        #: events were dropped: the file is a prefix of the run that stops short
        self.lost = False
        self._pending = b""
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self._fd)
            self._fd = None
            raise StreamBusy(f"{self.path} is held by another squall process") from None
        if append and _ends_mid_line(self.path):  # a killed writer (or a full disk)
            self.tolerant = True  # left half a line: a disk still full must not stop
            self._write("\n")  # the recovery that plays the rollback freeing it
            self.tolerant = False

    def _write(self, text: str) -> None:
        fd = self._fd
        if fd is None or self.lost:
            self._held = ""
            return
        if self._held:  # a line held back goes first, in the same system call
            text, self._held = self._held + text, ""
        data = text.encode("utf-8")
        if self._pending:  # a full disk left these: they go first
            data, self._pending = self._pending + data, b""
        written = 0
        try:
            written = os.write(fd, data)
            while written < len(data):  # rare: a short write
                written += os.write(fd, data[written:])
        except OSError as exc:
            if not self.tolerant:
                raise
            self._failed(exc, data[written:])

    def _failed(self, exc: OSError, unwritten: bytes) -> None:
        if self.error is None:
            self.error = exc
        if len(unwritten) > self.PENDING_LIMIT:
            self.lost = True  # the file stays a whole prefix of the run's events
            return
        self._pending = unwritten

    def emit(self, event: str, **data: Any) -> None:
        data["event"] = event
        self._write(dumps(data) + "\n")

    def emit_line(self, line: str) -> None:
        """An event already encoded as one line of JSON (without its newline): the start
        event (``squall.journal.preencode.start_line``)."""
        self._write(line + "\n")

    def emit_start(self, phase: str, index: int, name: str) -> None:
        """An ``activity-start`` event (the most frequent one, written without a dict)."""
        self._write(
            f'{{"event": "activity-start", "phase": "{phase}", "index": {index}, '
            f'"name": {_text(name) if type(name) is str else dumps(name)}}}\n'
        )

    def emit_run(
        self, event: str, phase: str, index: int | None, run: Encoded, *, hold: bool = False
    ) -> None:
        """An event carrying an already encoded run entry (no second encoding). ``hold``:
        the line is written with the next event, or by ``flush``: the writer calls
        ``flush`` before anything but the next activity's start happens."""
        where = "" if index is None else f', "index": {index}'
        line = f'{{"event": "{event}", "phase": "{phase}"{where}, "run": {run}}}\n'
        if hold and self._fd is not None:
            self._held += line
        else:
            self._write(line)

    def flush(self) -> None:
        """Write the line held back (and any event a full disk kept waiting), if any."""
        if self._held or self._pending:
            self._write("")

    @property
    def complete(self) -> bool:
        """Every event emitted is in the file."""
        return not (self._pending or self._held or self.lost)

    def note_played(self, names: list[str]) -> bool:
        """Note on the file, beside its events, the rollbacks played to their end (for a
        stream cut short by a full disk, whose file lacks them): an extended attribute,
        which needs no data block (ext4, XFS and btrfs keep a small one in the inode) and
        no file size (``RLIMIT_FSIZE``). False when the file system refuses it."""
        try:
            os.setxattr(self.path, PLAYED_ATTRIBUTE, _json.dumps(names).encode("utf-8"))
        except (OSError, AttributeError):  # no xattr support, or none left
            return False
        return True

    def close(self, *, remove: bool, keep_as: str | None = None) -> None:
        """Close (and unlock) the stream; ``remove`` it, or move it to ``keep_as``."""
        self.flush()
        if keep_as is not None and not remove:
            import shutil

            with contextlib.suppress(OSError):
                _make_parent(keep_as)
                shutil.move(self.path, keep_as)
        elif remove:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.path)  # before the lock goes: no one recovers it meanwhile
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
