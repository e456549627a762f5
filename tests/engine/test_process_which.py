"""The process provider finds programs as ``shutil.which`` does, without importing shutil
(which imports bz2, lzma, zlib and fnmatch for a run that needs none of them)."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from squall.providers.process import which


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """bin1: tool (executable), plain (not executable), both (not executable);
    bin2: both (executable), tool (executable, shadowed by bin1's), a directory 'dir'."""
    for folder, name, mode in [
        ("bin1", "tool", 0o755),
        ("bin1", "plain", 0o644),
        ("bin1", "both", 0o644),
        ("bin2", "both", 0o755),
        ("bin2", "tool", 0o755),
    ]:
        path = tmp_path / folder / name
        path.parent.mkdir(exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(mode)
    (tmp_path / "bin2" / "dir").mkdir()
    (tmp_path / "bin2" / "dir").chmod(0o755 | stat.S_IFDIR)
    return tmp_path


NAMES = ["tool", "plain", "both", "dir", "missing", "sh", "true", "bin1/tool", "bin1/plain"]


@pytest.mark.parametrize(
    "path",
    [
        "{t}/bin1:{t}/bin2",
        "{t}/bin2:{t}/bin1",
        "{t}/bin1::{t}/bin2",  # an empty entry: the current directory
        "{t}/bin1:{t}/bin1:/bin:/usr/bin",
        "",
        ":",
        None,  # no PATH at all: the system's default search path
    ],
)
@pytest.mark.parametrize("name", NAMES)
def test_which_answers_as_shutil_which(
    tree: Path, name: str, path: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tree)
    if path is None:
        monkeypatch.delenv("PATH", raising=False)
    else:
        monkeypatch.setenv("PATH", path.format(t=tree))
    for candidate in (name, str(tree / name), f"./{name}"):
        assert which(candidate) == shutil.which(candidate), (candidate, os.environ.get("PATH"))


def test_the_answers_are_not_all_the_same(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the comparison above is not vacuous: found, shadowed and refused cases all occur
    monkeypatch.setenv("PATH", f"{tree}/bin1:{tree}/bin2")
    assert which("tool") == f"{tree}/bin1/tool"
    assert which("both") == f"{tree}/bin2/both"
    assert which("plain") is None
    assert which("dir") is None
    assert which(str(tree / "bin1" / "plain")) is None
