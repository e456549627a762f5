"""vulnerable_dependencies against offline advisory files, lock files and fake metadata."""

from __future__ import annotations

import importlib.metadata
import json

import pytest

from squall import ActivityFailed
from squall.drivers.security._versions import matches, version_key
from squall.drivers.security.dependencies import vulnerable_dependencies

ADVISORIES = {
    "advisories": [
        {
            "id": "SQ-0001",
            "package": "Requests",
            "affected": ["<2.31.0"],
            "fixed": "2.31.0",
            "severity": "high",
            "summary": "Proxy-Authorization header leak",
        },
        {"id": "SQ-0002", "package": "pyyaml", "affected": [">=5.1,<5.4"], "severity": "critical"},
        {"id": "SQ-0003", "package": "jinja2", "versions": ["3.1.2"], "severity": "low"},
        {"id": "SQ-0004", "package": "urllib3", "affected": ["==1.26.*"], "severity": "medium"},
    ]
}


@pytest.fixture
def advisories(tmp_path):
    path = tmp_path / "advisories.json"
    path.write_text(json.dumps(ADVISORIES))
    return str(path)


def test_requirements_file(tmp_path, advisories):
    reqs = tmp_path / "requirements.txt"
    reqs.write_text(
        "# pinned\n"
        "requests==2.30.0 \\\n    --hash=sha256:abc\n"
        "PyYAML[libyaml]==5.3.1 ; python_version >= '3.8'\n"
        "jinja2==3.1.2\n"
        "urllib3==2.0.7\n"
        "flask>=2\n"
        "-r other.txt\n"
    )
    result = vulnerable_dependencies(advisories, requirements=str(reqs))
    found = {(v["package"], v["id"]) for v in result["vulnerable"]}
    assert found == {("requests", "SQ-0001"), ("pyyaml", "SQ-0002"), ("jinja2", "SQ-0003")}
    assert result["unpinned"] == ["flask"] and result["checked"] == 4
    assert "requests 2.30.0 is affected by SQ-0001 (high); fixed in 2.31.0" in result["problems"]
    assert result["ok"] is False

    high = vulnerable_dependencies(
        advisories, requirements=str(reqs), min_severity="high", ignore=["SQ-0002"]
    )
    assert [v["id"] for v in high["vulnerable"]] == ["SQ-0001"]
    assert [v["id"] for v in high["below_threshold"]] == ["SQ-0003"]
    assert high["ignored"] == ["SQ-0002"]


def test_fixed_versions_are_ok(tmp_path, advisories):
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("requests==2.31.0\npyyaml==5.4\njinja2==3.1.3\nurllib3==1.25.11\n")
    result = vulnerable_dependencies(advisories, requirements=str(reqs))
    assert result["ok"] is True and result["vulnerable"] == []


def test_lock_files(tmp_path, advisories):
    poetry = tmp_path / "poetry.lock"
    poetry.write_text(
        '[[package]]\nname = "urllib3"\nversion = "1.26.18"\n\n'
        '[[package]]\nname = "requests"\nversion = "2.32.0"\n'
    )
    result = vulnerable_dependencies(advisories, requirements=str(poetry))
    assert [(v["package"], v["version"]) for v in result["vulnerable"]] == [("urllib3", "1.26.18")]
    pipfile = tmp_path / "Pipfile.lock"
    pipfile.write_text(json.dumps({"default": {"requests": {"version": "==2.0.0"}}}))
    assert vulnerable_dependencies(advisories, requirements=str(pipfile))["ok"] is False


def test_fake_installed_distribution(tmp_path, advisories):
    site = tmp_path / "site"
    info = site / "requests-2.25.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: requests\nVersion: 2.25.0\n")
    result = vulnerable_dependencies(advisories, paths=[str(site)])
    assert result["source"] == "installed" and result["checked"] == 1
    assert [v["id"] for v in result["vulnerable"]] == ["SQ-0001"]


def test_this_environment(tmp_path):
    version = importlib.metadata.version("httpx")
    path = tmp_path / "adv.json"
    path.write_text(json.dumps([{"id": "X-1", "package": "httpx", "versions": [version]}]))
    result = vulnerable_dependencies(str(path))
    assert result["checked"] > 5
    assert result["vulnerable"][0]["severity"] == "unknown" and result["ok"] is False
    path.write_text(json.dumps([{"id": "X-1", "package": "httpx", "affected": ["<0.0.1"]}]))
    assert vulnerable_dependencies(str(path))["ok"] is True


def test_unreadable_ranges_and_bad_files(tmp_path):
    path = tmp_path / "adv.json"
    path.write_text(json.dumps([{"id": "X", "package": "pkg", "affected": ["about 1.0"]}]))
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("pkg==1.0\n")
    result = vulnerable_dependencies(str(path), requirements=str(reqs))
    assert result["unreadable"] and result["ok"] is True
    with pytest.raises(ActivityFailed, match="cannot read advisory"):
        vulnerable_dependencies(str(tmp_path / "missing.json"))
    path.write_text(json.dumps([{"id": "X", "package": "pkg"}]))
    with pytest.raises(ActivityFailed, match="no affected versions"):
        vulnerable_dependencies(str(path))
    with pytest.raises(ActivityFailed, match="min_severity"):
        vulnerable_dependencies(str(path), min_severity="apocalyptic")


@pytest.mark.parametrize(
    ("version", "spec", "expected"),
    [
        ("1.0", "==1.0.*", True),
        ("1", "==1.1.*", False),
        ("2.31.0rc1", "<2.31.0", True),
        ("1.0.dev1", "<1.0a1", True),
        ("1.0.post1", ">1.0", True),
        ("1.4.5", "~=1.4.2", True),
        ("1.5.0", "~=1.4.2", False),
        ("1!0.5", ">2", True),
        ("1.2.3+local", "==1.2.3", True),
        ("3.0.1", ">=3.0, <3.0.2", True),
        ("3.0.2", "!=3.0.2", False),
    ],
)
def test_version_matching(version, spec, expected):
    assert matches(version, spec) is expected


def test_version_key_rejects_garbage():
    assert version_key("not-a-version") is None
    with pytest.raises(ValueError):
        matches("1.0", "~=1")
