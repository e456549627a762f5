"""A large journal, stored compressed in the SQLite run history.

The history keeps each run's final journal. Stored as text, a run of 1000 python
activities wrote half a megabyte into SQLite's write-ahead log, and its checkpoint
(two disk syncs) ran at the end of every such run: the largest cost of a long run that
instruction counts do not show (docs/performance.md, the eighth pass). zlib at level 1
makes such a journal about 18 times smaller in about 0.6 ms. Journals smaller than
``COMPRESS_FROM`` stay text (nothing to gain; readable with the ``sqlite3`` shell).
"""

from __future__ import annotations

__all__ = ["COMPRESS_FROM", "MAX_JOURNAL", "compress_journal", "expand_journal"]

#: journals of this many characters or more are stored compressed
COMPRESS_FROM = 64 * 1024
#: SQLite's largest value (SQLITE_MAX_LENGTH): no journal stored as text was longer, so
#: a compressed one that would be is damage, not read into memory
MAX_JOURNAL = 1_000_000_000
#: characters encoded and compressed at a time (no copy of the whole text)
_CHUNK = 1 << 16


def compress_journal(text: str) -> bytes:
    """``text`` as UTF-8, compressed (zlib, level 1). A lone surrogate (never in a
    journal squall formats: its texts are made safe first) is kept, not refused."""
    import zlib

    packer = zlib.compressobj(1)
    parts = [
        packer.compress(text[start : start + _CHUNK].encode("utf-8", "surrogatepass"))
        for start in range(0, len(text), _CHUNK)
    ]
    parts.append(packer.flush())
    return b"".join(parts)


def expand_journal(data: bytes) -> str:
    """The text ``compress_journal`` stored.

    Raises:
        ValueError: ``data`` is not such a journal (damaged, cut short, or larger than
            any journal SQLite could have held).
    """
    import zlib

    unpacker = zlib.decompressobj()
    try:
        raw = unpacker.decompress(data, MAX_JOURNAL + 1)
    except zlib.error as exc:
        raise ValueError(f"not a compressed journal ({exc})") from None
    if len(raw) > MAX_JOURNAL:
        raise ValueError(f"it expands beyond {MAX_JOURNAL} bytes")
    if not unpacker.eof or unpacker.unused_data:
        raise ValueError("the compressed journal is cut short or followed by other data")
    return raw.decode("utf-8", "surrogatepass")
