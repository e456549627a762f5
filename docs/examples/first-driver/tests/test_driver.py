"""Tests of the first driver, with the squall pytest plugin (fixtures squall_run and
loopback_http_server come from it: no import needed once squall is installed)."""

from pathlib import Path

from squall_first_driver.actions import close_port, open_port
from squall_first_driver.probes import http_status, port_is_open

HERE = Path(__file__).resolve().parent.parent


def test_open_and_close_a_port() -> None:
    opened = open_port(port=0)  # 0: any free port
    port = opened["port"]
    assert port_is_open(port)
    assert close_port(0)
    assert not port_is_open(port)


def test_http_status(loopback_http_server) -> None:
    loopback_http_server.set("/health", status=503, body="down")
    assert http_status(loopback_http_server.url("/health")) == 503


def test_the_experiment_holds(squall_run) -> None:
    result = squall_run(HERE / "experiment.json")
    result.assert_held().assert_rolled_back("close-port")
    assert result.output("port-is-open", "before") is False
