"""Listening TCP sockets asked of the kernel by netlink (``sock_diag``), as ``ss -ltn`` does.

Reading /proc/net/tcp has the kernel print every socket of the network namespace, listening
or not: about 11 ms for 700 sockets, which the detector paid twice a second (2 % of a core
per demo on a busy host). ``sock_diag`` sends only the sockets in the LISTEN state. Linux
only: :func:`listening` raises ``OSError`` where netlink is not there or is refused, and
the caller reads /proc instead.
"""

from __future__ import annotations

import ipaddress
import socket
import struct

__all__ = ["listening"]

_NETLINK_SOCK_DIAG = 4
_SOCK_DIAG_BY_FAMILY = 20
_NLM_F_REQUEST_DUMP = 0x1 | 0x300
_NLMSG_ERROR, _NLMSG_DONE = 2, 3
_TCP_LISTEN = 10
_HEADER = struct.Struct("=IHHII")  # nlmsghdr: length, type, flags, sequence, port id
#: inet_diag_req_v2: family, protocol, extensions, pad, states; then a zeroed socket id
_REQUEST = struct.Struct("=BBBxI48x")
#: inet_diag_msg up to the local address: family, state, timer, retransmits, then the
#: socket id's local port (big-endian), remote port, local address (16 bytes)
_MESSAGE = struct.Struct("=BBBB2s2s16s")


def listening() -> dict[int, set[str]]:
    """Listening TCP ports (IPv4 and IPv6) and their local addresses, spelt as /proc's
    parser spells them (``127.0.0.1``; IPv6 in eight groups of four hex digits)."""
    ports: dict[int, set[str]] = {}
    for family in (socket.AF_INET, socket.AF_INET6):
        for port, address in _dump(family):
            ports.setdefault(port, set()).add(address)
    return ports


def _dump(family: int) -> list[tuple[int, str]]:
    request = _REQUEST.pack(family, socket.IPPROTO_TCP, 0, 1 << _TCP_LISTEN)
    header = _HEADER.pack(_HEADER.size + len(request), _SOCK_DIAG_BY_FAMILY,
                          _NLM_F_REQUEST_DUMP, 1, 0)  # fmt: skip
    with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG) as sock:
        sock.sendall(header + request)
        found: list[tuple[int, str]] = []
        while True:
            data = sock.recv(1 << 16)
            if not data:
                raise OSError("sock_diag: no answer")
            for kind, body in _messages(data):
                if kind == _NLMSG_DONE:
                    return found
                if kind == _NLMSG_ERROR:
                    raise OSError("sock_diag: refused")
                found.append(_entry(family, body))


def _messages(data: bytes) -> list[tuple[int, bytes]]:
    """The (type, payload) of each netlink message of ``data``."""
    out, at = [], 0
    while at + _HEADER.size <= len(data):
        length, kind, _, _, _ = _HEADER.unpack_from(data, at)
        if length < _HEADER.size:
            raise OSError("sock_diag: malformed answer")
        out.append((kind, data[at + _HEADER.size : at + length]))
        at += (length + 3) & ~3  # messages are aligned on 4 bytes
    return out


def _entry(family: int, body: bytes) -> tuple[int, str]:
    _, state, _, _, local_port, _, raw = _MESSAGE.unpack_from(body)
    port = int.from_bytes(local_port, "big")
    if state != _TCP_LISTEN:
        raise OSError(f"sock_diag: a socket in state {state}, not LISTEN")
    if family == socket.AF_INET:
        return port, str(ipaddress.IPv4Address(raw[:4]))
    return port, ipaddress.IPv6Address(raw).exploded
