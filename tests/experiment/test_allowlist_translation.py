"""A narrow-looking IPv6 network that translates to every IPv4 address is too broad.

Found: ``squall_allowed_networks: ["64:ff9b::/96"]`` passed ``validate`` and the run-time
check: a /96 looks narrow, but it is the NAT64 well-known prefix (RFC 6052), where an
IPv6-only host (DNS64/NAT64, as in IPv6-only cloud subnets) reaches *every* IPv4
address: ``64:ff9b::8.8.8.8`` is 8.8.8.8 through the gateway. A flood or brute force to
``http://[64:ff9b::808:808]/`` went outside. The same holds for the local-use NAT64
prefix ``64:ff9b:1::/48`` (RFC 8215) and the SIIT IPv4-translated prefix
``::ffff:0:0:0/96`` (RFC 2765). Session 9: Teredo's ``2001::/32`` (RFC 4380) passed too,
exactly a /32, though its addresses reach every IPv4 host behind a Teredo relay.

Now a network inside one of these is judged as the IPv4 network it translates (as an
IPv4-mapped one already was): wider than a /8 is refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from squall import ActivityFailed
from squall.drivers._hosts import check_host

TOO_BROAD = ["64:ff9b::/96", "64:ff9b::/64", "64:ff9b::/100", "64:ff9b:1::/48", "::ffff:0:0:0/96",
             "64:ff9b:1:0:0:1::/96", "64::/16",
             # Teredo (RFC 4380): 2001:0:SERVER:FLAGS:PORT:CLIENT, the client's IPv4
             # address inverted in the last 32 bits; a relay carries the traffic there
             "2001::/32", "2001:0:c000:201::/64", "2001:0:c000:201::/96"]  # fmt: skip
# 2001:0:c000:201:0:0:f5ff:0/104 is the Teredo clients in 10.0.0.0/8 (inverted: f5.x.x.x);
# 2001:db8::/32 is the documentation prefix beside Teredo's, not in it
NARROW = ["64:ff9b::a00:0/104", "64:ff9b::c000:200/120", "::ffff:0:a00:0/104", "fd00:1::/48",
          "2001:0:c000:201:0:0:f5ff:0/104", "2001:db8::/32"]  # fmt: skip


def _experiment(tmp_path: Path, networks: list[str]) -> None:
    document = {
        "title": "translation",
        "description": "an allowed IPv6 network",
        "configuration": {"squall_allowed_networks": networks},
        "method": [
            {
                "type": "action",
                "name": "touch",
                "provider": {"type": "process", "path": "touch", "arguments": "ran"},
            }
        ],
    }
    (tmp_path / "e.json").write_text(json.dumps(document, indent=1))


@pytest.mark.parametrize("network", TOO_BROAD)
def test_a_translation_prefix_is_refused_before_the_run(
    network: str, squall: Any, tmp_path: Path
) -> None:
    _experiment(tmp_path, ["10.0.3.0/24", network])
    result = squall("validate", "e.json")
    assert result.code == 2, (network, result.stdout, result.stderr)
    assert "/configuration/squall_allowed_networks/1" in result.stderr
    assert "too broad" in result.stderr and "internal error" not in result.stderr


@pytest.mark.parametrize("network", TOO_BROAD)
def test_a_translation_prefix_is_refused_at_run_time(network: str) -> None:
    with pytest.raises(ActivityFailed, match="too broad"):
        check_host("64:ff9b::808:808", {"squall_allowed_networks": [network]})


def test_a_narrow_translated_network_still_passes(squall: Any, tmp_path: Path) -> None:
    _experiment(tmp_path, NARROW)
    result = squall("validate", "e.json")
    assert result.code == 0, result.stderr
    allowed = {"squall_allowed_networks": NARROW}
    assert check_host("64:ff9b::a01:203", allowed) == "64:ff9b::a01:203"
    with pytest.raises(ActivityFailed, match="refusing target"):
        check_host("64:ff9b::808:808", allowed)
