"""The injection state store and the safety checks shared by all actions."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from squall import ActivityFailed
from squall.drivers._safety import check_host, check_path, check_pid, check_url, resolve_pid
from squall.drivers._state import (
    StateStore,
    atomic_write,
    play_rollbacks,
    record_key,
    run_id,
    state_dir,
)
from squall.drivers.security.actions_endpoints import open_unexpected_port
from squall.drivers.security.actions_files import loosen_permissions, plant_canary_secret


def test_run_id_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert run_id({"squall_run_id": "from-config"}) == "from-config"
    monkeypatch.setenv("SQUALL_RUN_ID", "from-env")
    assert run_id({}) == "from-env"
    monkeypatch.delenv("SQUALL_RUN_ID")
    generated = run_id(None)
    assert generated.startswith("squall-") and run_id(None) == generated
    with pytest.raises(ActivityFailed, match="not usable"):
        run_id({"squall_run_id": "bad id; rm -rf"})


def test_state_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert state_dir({"squall_state_dir": str(tmp_path)}) == tmp_path
    monkeypatch.setenv("SQUALL_STATE_DIR", str(tmp_path / "env"))
    assert state_dir(None) == tmp_path / "env"
    monkeypatch.delenv("SQUALL_STATE_DIR")
    assert state_dir(None).parts[-2:] == ("squall", "injections")


def test_store_records_are_exclusive_atomic_and_listed(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s")
    record = store.create("k.one", "/a/b", {"x": 1}, rollback={"function": "m.f"})
    assert record.key == record_key("k.one", "/a/b") and record.key.startswith("k.one--a_b--")
    assert store.path(record.key).stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "s").stat().st_mode & 0o777 == 0o700
    # the message says what undoes it (the rollback its first run recorded)
    with pytest.raises(ActivityFailed, match=r"already injected .*roll it back first: m\.f undoes"):
        store.create("k.one", "/a/b", {}, rollback={})
    record.data["x"] = 2
    store.update(record)
    loaded = store.load("k.one", "/a/b")
    assert loaded is not None and loaded.data == {"x": 2} and loaded.rollback == {"function": "m.f"}
    store.artefact_dir(record.key).joinpath("f").write_text("x")
    assert [r.key for r in store.records()] == [record.key]
    store.remove(record)
    assert list(store.records()) == [] and list((tmp_path / "s").iterdir()) == []
    assert list((tmp_path / "s").glob(".*")) == []


def test_atomic_write_keeps_mode(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_text("old")
    os.chmod(path, 0o640)
    atomic_write(path, b"new")
    assert path.read_bytes() == b"new" and path.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_recover_plays_recorded_rollbacks_in_another_process(tmp_path: Path) -> None:
    """What ``squall recover`` does after a crash: read the records, call their rollbacks."""
    key = tmp_path / "server.key"
    key.write_text("k")
    os.chmod(key, 0o600)
    loosen_permissions(str(key))
    plant_canary_secret(str(tmp_path))
    port = open_unexpected_port()
    code = (
        "import json\n"
        "from squall.drivers._state import play_rollbacks\n"
        "print(json.dumps([e['result']['restored'] for e in play_rollbacks()]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [True, True, True]
    assert key.stat().st_mode & 0o777 == 0o600
    assert not (tmp_path / "canary.env").exists()
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", port["port"])),
    ):
        pass


@pytest.mark.parametrize(
    "path",
    ["/", "/etc/passwd", "/usr/lib", "/proc/self/environ", "/var/lib/dpkg", "/home", "~", "/root"],
)
def test_check_path_refuses_system_and_home_roots(path: str) -> None:
    with pytest.raises(ActivityFailed, match="refusing"):
        check_path(path, must_exist=False)


def test_check_path_refuses_the_python_installation_and_symlinks_into_etc(tmp_path: Path) -> None:
    with pytest.raises(ActivityFailed, match="not inside an allowed directory"):
        check_path(sys.executable)
    link = tmp_path / "innocent"
    link.symlink_to("/etc/hostname")
    with pytest.raises(ActivityFailed, match="symbolic link"):
        check_path(str(link))
    with pytest.raises(ActivityFailed, match="allowed directory itself"):
        check_path(str(tmp_path))
    inside = tmp_path / "inside"
    assert check_path(str(inside), must_exist=False) == inside.resolve()
    with pytest.raises(ActivityFailed, match="not inside an allowed directory"):
        check_path("/var/tmp", must_exist=False)


def test_check_host_loopback_by_default_allowlist_extends() -> None:
    assert check_host("127.0.0.1") == "127.0.0.1"
    assert check_host("127.0.0.2") == "127.0.0.2"
    assert check_host("::1") == "::1"
    assert check_host("localhost") in ("127.0.0.1", "::1")
    for host in ("10.1.2.3", "0.0.0.0", "8.8.8.8", "::ffff:8.8.8.8"):
        with pytest.raises(ActivityFailed, match="not loopback"):
            check_host(host)
    assert check_host("10.1.2.3", {"squall_allowed_networks": ["10.0.0.0/8"]}) == "10.1.2.3"
    with pytest.raises(ActivityFailed, match="not a network"):
        check_host("10.1.2.3", {"squall_allowed_networks": ["ten"]})
    with pytest.raises(ActivityFailed, match="not an http"):
        check_url("ftp://127.0.0.1/")
    with pytest.raises(ActivityFailed, match="not loopback"):
        check_url("https://192.0.2.1:8443/x")


def test_check_pid_rules(tmp_path: Path) -> None:
    for pid in (0, 1, -5):
        with pytest.raises(ActivityFailed, match="init"):
            check_pid(pid)
    with pytest.raises(ActivityFailed, match="own process"):
        check_pid(os.getpid())
    with pytest.raises(ActivityFailed, match="an ancestor of squall"):  # its parent
        check_pid(os.getppid())
    with pytest.raises(ActivityFailed, match="integer"):
        check_pid(True)
    pidfile = tmp_path / "p"
    pidfile.write_text("1\n")
    with pytest.raises(ActivityFailed, match="init"):
        resolve_pid(None, str(pidfile))
    with pytest.raises(ActivityFailed, match="not both"):
        resolve_pid(5, str(pidfile))


def test_play_rollbacks_refuses_foreign_functions_and_filters_runs(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s")
    config = {"squall_state_dir": str(tmp_path / "s")}
    store.create("x.evil", "t", {}, rollback={"function": "os.system", "arguments": {}})
    store.create(
        "x.other",
        "t",
        {},
        rollback={"function": "squall.drivers.nothing.here", "arguments": {}},
        configuration={"squall_run_id": "other-run"},
    )
    results = play_rollbacks(config)
    assert [r["kind"] for r in results] == ["x.other", "x.evil"]
    assert "ModuleNotFoundError" in results[0]["error"]
    assert "not in" in results[1]["error"]
    assert [r["kind"] for r in play_rollbacks(config, only_run="other-run")] == ["x.other"]
    for record in list(store.records()):  # failed rollbacks keep their records
        store.remove(record)
