"""Destructive actions touch only files inside the allow-list (issue 10, items 15, 16, 19).

Each test first builds the situation that got past the old deny-list, in the test's own
temporary directory: a world-writable sticky directory standing for ``/var/tmp``, a home
directory (``HOME`` points into the temporary directory), a "protected" file outside the
allowed directory with a hard link or a symbolic link to it inside, and checks that the
action refuses and that nothing outside the allowed directory changed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from squall import ActivityFailed
from squall.drivers import _beneath
from squall.drivers._safety import check_path, chmod_beneath, open_beneath
from squall.drivers._state import StateStore
from squall.drivers.host.files import break_logging, restore_logging
from squall.drivers.security.actions_files import (
    loosen_permissions,
    plant_canary_secret,
    remove_canary_secret,
    restore_permissions,
)

from sqharness import run_squall


def mode(path: Path) -> int:
    return path.lstat().st_mode & 0o7777


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """``allowed/`` (the only allowed directory), ``outside/protected.key`` (0600), and a
    home directory ``home/`` that ``HOME`` points to."""
    allowed, outside, home = tmp_path / "allowed", tmp_path / "outside", tmp_path / "home"
    for directory in (allowed, outside, home):
        directory.mkdir()
    protected = outside / "protected.key"
    protected.write_text("secret\n")
    protected.chmod(0o600)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("SQUALL_ALLOWED_PATHS", str(allowed))
    return {"allowed": allowed, "outside": outside, "home": home, "protected": protected}


# -- item 15: read-only logging never chmods a parent directory ---------------------------


def test_read_only_logging_changes_the_log_only_never_its_sticky_directory(
    tree: dict[str, Path],
) -> None:
    var_tmp = tree["allowed"] / "var" / "tmp"  # stands for /var/tmp: 1777
    var_tmp.mkdir(parents=True)
    var_tmp.chmod(0o1777)
    log = var_tmp / "x.log"
    log.write_text("line\n")
    log.chmod(0o644)
    result = break_logging(str(log))
    assert mode(var_tmp) == 0o1777, "the directory must never be chmodded"
    assert mode(log) == 0o444
    assert result["modes"] == {str(log.resolve()): "0o644"}
    assert restore_logging(str(log))["restored"]
    assert mode(log) == 0o644 and mode(var_tmp) == 0o1777


def test_read_only_logging_in_the_home_directory_is_refused_and_home_untouched(
    tree: dict[str, Path],
) -> None:
    home = tree["home"]
    home.chmod(0o755)
    (home / "x.log").write_text("")
    with pytest.raises(ActivityFailed, match="not inside an allowed directory"):
        break_logging("~/x.log")
    assert mode(home) == 0o755 and mode(home / "x.log") & 0o200


def test_read_only_logging_refuses_a_missing_log_rather_than_its_directory(
    tree: dict[str, Path],
) -> None:
    logs = tree["allowed"] / "logs"
    logs.mkdir(mode=0o755)
    with pytest.raises(ActivityFailed, match="does not exist"):
        break_logging(str(logs / "absent.log"))
    assert mode(logs) == 0o755


# -- item 16: hard links ------------------------------------------------------------------


def test_a_hard_link_to_a_protected_file_is_refused_by_every_file_action(
    tree: dict[str, Path],
) -> None:
    link = tree["allowed"] / "link.key"
    os.link(tree["protected"], link)
    with pytest.raises(ActivityFailed, match="2 hard links"):
        loosen_permissions(str(link))
    with pytest.raises(ActivityFailed, match="2 hard links"):
        break_logging(str(link))
    with pytest.raises(ActivityFailed, match="2 hard links"):
        break_logging(str(link), method="move")
    with pytest.raises(ActivityFailed, match="2 hard links"):
        plant_canary_secret(str(tree["allowed"]), "link.key", append=True)
    assert mode(tree["protected"]) == 0o600
    assert tree["protected"].read_text() == "secret\n" and link.exists()


def test_a_file_swapped_for_a_hard_link_before_the_rollback_is_not_chmodded(
    tree: dict[str, Path], squall_env: dict[str, str]
) -> None:
    key = tree["allowed"] / "server.key"
    key.write_text("k")
    key.chmod(0o600)
    loosen_permissions(str(key))
    assert mode(key) == 0o644
    # someone puts a hard link to a protected file in its place (the original is kept
    # aside, so that its inode number cannot be reused by the files made below)
    key.rename(tree["allowed"] / "original.key")
    os.link(tree["protected"], key)
    tree["protected"].chmod(0o640)
    with pytest.raises(ActivityFailed, match="hard links"):
        restore_permissions(str(key))
    assert mode(tree["protected"]) == 0o640
    key.unlink()
    key.write_text("new file, same name")  # not the file squall changed either
    key.chmod(0o644)
    with pytest.raises(ActivityFailed, match="replaced since squall recorded it"):
        restore_permissions(str(key))
    assert mode(key) == 0o644
    store = StateStore(Path(squall_env["state_dir"]))
    for record in store.records():  # the record was kept for another attempt
        store.remove(record)


# -- symbolic links -----------------------------------------------------------------------


def test_symbolic_links_out_of_or_into_the_allowed_tree_are_refused(
    tree: dict[str, Path],
) -> None:
    allowed = tree["allowed"]
    out = allowed / "out.key"
    out.symlink_to(tree["protected"])
    with pytest.raises(ActivityFailed, match="through a symbolic link"):
        loosen_permissions(str(out))
    parent = allowed / "sub"
    parent.symlink_to(tree["outside"], target_is_directory=True)
    with pytest.raises(ActivityFailed, match="through a symbolic link"):
        loosen_permissions(str(parent / "protected.key"))
    with pytest.raises(ActivityFailed, match="through a symbolic link"):
        plant_canary_secret(str(parent))
    inside = allowed / "real.key"
    inside.write_text("x")
    inside.chmod(0o600)
    into = tree["outside"] / "into.key"
    into.symlink_to(inside)
    with pytest.raises(ActivityFailed, match="not inside an allowed directory"):
        loosen_permissions(str(into))
    assert mode(tree["protected"]) == 0o600 and mode(inside) == 0o600
    assert sorted(p.name for p in tree["outside"].iterdir()) == ["into.key", "protected.key"]
    alias = allowed / "alias.key"  # inside -> inside is fine: the real file is changed
    alias.symlink_to(inside)
    assert loosen_permissions(str(alias))["path"] == str(inside.resolve())
    assert mode(inside) == 0o644
    assert restore_permissions(str(alias))["restored"] and mode(inside) == 0o600


def test_a_link_swapped_in_after_the_check_is_not_followed(
    tree: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: the path passed the check, then a directory became a link out. The
    descriptor walk (O_NOFOLLOW at each step) refuses instead of following it."""
    sub = tree["allowed"] / "sub"
    sub.mkdir()
    target = sub / "protected.key"
    target.write_text("x")
    checked = check_path(target)
    target.unlink()
    sub.rmdir()
    sub.symlink_to(tree["outside"], target_is_directory=True)
    monkeypatch.setattr(_beneath, "check_path", lambda *args, **kwargs: checked)
    with pytest.raises(ActivityFailed, match="without following a link"):
        chmod_beneath(target, 0o666)
    assert mode(tree["protected"]) == 0o600
    final = tree["allowed"] / "final.key"  # the last component a link: refused too
    final.symlink_to(tree["protected"])
    monkeypatch.setattr(_beneath, "check_path", lambda *args, **kwargs: final)
    with pytest.raises(ActivityFailed, match="symbolic link now"):
        chmod_beneath(final, 0o666)
    assert mode(tree["protected"]) == 0o600


