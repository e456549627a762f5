"""file_permissions on real temp files with chosen modes."""

from __future__ import annotations

import os
import pwd

import pytest

from squall import ActivityFailed
from squall.drivers.security._pki import make_leaf
from squall.drivers.security.permissions import file_permissions, parse_mode


@pytest.fixture
def keydir(tmp_path):
    base = tmp_path / "tls"
    base.mkdir()
    leaf = make_leaf(None)
    leaf.write(base / "server.crt", base / "server.key")  # key written 0600
    (base / "server.crt").chmod(0o644)
    (base / "README").write_text("certs live here\n")
    return base


def test_locked_down_directory_is_ok(keydir):
    result = file_permissions(str(keydir), owner_uid=os.getuid())
    assert result["ok"] is True, result["problems"]
    assert [k["path"] for k in result["private_keys"]] == [str(keydir / "server.key")]
    assert result["private_keys"][0]["mode"] == "0600"
    assert result["scanned"] == 4


def test_loose_key_world_writable_and_setuid(keydir):
    (keydir / "server.key").chmod(0o644)
    disguised = keydir / "backup.txt"  # a key found by content, whatever its name
    disguised.write_bytes((keydir / "server.key").read_bytes())
    disguised.chmod(0o640)
    (keydir / "README").chmod(0o666)
    tool = keydir / "helper"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o4755)
    result = file_permissions(str(keydir))
    assert result["ok"] is False
    modes = {os.path.basename(k["path"]): k["mode"] for k in result["private_keys"]}
    assert modes == {"server.key": "0644", "backup.txt": "0640"}
    assert [w["path"] for w in result["world_writable"]] == [str(keydir / "README")]
    assert result["setuid"] == [
        {"path": str(tool), "mode": "4755", "setuid": True, "setgid": False, "allowed": False}
    ]
    allowed = file_permissions(
        str(keydir), max_key_mode="0644", setuid_allowed=[str(tool)], check_world_writable=False
    )
    assert allowed["ok"] is True, allowed["problems"]


def test_sticky_world_writable_directory_is_exempt(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    assert file_permissions(str(tmp_path))["ok"] is True
    shared.chmod(0o777)
    result = file_permissions(str(tmp_path))
    assert result["world_writable"] == [{"path": str(shared), "mode": "0777", "type": "directory"}]


def test_owner_mismatch(keydir):
    me = pwd.getpwuid(os.getuid()).pw_name
    assert file_permissions(str(keydir), owner=me)["ok"] is True
    other = file_permissions(str(keydir / "server.key"), owner_uid=os.getuid() + 1)
    assert other["ok"] is False and "owned by uid" in other["problems"][0]


def test_symlinks_are_not_followed(tmp_path, keydir):
    (keydir / "server.key").chmod(0o644)
    link_dir = tmp_path / "links"
    link_dir.mkdir()
    (link_dir / "key").symlink_to(keydir / "server.key")
    result = file_permissions(str(link_dir))
    assert result["ok"] is True and result["scanned"] == 1


def test_missing_path_and_truncation(tmp_path, keydir):
    missing = file_permissions(str(tmp_path / "nope"))
    assert missing["exists"] is False and missing["ok"] is False
    assert file_permissions(str(keydir), max_files=2)["truncated"] is True


def test_mode_parsing_and_bad_input():
    assert parse_mode("0600") == parse_mode(600) == parse_mode("0o600") == 0o600
    with pytest.raises(ActivityFailed, match="octal"):
        parse_mode("rw-------")
    with pytest.raises(ActivityFailed, match="unknown user"):
        file_permissions("/tmp", owner="no-such-user-squall")
