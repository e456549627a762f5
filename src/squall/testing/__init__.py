"""Testing helpers for driver authors (the ``squall`` pytest plugin).

Loaded by pytest once squall is installed (entry point ``pytest11: squall``; ``-p
no:squall`` turns it off); from a source tree that is not installed, load it with ``-p
squall.testing.plugin`` (not both: pytest refuses to register it twice). Uses only the
public ``squall`` API.

- ``squall_run``: run an experiment (a dict or a file) in a temporary directory and get
  a ``JournalAssertions`` back;
- ``loopback_http_server``: a real HTTP server on 127.0.0.1 whose answers the test sets;
- ``JournalAssertions``: ``assert_held()``, ``assert_deviated()``, ``assert_broken()``,
  ``assert_rolled_back(name)``, ``output(name)``...
"""

from __future__ import annotations

from squall.testing.assertions import JournalAssertions
from squall.testing.http import LoopbackHTTPServer, Response

__all__ = ["JournalAssertions", "LoopbackHTTPServer", "Response"]