# -- item 19: an allow-list, not a deny-list ----------------------------------------------


def test_the_old_deny_list_gaps_are_refused(tree: dict[str, Path]) -> None:
    ssh = tree["home"] / ".ssh"
    ssh.mkdir()
    (ssh / "authorized_keys").write_text("")
    for path in ("~/.ssh/authorized_keys", "~/.bashrc", "/tmp", "/root/.bashrc", "/"):
        with pytest.raises(ActivityFailed, match="refusing"):
            check_path(path, must_exist=False)
    with pytest.raises(ActivityFailed, match="allowed directory itself"):
        loosen_permissions(str(tree["allowed"]))


@pytest.mark.parametrize("entry", ["/", "/tmp", "/var", "~", "HOME_PARENT", "/proc/self"])
def test_an_allowed_directory_that_is_too_broad_is_refused(
    tree: dict[str, Path], monkeypatch: pytest.MonkeyPatch, entry: str
) -> None:
    entry = str(tree["home"].parent) if entry == "HOME_PARENT" else entry
    monkeypatch.setenv("SQUALL_ALLOWED_PATHS", entry)
    with pytest.raises(ActivityFailed, match="too broad"):
        check_path(tree["allowed"] / "x", must_exist=False)
    with pytest.raises(ActivityFailed, match="too broad"):
        check_path(tree["allowed"] / "x", {"squall_allowed_paths": [entry]}, must_exist=False)


