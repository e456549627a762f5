"""squall drivers: entry points of squall.drivers, and chaostoolkit-* distributions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from click.testing import CliRunner

from squall.cli.app import cli
from squall.discovery.drivers import installed_controls, installed_drivers


def test_lists_squall_own_drivers() -> None:
    result = CliRunner().invoke(cli, ["drivers"])
    assert result.exit_code == 0, result.output
    assert "security  (squall.drivers.security, squall" in result.output
    assert "  probe  tls_certificate  Fetch the server's certificate" in result.output
    assert "  action break_logging  " in result.output
    # helper libraries (TLS material for the demo and tests) are not activities
    assert "make_authority" not in result.output and "make_leaf" not in result.output
    # squall's own controls, registered under squall.controls like a third party's
    assert "controls (squall.controls entry points):" in result.output
    assert "  safeguards  (squall.controls.safeguards, squall)  Stop conditions" in result.output
    assert "  repeat  (squall.controls.repeat, squall)  Repeat an activity" in result.output


def test_json() -> None:
    result = CliRunner().invoke(cli, ["drivers", "--json"])
    assert result.exit_code == 0, result.output
    found = {d["name"]: d for d in json.loads(result.output)}
    assert {"security", "network", "host"} <= set(found)
    network = found["network"]
    assert network["module"] == "squall.drivers.network"
    assert {a["name"]: a["type"] for a in network["activities"]}["start_fault_proxy"] == "action"
    assert all("\n" not in a["doc"] for a in network["activities"])


def _dist(site: Path, dist: str, entry_points: str = "", top: str = "") -> None:
    info = site / f"{dist}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    if entry_points:
        (info / "entry_points.txt").write_text(entry_points)
    if top:
        (info / "RECORD").write_text(f"{top}/__init__.py,sha256=x,1\n{info.name}/METADATA,,\n")


def test_entry_points_and_chaostoolkit_distributions(driver_path: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    _dist(site, "my_driver", "[squall.drivers]\nfake = fakedrv\nbroken = brokendrv\n")
    _dist(site, "chaostoolkit_ctkdrv", top="ctkdrv")
    _dist(site, "chaostoolkit_nothing", top="chaosnothing")  # no importable module: not a driver
    found = {d["name"]: d for d in installed_drivers([str(site)])}
    assert sorted(found) == ["broken", "chaostoolkit-ctkdrv", "fake"]
    assert found["fake"]["distribution"] == "my-driver"
    assert len(found["fake"]["activities"]) == 7
    assert "no_such_dependency" in found["broken"]["error"]
    assert sys.executable in found["broken"]["error"]
    assert found["chaostoolkit-ctkdrv"]["module"] == "ctkdrv"
    assert found["chaostoolkit-ctkdrv"]["activities"][0]["name"] == "p"


def test_installed_controls_from_entry_points(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _dist(
        site, "my_controls", "[squall.controls]\nguard = squall.controls.bypass\nbad = nope_xyz\n"
    )
    found = {c["name"]: c for c in installed_controls([str(site)])}
    assert found["guard"]["doc"] == "Skip activities by name or type; the journal marks them dry."
    assert found["guard"]["distribution"] == "my-controls"
    assert "nope_xyz" in found["bad"]["error"]


def test_control_hooks_of_a_chaostoolkit_distribution_are_not_activities() -> None:
    """chaostoolkit-addons (a dev dependency: real, not a stand-in) lists its control
    hooks in ``__all__``; `squall drivers` showed them as probes (``probe
    before_experiment_control``), which a newcomer could put in a hypothesis."""
    found = {d["name"]: d for d in installed_drivers()}
    addons = [a["name"] for a in found["chaostoolkit-addons"]["activities"]]
    assert "idle_for" in addons
    assert not [name for name in addons if name.endswith("_control")], addons
    from squall.discovery.activities import CONTROL_HOOKS

    assert {"configure_control", "before_loading_experiment_control"} <= CONTROL_HOOKS
    assert "after_activity_control" in CONTROL_HOOKS and len(CONTROL_HOOKS) == 15
