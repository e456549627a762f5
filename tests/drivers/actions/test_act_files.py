"""plant_canary_secret, loosen_permissions, add_vulnerable_dependency and break_logging."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from act_harness import Target, snapshot_tree

from squall import ActivityFailed
from squall.drivers.host.files import break_logging, restore_logging
from squall.drivers.security.actions_files import (
    add_vulnerable_dependency,
    loosen_permissions,
    plant_canary_secret,
    remove_canary_secret,
    remove_vulnerable_dependency,
    restore_permissions,
)


@pytest.mark.parametrize(
    ("kind", "pattern"),
    [("aws", r"AKIA[0-9A-Z]{16}"), ("github", r"ghp_[A-Za-z0-9]{36}"), ("generic", r"squall-")],
)
def test_plant_canary_secret_then_remove(
    tmp_path: Path, squall_env: dict[str, str], kind: str, pattern: str
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("print('hi')\n")
    before = snapshot_tree(repo)
    result = plant_canary_secret(str(repo), kind=kind)
    text = (repo / "canary.env").read_text()
    assert re.search(pattern, text) and re.fullmatch(pattern + ".*", result["canary_id"])
    assert squall_env["run_id"] in text and result["token"] in text
    assert f"SQUALL_CANARY_RUN_ID={squall_env['run_id']}" in text, "scanners read the run id as is"
    assert "NOT a real credential" in text
    assert result["created"] is True
    undone = remove_canary_secret(str(repo))
    assert undone["restored"]
    assert snapshot_tree(repo) == before


def test_plant_canary_secret_appends_to_an_existing_file_and_refuses_overwrite(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    served = site / "index.html"
    served.write_bytes(b"<html>hello</html>")  # no final newline
    os.chmod(served, 0o640)
    before = snapshot_tree(site)
    with pytest.raises(ActivityFailed, match="refusing to overwrite"):
        plant_canary_secret(str(site), "index.html")
    result = plant_canary_secret(str(site), "index.html", append=True)
    assert result["created"] is False
    assert served.read_bytes().startswith(b"<html>hello</html>\n# squall canary")
    remove_canary_secret(str(site), "index.html")
    assert snapshot_tree(site) == before
    with pytest.raises(ActivityFailed, match="plain file name"):
        plant_canary_secret(str(site), "../escape.env")
    with pytest.raises(ActivityFailed, match="not inside an allowed directory"):
        plant_canary_secret("/etc")
    with pytest.raises(ActivityFailed, match="not inside an allowed directory"):
        plant_canary_secret("/")


def test_loosen_permissions_on_a_key_and_a_directory(tmp_path: Path) -> None:
    key = tmp_path / "server.key"
    key.write_text("secret")
    os.chmod(key, 0o600)
    folder = tmp_path / "private"
    folder.mkdir(mode=0o700)
    os.chmod(folder, 0o700)

    result = loosen_permissions(str(key))
    assert result["old_mode"] == "0o600" and result["new_mode"] == "0o644"
    assert key.stat().st_mode & 0o7777 == 0o644
    loosen_permissions(str(folder))
    assert folder.stat().st_mode & 0o7777 == 0o777
    with pytest.raises(ActivityFailed, match="already injected"):
        loosen_permissions(str(key), "0666")

    assert restore_permissions(str(key))["mode"] == "0o600"
    assert restore_permissions(str(folder))["restored"]
    assert key.stat().st_mode & 0o7777 == 0o600
    assert folder.stat().st_mode & 0o7777 == 0o700
    assert restore_permissions(str(key))["restored"] is False


def test_loosen_permissions_rollback_from_another_process(
    tmp_path: Path, squall_env: dict[str, str]
) -> None:
    key = tmp_path / "k.pem"
    key.write_text("x")
    os.chmod(key, 0o400)
    loosen_permissions(str(key), "0o666")
    code = "import sys; from squall.drivers.security.actions_files import restore_permissions as r; print(r(sys.argv[1]))"
    subprocess.run([sys.executable, "-c", code, str(key)], check=True, capture_output=True)
    assert key.stat().st_mode & 0o7777 == 0o400


def test_loosen_permissions_refusals(tmp_path: Path) -> None:
    key = tmp_path / "k"
    key.write_text("x")
    os.chmod(key, 0o644)
    with pytest.raises(ActivityFailed, match="nothing to inject"):
        loosen_permissions(str(key))
    with pytest.raises(ActivityFailed, match="octal"):
        loosen_permissions(str(key), "rwx")
    with pytest.raises(ActivityFailed, match="does not exist"):
        loosen_permissions(str(tmp_path / "missing"))
    with pytest.raises(ActivityFailed, match="not inside an allowed directory"):
        loosen_permissions("/usr/bin/env")
    with pytest.raises(ActivityFailed, match="not inside an allowed directory"):
        loosen_permissions(str(Path.home()))
    with pytest.raises(ActivityFailed, match="allowed directory itself"):
        loosen_permissions(str(tmp_path))


def test_add_vulnerable_dependency_replaces_a_pin_then_restores(
    tmp_path: Path, squall_env: dict[str, str]
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("flask==3.0.0\nRequests[socks] >= 2.31 ; python_version>'3'\nrich\n")
    before = requirements.read_bytes()
    result = add_vulnerable_dependency(str(requirements))
    lines = requirements.read_text().splitlines()
    assert lines[0] == "flask==3.0.0" and lines[2] == "rich"
    assert lines[1].startswith("requests==2.19.1  # squall")
    assert "CVE-2018-18074" in lines[1] and squall_env["run_id"] in lines[1]
    assert result["advisory"] == "CVE-2018-18074"
    assert remove_vulnerable_dependency(str(requirements))["exact"]
    assert requirements.read_bytes() == before


def test_add_vulnerable_dependency_appends_to_requirements_and_lock(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.in"
    requirements.write_text("flask")
    add_vulnerable_dependency(str(requirements), "urllib3")
    assert requirements.read_text().splitlines()[-1].startswith("urllib3==1.24.1")
    remove_vulnerable_dependency(str(requirements))
    assert requirements.read_text() == "flask"

    lock = tmp_path / "uv.lock"
    lock.write_text('version = 1\n\n[[package]]\nname = "flask"\nversion = "3.0.0"\n')
    before = lock.read_bytes()
    add_vulnerable_dependency(str(lock), "PyYAML")
    assert lock.read_text().endswith('name = "PyYAML"\nversion = "5.3"\n')
    remove_vulnerable_dependency(str(lock))
    assert lock.read_bytes() == before

    with pytest.raises(ActivityFailed, match="give version"):
        add_vulnerable_dependency(str(requirements), "left-pad")
    bad = tmp_path / "pyproject.toml"
    bad.write_text("[project]\nname = 'x'\n")
    with pytest.raises(ActivityFailed, match="not a lock file"):
        add_vulnerable_dependency(str(bad))


def _nobody_can_append(path: Path) -> bool | None:
    """Whether an unprivileged user can append to ``path`` (None: cannot test here)."""
    if os.geteuid() != 0:
        try:
            with path.open("a"):
                return True
        except PermissionError:
            return False
    try:
        proc = subprocess.run(
            ["/bin/sh", "-c", ': >> "$1"', "sh", str(path)],
            user=65534,
            check=False,
            capture_output=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.returncode == 0


@pytest.fixture
def open_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory under /tmp that an unprivileged user can reach (tmp_path cannot); it is
    the allowed directory of the test."""
    base = Path(tempfile.mkdtemp(prefix="squall-test-"))
    os.chmod(base, 0o755)
    monkeypatch.setenv("SQUALL_ALLOWED_PATHS", str(base))
    try:
        yield base
    finally:
        for path in [base, *base.rglob("*")]:
            if path.is_dir():
                os.chmod(path, 0o755)
        shutil.rmtree(base)


