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
    found = sockdiag.listening()
    parsed = listening_ports(_PROC_FILES)
    ports = {name: sockets[name].getsockname()[1] for name in ("loopback", "any", "v6")}
    assert found[ports["loopback"]] == {"127.0.0.1"} == parsed[ports["loopback"]]
    assert found[ports["any"]] == {"0.0.0.0"} == parsed[ports["any"]]
    v6 = "0000:0000:0000:0000:0000:0000:0000:0001"
    assert found[ports["v6"]] == {v6} == parsed[ports["v6"]]
    client_port = sockets["client"].getsockname()[1]
    assert client_port not in found, "a connected socket is not listening"
    assert listening_ports()[ports["v6"]] == {v6}, "the detector's call goes the same way"


def test_a_closed_listener_is_gone(sockets: dict[str, socket.socket]) -> None:
    port = sockets["any"].getsockname()[1]
    assert port in sockdiag.listening()
    sockets["any"].close()
    assert port not in sockdiag.listening()
