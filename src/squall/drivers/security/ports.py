"""Port-surface probe: the TCP sockets listening on this host, against an allowlist.

Reads ``/proc/net/tcp`` and ``/proc/net/tcp6`` (Linux), so no traffic is sent and no root is
needed. The view is the network namespace of the reading process, or of ``netns_pid`` (through
``/proc/<pid>/net``), which lets a probe look inside a container's namespace.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

from squall import ActivityFailed, show_value

__all__ = ["listening_ports"]

_LISTEN = "0A"


def listening_ports(
    allowed: list[int] | None = None,
    required: list[int] | None = None,
    ports: list[int] | None = None,
    port_range: list[int] | None = None,
    wildcard_allowed: list[int] | None = None,
    with_processes: bool = False,
    netns_pid: int | None = None,
    proc_root: str = "/proc",
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """List listening TCP sockets, compare them with an allowlist and flag wildcard binds.

    Arguments:
        allowed: ports that may listen; any other listening port (within the scope) is
            ``unexpected``. ``null`` means "no allowlist": only facts and wildcard binds.
        required: ports that must be listening (``missing`` otherwise).
        ports: restrict the scope to these ports (e.g. the ones an experiment opens).
        port_range: restrict the scope to ``[low, high]`` (inclusive).
        wildcard_allowed: ports allowed to bind all interfaces (``0.0.0.0`` or ``::``);
            by default no wildcard bind is allowed.
        with_processes: map each socket to its process (pid and name) by reading
            ``/proc/<pid>/fd``; only processes this user may inspect are found.
        netns_pid: read the network namespace of this process (``/proc/<pid>/net``).
        proc_root: mount point of procfs.
        configuration: injected by the engine; unused.
        secrets: injected by the engine; unused.

    Returns:
        ``ok`` (no unexpected port, no missing port, no disallowed wildcard bind),
        ``problems``, ``listening`` (one entry per socket: ``{"address", "port",
        "family": "ipv4" | "ipv6", "wildcard", "loopback", "uid", "inode"}`` plus ``pid``
        and ``process`` with ``with_processes``), ``ports`` (sorted distinct ports),
        ``unexpected``, ``missing``, ``wildcard`` (ports bound to all interfaces) and
        ``wildcard_disallowed``.
    """
    base = Path(proc_root) / (f"{_int('netns_pid', netns_pid)}/net" if netns_pid else "net")
    sockets: list[dict[str, Any]] = []
    found_table = False
    for name, family in (("tcp", "ipv4"), ("tcp6", "ipv6")):
        try:
            text = (base / name).read_text()
        except FileNotFoundError:
            continue  # e.g. IPv6 disabled
        except OSError as exc:
            raise ActivityFailed(f"cannot read {base / name}: {exc}") from exc
        found_table = True
        sockets.extend(parse_table(text, family))
    if not found_table:
        raise ActivityFailed(f"no TCP tables under {base} (is this Linux with procfs?)")
    scope = _scope(ports, port_range)
    sockets = [s for s in sockets if scope is None or s["port"] in scope]
    sockets.sort(key=lambda s: (s["port"], s["family"], s["address"]))
    if with_processes:
        owners = _socket_owners(Path(proc_root))
        for entry in sockets:
            entry["pid"], entry["process"] = owners.get(entry["inode"], (None, None))
    listening = sorted({s["port"] for s in sockets})
    problems = []
    unexpected: list[int] = []
    if allowed is not None:
        permitted = {_int("allowed", a) for a in allowed}
        unexpected = [p for p in listening if p not in permitted]
        problems += [f"unexpected listening port {p}" for p in unexpected]
    missing = sorted({_int("required", p) for p in required or []} - set(listening))
    problems += [f"required port {p} is not listening" for p in missing]
    wildcard = sorted({s["port"] for s in sockets if s["wildcard"]})
    exempt = {_int("wildcard_allowed", p) for p in wildcard_allowed or []}
    disallowed = [p for p in wildcard if p not in exempt]
    problems += [f"port {p} listens on all interfaces" for p in disallowed]
    return {
        "ok": not problems,
        "problems": problems,
        "listening": sockets,
        "ports": listening,
        "unexpected": unexpected,
        "missing": missing,
        "wildcard": wildcard,
        "wildcard_disallowed": disallowed,
    }


def parse_table(text: str, family: str) -> list[dict[str, Any]]:
    """Listening sockets in one ``/proc/net/tcp``-format table."""
    sockets = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or fields[3] != _LISTEN:
            continue
        address_hex, _, port_hex = fields[1].partition(":")
        address = _address(address_hex)
        sockets.append(
            {
                "address": str(address),
                "port": int(port_hex, 16),
                "family": family,
                "wildcard": address.is_unspecified,
                "loopback": address.is_loopback
                or (isinstance(address, ipaddress.IPv6Address) and _mapped_loopback(address)),
                "uid": int(fields[7]),
                "inode": int(fields[9]),
            }
        )
    return sockets


def _address(hex_text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """Decode the kernel's host-order hex (32-bit words, each in native little-endian)."""
    raw = bytes.fromhex(hex_text)
    swapped = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    if len(swapped) == 4:
        return ipaddress.IPv4Address(swapped)
    return ipaddress.IPv6Address(swapped)


def _mapped_loopback(address: ipaddress.IPv6Address) -> bool:
    mapped = address.ipv4_mapped
    return mapped is not None and mapped.is_loopback


def _int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ActivityFailed(f"{name} must hold integers, not {show_value(value)}")
    return value


def _scope(ports: list[int] | None, port_range: list[int] | None) -> set[int] | None:
    scope: set[int] | None = None
    if ports is not None:
        scope = {_int("ports", p) for p in ports}
    if port_range is not None:
        if len(port_range) != 2:
            raise ActivityFailed(f"port_range must be [low, high], not {show_value(port_range)}")
        low, high = (_int("port_range", p) for p in port_range)
        in_range = set(range(low, high + 1))
        scope = in_range if scope is None else scope & in_range
    return scope


def _socket_owners(proc: Path) -> dict[int, tuple[int, str]]:
    """Socket inode → (pid, process name), for the processes we may inspect."""
    owners: dict[int, tuple[int, str]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fds = list((entry / "fd").iterdir())
            name = (entry / "comm").read_text().strip()
        except OSError:
            continue  # gone, or not ours to inspect
        for fd in fds:
            try:
                link = os.readlink(fd)
            except OSError:
                continue
            if link.startswith("socket:["):
                owners.setdefault(int(link[8:-1]), (int(entry.name), name))
    return owners