def test_allowed_by_configuration_key_or_as_the_demo_directory(
    tree: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SQUALL_ALLOWED_PATHS")
    other = tree["outside"] / "site"
    other.mkdir()
    with pytest.raises(ActivityFailed, match=r"Allowed directories: .*demo's state directory"):
        plant_canary_secret(str(other))
    configuration = {"squall_allowed_paths": [str(tree["outside"])]}
    planted = plant_canary_secret(str(other), configuration=configuration)
    assert Path(planted["path"]).exists()
    assert remove_canary_secret(str(other), configuration=configuration)["restored"]
    monkeypatch.setenv("SQUALL_DEMO_DIR", str(tree["outside"]))  # the default allow-list
    planted = plant_canary_secret(str(other))
    assert remove_canary_secret(str(other))["restored"]

    assert list(other.iterdir()) == []


def test_open_beneath_refuses_devices_and_fifos(tree: dict[str, Path]) -> None:
    fifo = tree["allowed"] / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ActivityFailed, match="not a regular file"), open_beneath(fifo):
        pass
    with pytest.raises(ActivityFailed, match="not a regular file"):
        loosen_permissions(str(fifo))


def test_the_refusal_shown_in_the_safety_page_is_the_real_one(
    tree: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/safety.md shows the message for ~/.ssh/authorized_keys with no setting (HOME
    written as /home/me): the same situation gives the same text."""
    for name in ("SQUALL_ALLOWED_PATHS", "SQUALL_DEMO_DIR", "XDG_STATE_HOME"):
        monkeypatch.delenv(name, raising=False)
    page = (Path(__file__).parents[3] / "docs" / "safety.md").read_text()
    shown = page.split("```text\n", 1)[1].split("\n```", 1)[0]
    with pytest.raises(ActivityFailed) as refused:
        loosen_permissions("~/.ssh/authorized_keys")
    assert str(refused.value).replace(str(tree["home"]), "/home/me") == shown


# -- file edits (config, keys, canaries) go through the same descriptors -------------------


def test_an_edit_rollback_never_follows_a_directory_swapped_for_a_link_out(
    tree: dict[str, Path], squall_env: dict[str, str]
) -> None:
    site = tree["allowed"] / "site"
    site.mkdir()
    plant_canary_secret(str(site))
    decoy = tree["outside"] / "canary.env"  # what a link out would make squall delete
    decoy.write_text("not squall's\n")
    site.rename(tree["allowed"] / "site.moved")
    site.symlink_to(tree["outside"], target_is_directory=True)
    # the rollback resolves the directory as it is now: outside, where squall planted
    # nothing, so it deletes nothing (and keeps its record); the decoy is untouched
    assert remove_canary_secret(str(site))["restored"] is False
    assert decoy.read_text() == "not squall's\n"
    site.unlink()
    (tree["allowed"] / "site.moved").rename(site)
    assert remove_canary_secret(str(site))["restored"]  # the record was kept
    assert list(site.iterdir()) == []


def test_an_edit_rollback_refuses_a_file_swapped_for_a_hard_link(tree: dict[str, Path]) -> None:
    from squall.drivers.security.actions_files import (
        add_vulnerable_dependency,
        remove_vulnerable_dependency,
    )

    requirements = tree["allowed"] / "requirements.txt"
    requirements.write_text("requests==2.32.0\n")
    add_vulnerable_dependency(str(requirements))
    requirements.rename(tree["allowed"] / "requirements.kept")
    os.link(tree["protected"], requirements)
    with pytest.raises(ActivityFailed, match="2 hard links"):
        remove_vulnerable_dependency(str(requirements))
    assert tree["protected"].read_text() == "secret\n" and mode(tree["protected"]) == 0o600
    requirements.unlink()
    (tree["allowed"] / "requirements.kept").rename(requirements)
    assert remove_vulnerable_dependency(str(requirements))["exact"]
    assert requirements.read_text() == "requests==2.32.0\n"


def test_a_write_after_the_check_does_not_follow_a_swapped_directory(
    tree: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from squall.drivers._beneath import write_beneath

    sub = tree["allowed"] / "conf"
    sub.mkdir()
    checked = check_path(sub / "protected.key", must_exist=False)
    sub.rmdir()
    sub.symlink_to(tree["outside"], target_is_directory=True)
    monkeypatch.setattr(_beneath, "check_path", lambda *args, **kwargs: checked)
    with pytest.raises(ActivityFailed, match="without following a link"):
        write_beneath(sub / "protected.key", b"overwritten")
    assert tree["protected"].read_text() == "secret\n"
    assert sorted(p.name for p in tree["outside"].iterdir()) == ["protected.key"]


def test_the_path_checks_import_nothing_heavy(tree: dict[str, Path]) -> None:
    """Every destructive action checks its paths: that must not import the demo (which
    pulls in httpx, ~0.5 s) or httpx itself."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from squall.drivers._safety import check_path\n"
        f"check_path({str(tree['allowed'] / 'x')!r}, must_exist=False)\n"
        "print(sorted(m for m in sys.modules if m.startswith(('squall.demo', 'httpx'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_a_refusal_lists_each_allowed_directory_once_with_every_source(
    tree: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the var file of `squall demo vars` names the demo's directory again: one entry
    monkeypatch.setenv("SQUALL_DEMO_DIR", str(tree["allowed"]))
    configuration = {"squall_allowed_paths": [str(tree["allowed"])]}
    with pytest.raises(ActivityFailed) as refused:
        plant_canary_secret(str(tree["outside"]), configuration=configuration)
    listed = str(refused.value).split("Allowed directories: ")[1].split(". Allow another")[0]
    assert listed == (
        f"{tree['allowed']} (the demo's state directory, configuration "
        '"squall_allowed_paths", SQUALL_ALLOWED_PATHS)'
    )


def test_a_path_that_still_holds_a_placeholder_says_so(tree: dict[str, Path]) -> None:
    """A security example run without its var file sends "${config_file}" on as text (as
    the Chaos Toolkit does); the refusal named the allow-list and how to widen it, which
    is not the fix. It names the placeholder nobody defined and how to give it."""
    for folder in ("outside", "allowed"):
        with pytest.raises(ActivityFailed) as refused:
            check_path(str(tree[folder] / "${config_file}"), must_exist=False)
        message = str(refused.value)
        assert "still holds ${config_file}, which nothing defined" in message
        assert "--var or --var-file" in message and "squall_allowed_paths" not in message
    # a real path outside the allow-list keeps its message
    with pytest.raises(ActivityFailed, match=r"not inside an allowed directory\. Allowed"):
        check_path(str(tree["protected"]))


def test_a_security_example_without_its_var_file_says_what_is_missing(tmp_path: Path) -> None:
    """The run a newcomer makes when they forget --var-file demo-vars.json."""
    example = Path(__file__).resolve().parents[3] / "examples" / "security"
    done = run_squall(
        "run", str(example / "revoked-token-refused.yaml"), "--no-history", cwd=tmp_path
    )
    assert done.returncode == 3, done.stderr
    verdict = next(line for line in done.stderr.splitlines() if "BROKEN" in line)
    assert "still holds ${config_file}, which nothing defined" in verdict, verdict
    assert "squall_allowed_paths" not in verdict
