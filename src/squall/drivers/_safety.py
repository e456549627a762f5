"""Safety checks shared by squall's destructive actions: allow-lists, not deny-lists.

- **Hosts** (``squall.drivers._hosts``): loopback only unless the configuration widens
  the allowlist with ``squall_allowed_networks``; ``*.localhost`` is loopback without a
  lookup; HTTP clients ignore the proxy environment.
- **Paths** (``squall.drivers._paths``): only strictly inside the demo's state directory
  or a directory listed in ``squall_allowed_paths`` / ``SQUALL_ALLOWED_PATHS``, checked as
  written and after resolving links; no hard-linked files; changes made through
  descriptors opened without following links (``squall.drivers._beneath``).
- **Processes** (``squall.drivers._procs``): only those squall started, those a pidfile in
  an allowed directory names, or those listed in ``squall_allowed_pids`` /
  ``SQUALL_ALLOWED_PIDS``; start times guard against recycled pids.

This module gathers them so that every driver imports its checks from one place.
"""

from __future__ import annotations

from squall.drivers._beneath import (
    chmod_beneath,
    open_beneath,
    read_beneath,
    rename_beneath,
    unlink_beneath,
    write_beneath,
)
from squall.drivers._hosts import check_host, check_url, connect_address, http_client, pin_url
from squall.drivers._paths import check_path, identity
from squall.drivers._procs import (
    check_pid,
    process_cmdline,
    process_start,
    process_state,
    process_uid,
    read_pidfile,
    resolve_pid,
)

__all__ = [
    "check_host",
    "check_path",
    "check_pid",
    "check_url",
    "chmod_beneath",
    "connect_address",
    "http_client",
    "identity",
    "open_beneath",
    "pin_url",
    "process_cmdline",
    "process_start",
    "process_state",
    "process_uid",
    "read_beneath",
    "read_pidfile",
    "rename_beneath",
    "resolve_pid",
    "unlink_beneath",
    "write_beneath",
]
