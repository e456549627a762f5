"""listening_ports against real listening sockets opened by the test."""

from __future__ import annotations

import os
import socket

import pytest

from squall import ActivityFailed
from squall.drivers.security.ports import listening_ports, parse_table

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="needs Linux procfs")


def test_allowlisted_loopback_port_is_ok(listeners):
    port = listeners()
    result = listening_ports(allowed=[port], ports=[port], required=[port])
    assert result["ok"] is True, result["problems"]
    assert result["ports"] == [port]
    (entry,) = result["listening"]
    assert entry["address"] == "127.0.0.1" and entry["loopback"] and not entry["wildcard"]
    assert entry["uid"] == os.getuid() and entry["family"] == "ipv4"


def test_unexpected_and_wildcard_ports_are_flagged(listeners):
    expected, extra, wild = listeners(), listeners(), listeners("0.0.0.0")
    result = listening_ports(allowed=[expected, wild], ports=[expected, extra, wild])
    assert result["unexpected"] == [extra]
    assert result["wildcard"] == [wild] and result["wildcard_disallowed"] == [wild]
    assert result["ok"] is False
    exempt = listening_ports(
        allowed=[expected, extra, wild], ports=[expected, extra, wild], wildcard_allowed=[wild]
    )
    assert exempt["ok"] is True


def test_closed_port_is_missing(listeners):
    port = listeners()
    scope = [port, port + 1 if port < 65535 else port - 1]
    result = listening_ports(required=scope, ports=scope)
    assert result["missing"] == [scope[1]] and result["ok"] is False


def test_ipv6_loopback_and_processes(listeners):
    if not socket.has_ipv6 or not os.path.exists("/proc/net/tcp6"):
        pytest.skip("no IPv6")
    try:
        port = listeners("::1", socket.AF_INET6)
    except OSError:
        pytest.skip("::1 is not configured")
    result = listening_ports(ports=[port], with_processes=True)
    (entry,) = result["listening"]
    assert entry["address"] == "::1" and entry["family"] == "ipv6" and entry["loopback"]
    assert entry["pid"] == os.getpid()
    assert result["ok"] is True


def test_port_range_and_netns_pid(listeners):
    port = listeners()
    result = listening_ports(port_range=[port, port], netns_pid=os.getpid())
    assert result["ports"] == [port]


def test_parse_table_decodes_kernel_format():
    text = (
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
        "timeout inode\n"
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 "
        "0 4242 1 0000000000000000 100 0 0 10 0\n"
        "   1: 0100007F:1F91 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000 "
        "0 4243 1 0000000000000000 100 0 0 10 0\n"
    )
    assert parse_table(text, "ipv4") == [
        {
            "address": "127.0.0.1",
            "port": 8080,
            "family": "ipv4",
            "wildcard": False,
            "loopback": True,
            "uid": 1000,
            "inode": 4242,
        }
    ]


def test_bad_arguments(tmp_path):
    with pytest.raises(ActivityFailed, match="port_range"):
        listening_ports(port_range=[1])
    with pytest.raises(ActivityFailed, match="no TCP tables"):
        listening_ports(proc_root=str(tmp_path))
