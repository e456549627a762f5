"""squall discover: activities found by walking a package, or by its discover()."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from click.testing import CliRunner

from squall.cli.app import cli
from squall.discovery.activities import activity_type
from squall.discovery.portable import portable_type


def _discover(*args: str) -> tuple[int, dict, str]:
    result = CliRunner().invoke(cli, ["discover", *args])
    path = Path("discovery.json")
    doc = json.loads(path.read_text()) if path.exists() else {}
    return result.exit_code, doc, result.output  # stdout and stderr


def test_walks_the_package(driver_path: Path) -> None:
    code, doc, out = _discover("fakedrv")
    assert code == 0, out
    assert "discovery.json: 7 activities (4 probes, 3 actions)" in out
    assert set(doc) >= {
        "chaoslib_version",
        "id",
        "target",
        "date",
        "platform",
        "extension",
        "activities",
        "system",
    }
    assert doc["system"] is None and doc["target"] == "fakedrv"
    assert set(doc["platform"]) == {
        "system",
        "node",
        "release",
        "version",
        "machine",
        "proc",
        "python",
    }
    by_name = {a["name"]: a for a in doc["activities"]}
    assert sorted(by_name) == [
        "count_things",
        "cut_cable",
        "deep_probe",
        "everything",
        "look_around",
        "stop_service",
        "undo_it",
    ]
    count = by_name["count_things"]
    assert count["type"] == "probe" and count["mod"] == "fakedrv.probes"
    assert count["doc"] == "Count things under path.\n\nMore text."
    assert count["return_type"] == "integer"
    assert count["arguments"] == [
        {"name": "path", "type": "string"},
        {"name": "limit", "default": 10, "type": "integer"},
        {"name": "ratio", "default": 0.5, "type": "number"},
        {"name": "deep", "default": False, "type": "boolean"},
        {"name": "names", "default": None, "type": "object"},
        {"name": "raw", "default": "b''", "type": "byte"},
    ]
    every = by_name["everything"]
    assert every["return_type"] == "null"
    assert [a["name"] for a in every["arguments"]] == ["a", "b", "c", "d", "e", "f"]
    assert "type" not in every["arguments"][0]
    assert [a.get("type") for a in every["arguments"][1:]] == [
        "mapping",
        "tuple",
        "set",
        "object",
        "object",
    ]
    assert by_name["cut_cable"]["type"] == "action"
    assert by_name["stop_service"]["type"] == "action"
    assert by_name["undo_it"]["type"] == "action"
    assert by_name["look_around"]["type"] == "probe"
    assert by_name["deep_probe"]["mod"] == "fakedrv.sub.probes"


def test_custom_path_and_driver_discover(driver_path: Path) -> None:
    code, _, out = _discover("ctkdrv", "--no-system-info", "--discovery-path", "d.json")
    assert code == 0, out
    doc = json.loads(Path("d.json").read_text())
    assert doc["system"] == {"asked": False} and doc["id"] == "fixed"
    assert doc["chaoslib_version"]


def test_squall_own_drivers_by_entry_point_name(driver_path: Path) -> None:
    code, doc, out = _discover("security")
    assert code == 0, out
    types = {a["name"]: a["type"] for a in doc["activities"]}
    assert types["tls_certificate"] == "probe"
    assert types["swap_certificate"] == "action"
    assert doc["extension"]["name"] == "squall"
    # the chaoslib version a discovery names is the one squall's journals and its
    # chaoslib stand-in name (it said 1.45.0 against their 1.45.1)
    from squall.compat.chaoslib import __version__ as stand_in

    assert doc["chaoslib_version"] == stand_in.partition("+")[0]


def test_distribution_name(driver_path: Path) -> None:
    code, doc, out = _discover("squall")
    assert code == 0, out
    assert doc["target"] == "squall"


def test_missing_package_is_one_line_exit_2(driver_path: Path) -> None:
    code, doc, out = _discover("no_such_driver")
    assert code == 2 and doc == {}
    assert out.count("\n") == 1 and "Traceback" not in out
    assert "no_such_driver" in out and sys.executable in out


def test_missing_dependency_names_it(driver_path: Path) -> None:
    code, _, out = _discover("brokendrv")
    assert code == 2
    assert "missing: no_such_dependency" in out and sys.executable in out
    assert out.startswith('squall: cannot import "brokendrv.probes": ')
    assert "Traceback" not in out


def test_portable_types() -> None:
    assert portable_type(int) == "integer"
    assert portable_type(dict[str, int]) == "mapping"
    assert portable_type(list[int]) == "list"
    assert portable_type(int | None) == "object"
    assert portable_type("str") == "string"
    assert portable_type("Optional[int]") == "object"
    assert portable_type(object) == "object"


def test_activity_type_rule() -> None:
    def check() -> None:
        pass

    def restart_it() -> None:
        pass

    assert activity_type("a.probes", restart_it) == "probe"
    assert activity_type("a.actions", check) == "action"
    assert activity_type("a.actions_x", check) == "action"
    assert activity_type("a.misc", restart_it) == "action"
    assert activity_type("a.misc", check) == "probe"


def test_a_module_that_raises_is_one_line_exit_2(driver_path: Path) -> None:
    for package, module, error in [
        ("raisingdrv", "raisingdrv", "RuntimeError: needs a license file"),
        ("halfdrv", "halfdrv.probes", "ValueError: bad config"),
    ]:
        code, _, out = _discover(package)
        assert code == 2, out
        assert out.startswith(f'squall: cannot import "{module}": importing it raised {error}')
        assert out.count("\n") == 1 and "Traceback" not in out


def test_the_summary_counts_in_words(driver_path: Path) -> None:
    from squall.show import counted as _count

    assert [_count(1, "probe"), _count(3, "probe"), _count(0, "action")] == [
        "1 probe", "3 probes", "0 actions"
    ]  # fmt: skip
    assert _count(1, "activity", "activities") == "1 activity"
    (driver_path / "onedrv").mkdir()
    (driver_path / "onedrv" / "__init__.py").write_text('"""One."""\n')
    (driver_path / "onedrv" / "probes.py").write_text(
        '__all__ = ["alive"]\n\n\ndef alive() -> bool:\n    """Whether it is alive."""\n'
        "    return True\n"
    )
    code, _, out = _discover("onedrv")
    assert code == 0, out
    assert "discovery.json: 1 activity (1 probe, 0 actions)" in out
    for name in [n for n in sys.modules if n.split(".")[0] == "onedrv"]:
        del sys.modules[name]
