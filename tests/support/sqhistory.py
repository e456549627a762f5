"""The bytes a SQLite run history holds on disk: the file and its write-ahead log (a run's
rows stay in ``-wal`` until a checkpoint copies them; squall's close does not)."""

from __future__ import annotations

from pathlib import Path


def stored_bytes(path: str | Path) -> bytes:
    """Everything on disk for the history at ``path`` (its file, then its WAL if any)."""
    files = (Path(f"{path}{end}") for end in ("", "-wal"))
    return b"".join(p.read_bytes() for p in files if p.exists())