def test_break_logging_read_only_then_restore(open_dir: Path) -> None:
    logs = open_dir / "logs"
    logs.mkdir()
    log = logs / "audit.log"
    log.write_text("line\n")
    os.chmod(logs, 0o777)
    os.chmod(log, 0o666)
    before = snapshot_tree(logs)
    usable = _nobody_can_append(log)

    result = break_logging(str(log))
    assert result["method"] == "read-only"
    assert logs.stat().st_mode & 0o777 == 0o777  # the directory is never touched
    assert log.stat().st_mode & 0o777 == 0o444
    if usable is not None:
        assert usable is True
        assert _nobody_can_append(log) is False
        # documented limit: a writer that rotates (creates a new file) is not stopped
        assert _nobody_can_append(logs / "rotated.log") is True
        (logs / "rotated.log").unlink()

    assert restore_logging(str(log))["restored"]
    assert snapshot_tree(logs) == before
    if usable is not None:
        assert _nobody_can_append(log) is True


def test_break_logging_read_only_refuses_a_root_writer(target: Target) -> None:
    if os.geteuid() != 0:
        pytest.skip("the target runs as root only when the tests do")
    with pytest.raises(ActivityFailed, match="runs as root"):
        break_logging(config_file=str(target.config_file), pid=target.pid)


def test_break_logging_move_then_restore_keeps_new_lines(target: Target) -> None:
    log = target.path("log_file")
    target.request("/state")
    original = log.read_bytes()
    result = break_logging(config_file=str(target.config_file), method="move")
    moved = Path(result["moved_to"])
    assert not log.exists() and moved.read_bytes() == original
    target.request("/state")  # the target writes a new log meanwhile
    written = log.read_bytes()
    assert written

    undone = restore_logging(config_file=str(target.config_file))
    assert undone["restored"] and not moved.exists()
    assert log.read_bytes() == original + written
    with pytest.raises(ActivityFailed, match="method"):
        break_logging(str(log), method="fill")
