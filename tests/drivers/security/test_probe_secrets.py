"""exposed_secrets on planted canaries in temp dirs and on a real HTTP server."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from squall import ActivityFailed
from squall.drivers.security._pki import make_leaf
from squall.drivers.security.secrets import exposed_secrets, shannon_entropy

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
GITHUB = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
RANDOM = "q8Zt3LxV9mRk2WpN7sYc4HdF6jGb1"  # 29 distinct-ish characters, letters and digits

CLEAN = """\
import os

password = os.environ["DB_PASSWORD"]
def login(user: str, password: str) -> None:
    token = get_token(user)
# The quick brown fox jumps over the lazy dog, 1234567890 times.
"""


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(CLEAN)
    (tmp_path / "app" / "README.md").write_text("Nothing to see here.\n")
    (tmp_path / "app" / "logo.png").write_bytes(b"\x89PNG\0\0" + AWS_KEY.encode())
    return tmp_path


def test_clean_tree_is_ok(tree):
    result = exposed_secrets(paths=[str(tree / "app")])
    assert result["ok"] is True, result["findings"]
    assert result["files_scanned"] == 2
    assert result["skipped"] == [{"path": str(tree / "app" / "logo.png"), "reason": "binary"}]


def test_planted_secrets_are_found_and_redacted(tree):
    key_pem = make_leaf(None).key_pem().decode()
    (tree / "app" / "config.env").write_text(
        f"AWS_ACCESS_KEY_ID={AWS_KEY}\nDB_PASSWORD=hunter2\nGH={GITHUB}\nblob {RANDOM}\n"
    )
    (tree / "app" / "deploy.key").write_text(key_pem)
    (tree / "app" / ".git").mkdir()
    (tree / "app" / ".git" / "config").write_text(f"token={GITHUB}\n")  # excluded dir
    result = exposed_secrets(paths=[str(tree / "app")])
    assert result["ok"] is False
    kinds = {(f["kind"], f["line"]) for f in result["findings"]}
    assert kinds == {
        ("aws_access_key_id", 1),
        ("password_assignment", 2),
        ("github_token", 3),
        ("high_entropy", 4),
        ("private_key", 1),
    }
    text = json.dumps(result)
    for secret in (AWS_KEY, GITHUB, RANDOM, "hunter2"):
        assert secret not in text
    aws = next(f for f in result["findings"] if f["kind"] == "aws_access_key_id")
    assert aws["match"] == "AKIA…(20 chars)"
    assert aws["sha256"] == hashlib.sha256(AWS_KEY.encode()).hexdigest()[:16]


def test_kinds_ignore_values_and_missing_paths(tree):
    target = tree / "leak.txt"
    target.write_text(f"key {AWS_KEY}\n")
    only_pem = exposed_secrets(paths=[str(target)], kinds=["private_key"])
    assert only_pem["ok"] is True
    ignored = exposed_secrets(paths=[str(target)], ignore_values=[AWS_KEY])
    assert ignored["ok"] is True
    gone = exposed_secrets(paths=[str(tree / "nope")])
    assert gone["missing"] == [str(tree / "nope")] and gone["ok"] is True


def test_large_and_unreadable_files_are_skipped(tree):
    big = tree / "big.txt"
    big.write_text(AWS_KEY * 100)
    result = exposed_secrets(paths=[str(big)], max_file_bytes=100)
    assert result["ok"] is True and "larger than" in result["skipped"][0]["reason"]
    if os.geteuid() != 0:
        locked = tree / "locked.txt"
        locked.write_text(AWS_KEY)
        locked.chmod(0)
        assert exposed_secrets(paths=[str(locked)])["skipped"][0]["path"] == str(locked)


def test_http_leak_paths_and_bodies(serve, app_type):
    app = app_type(
        files={
            "/.env": (200, f"SECRET_KEY=Zx9Qw8Er7Ty6Ui5Op4As3\nAWS={AWS_KEY}\n"),
            "/.git/config": (200, "<!DOCTYPE html><html>app shell</html>"),
            "/page": (200, f"<p>debug: {GITHUB}</p>"),
        }
    )
    server = serve(app=app)
    result = exposed_secrets(base_url=server.url, urls=[server.url + "/page"])
    assert result["exposed_paths"] == [server.url + "/.env"]
    by_source = {(f["source"].rsplit("/", 1)[1], f["kind"]) for f in result["findings"]}
    assert by_source == {
        (".env", "generic_secret"),
        (".env", "aws_access_key_id"),
        ("page", "github_token"),
    }
    statuses = {r["url"].rsplit("/", 1)[1]: r["status"] for r in result["responses"]}
    assert statuses["config"] == 200 and statuses["id_rsa"] == 404
    assert result["ok"] is False

    clean = exposed_secrets(base_url=serve().url, leak_paths=["/.env", "/.git/config"])
    assert clean["ok"] is True and clean["exposed_paths"] == []


def test_bad_input():
    with pytest.raises(ActivityFailed, match="at least one"):
        exposed_secrets()
    with pytest.raises(ActivityFailed, match="unknown kinds"):
        exposed_secrets(paths=["."], kinds=["telepathy"])
    with pytest.raises(ActivityFailed, match="non-loopback"):
        exposed_secrets(base_url="http://10.0.0.1/")


def test_entropy():
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == 2.0
