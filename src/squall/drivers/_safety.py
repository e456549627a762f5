"""Safety checks shared by squall's destructive actions.

- **Hosts**: only loopback (127.0.0.0/8, ::1) unless the configuration widens the allowlist
  with ``squall_allowed_networks`` (a list of CIDRs). A name is resolved and *every*
  address it resolves to must be allowed.
- **Paths**: never ``/``, a home directory itself or a home root (``/home``, ``/root``,
  ``/Users``), system directories (``/etc``, ``/usr``, ``/bin``, ``/proc``, ``/var`` except
  its temporary directories ...) or the Python installation squall runs from. Paths are
  checked after resolving symbolic links.
- **Processes**: only pids the caller names (directly or via a pidfile), never pid 0 or 1,
  never squall's own pid or its parent, and, if ``expect`` is given, only a process whose
  command line contains it (so a recycled pid is not hit).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from squall import ActivityFailed

__all__ = [
    "check_host",
    "check_path",
    "check_pid",
    "check_url",
    "process_cmdline",
    "process_state",
    "process_uid",
    "read_pidfile",
    "resolve_pid",
]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_LOOPBACK: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)
_SYSTEM_DIRS = (
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/sbin",
    "/sys", "/usr", "/var", "/run", "/snap", "/System", "/Library", "/Applications",
    "/private/etc", "/private/var",
)  # fmt: skip
_SYSTEM_EXCEPTIONS = ("/var/tmp", "/var/folders", "/private/var/folders", "/private/var/tmp")
_HOME_ROOTS = ("/home", "/root", "/Users")


def _allowed_networks(configuration: Mapping[str, Any] | None) -> list[IPNetwork]:
    networks = list(_LOOPBACK)
    extra = (configuration or {}).get("squall_allowed_networks") or []
    if isinstance(extra, str):
        extra = [extra]
    for item in extra:
        try:
            networks.append(ipaddress.ip_network(str(item), strict=False))
        except ValueError as exc:
            raise ActivityFailed(f"squall_allowed_networks: {item!r} is not a network") from exc
    return networks


def check_host(host: str, configuration: Mapping[str, Any] | None = None) -> str:
    """Refuse a host outside the allowlist; return its first address."""
    if not host:
        raise ActivityFailed("no host given")
    try:
        infos = socket.getaddrinfo(host.strip("[]"), None, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise ActivityFailed(f"cannot resolve host {host!r}: {exc}") from exc
    networks = _allowed_networks(configuration)
    addresses = [str(info[4][0]).split("%")[0] for info in infos]
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if not any(ip in net for net in networks if net.version == ip.version):
            raise ActivityFailed(
                f"refusing target {host!r} ({address}): not loopback and not in "
                "configuration 'squall_allowed_networks'"
            )
    return addresses[0]


def check_url(url: str, configuration: Mapping[str, Any] | None = None) -> str:
    """Refuse a URL whose host is outside the allowlist; return the host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ActivityFailed(f"not an http(s) URL: {url!r}")
    check_host(parts.hostname, configuration)
    return parts.hostname


def _is_under(path: Path, root: str) -> bool:
    return path == Path(root) or Path(root) in path.parents


def check_path(path: str | os.PathLike[str], *, must_exist: bool = True) -> Path:
    """Refuse dangerous paths (see the module docstring); return the resolved path."""
    if not str(path):
        raise ActivityFailed("no path given")
    resolved = Path(path).expanduser().resolve()
    home = Path.home().resolve()
    refused_exact = {Path("/"), home, *(Path(root) for root in _HOME_ROOTS)}
    if resolved in refused_exact:
        raise ActivityFailed(f"refusing {resolved}: a root or home directory")
    if not any(_is_under(resolved, ok) for ok in _SYSTEM_EXCEPTIONS):
        for root in _SYSTEM_DIRS:
            if _is_under(resolved, root):
                raise ActivityFailed(f"refusing {resolved}: inside the system directory {root}")
    for prefix in {sys.prefix, sys.base_prefix}:
        if _is_under(resolved, str(Path(prefix).resolve())):
            raise ActivityFailed(f"refusing {resolved}: inside the Python installation {prefix}")
    if must_exist and not resolved.exists():
        raise ActivityFailed(f"{resolved} does not exist")
    return resolved


def process_cmdline(pid: int) -> str | None:
    """The command line of ``pid`` (arguments joined by spaces), or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return None
    except OSError:
        return None
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def process_state(pid: int) -> str | None:
    """The one-letter state of ``pid`` (R, S, T, Z ...), or None if it does not exist."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return "?"
        return "?"
    return raw.rsplit(")", 1)[1].split()[0]


def process_uid(pid: int) -> int | None:
    """The effective uid of ``pid``, or None if unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[2])
    except (OSError, ValueError, IndexError):
        return None
    return None


def check_pid(pid: int, expect: str | None = None) -> int:
    """Refuse pid 0/1, squall's own pid and parent, dead pids and unexpected commands."""
    if isinstance(pid, bool) or not isinstance(pid, int):
        raise ActivityFailed(f"pid must be an integer, got {pid!r}")
    if pid <= 1:
        raise ActivityFailed(f"refusing pid {pid}: init or a process group")
    if pid in (os.getpid(), os.getppid()):
        raise ActivityFailed(f"refusing pid {pid}: squall's own process or its parent")
    state = process_state(pid)
    if state is None or state == "Z":
        raise ActivityFailed(f"no running process with pid {pid}")
    if expect:
        cmdline = process_cmdline(pid)
        if cmdline is None or expect not in cmdline:
            raise ActivityFailed(
                f"refusing pid {pid}: its command line {cmdline!r} does not contain {expect!r}"
            )
    return pid


def read_pidfile(pidfile: str | os.PathLike[str]) -> int:
    """The pid written in ``pidfile`` (first token)."""
    try:
        text = Path(pidfile).read_text().strip()
        return int(text.split()[0])
    except (OSError, ValueError, IndexError) as exc:
        raise ActivityFailed(f"cannot read a pid from {pidfile}: {exc}") from exc


def resolve_pid(pid: int | None, pidfile: str | None, expect: str | None = None) -> int:
    """The checked pid named by ``pid`` or ``pidfile`` (exactly one must be given)."""
    if pid is None and not pidfile:
        raise ActivityFailed("name the process: give pid or pidfile")
    if pid is not None and pidfile:
        raise ActivityFailed("give pid or pidfile, not both")
    return check_pid(pid if pid is not None else read_pidfile(str(pidfile)), expect)
