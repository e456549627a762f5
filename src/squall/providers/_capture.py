"""How much of an activity's raw output squall holds in memory: one bound for a process
activity's stdout and stderr (``_pipes``: the rest is read and dropped, and said) and an
http response's body, uncompressed (``_wire``, ``http``: the activity fails). A program
that writes without end, a server that streams without end or a compressed body that
inflates a thousandfold cannot take squall's memory (docs/safety.md).
"""

from __future__ import annotations

__all__ = ["MAX_CAPTURE"]

#: The most bytes of one process stream, or of one (uncompressed) response body.
MAX_CAPTURE = 64 << 20
