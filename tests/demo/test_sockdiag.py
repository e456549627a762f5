"""The detector's listening ports asked of the kernel by netlink (squall.demo.sockdiag):
the same ports, spelt the same way, as the /proc/net/tcp parser it replaces, against real
sockets opened by the test."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from squall.demo import sockdiag
from squall.demo.scanners import _PROC_FILES, listening_ports


@pytest.fixture
def sockets() -> Iterator[dict[str, socket.socket]]:
    """Listeners on 127.0.0.1, on every IPv4 address and on ::1; a connected pair."""
    made: dict[str, socket.socket] = {}
    for name, family, address in (
        ("loopback", socket.AF_INET, "127.0.0.1"),
        ("any", socket.AF_INET, "0.0.0.0"),
        ("v6", socket.AF_INET6, "::1"),
    ):
        made[name] = socket.socket(family, socket.SOCK_STREAM)
        made[name].bind((address, 0))
        made[name].listen()
    made["client"] = socket.create_connection(made["loopback"].getsockname()[:2])
    made["accepted"] = made["loopback"].accept()[0]
    yield made
    for sock in made.values():
        sock.close()


def test_listeners_are_found_as_proc_spells_them(sockets: dict[str, socket.socket]) -> None:
    """Each listener is there with its address spelt as /proc's parser spells it (another
    process may listen on the same port number at another address: not compared)."""
    found = sockdiag.listening()
    parsed = listening_ports(_PROC_FILES)
    v6 = "0000:0000:0000:0000:0000:0000:0000:0001"
    for name, address in (("loopback", "127.0.0.1"), ("any", "0.0.0.0"), ("v6", v6)):
        port = sockets[name].getsockname()[1]
        assert address in found.get(port, set()), (name, found.get(port))
        assert address in parsed.get(port, set()), (name, parsed.get(port))
    client = sockets["client"].getsockname()[1]
    assert "127.0.0.1" not in found.get(client, set()), "a connected socket is not listening"
    assert v6 in listening_ports()[sockets["v6"].getsockname()[1]], "the detector's call"


def test_a_closed_listener_is_gone(sockets: dict[str, socket.socket]) -> None:
    port = sockets["any"].getsockname()[1]
    assert "0.0.0.0" in sockdiag.listening()[port]
    sockets["any"].close()
    assert "0.0.0.0" not in sockdiag.listening().get(port, set())
