"""The files of an example folder under docs/examples/, as its page shows them: what
the folder's own .gitignore names (the outputs of running it in place) is not one."""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path


def ignored(folder: Path) -> list[str]:
    """The patterns of the example's own .gitignore (its outputs are not its files)."""
    lines = (folder / ".gitignore").read_text(encoding="utf-8").splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip() and line[0] != "#"]


def example_files(folder: Path, shown_as: str) -> set[str]:
    """The example's files, as ``shown_as/<path in folder>`` (the path pages include,
    e.g. ``docs/examples/first-driver``); what its .gitignore names (a file name or a
    folder name pattern at any depth) and ``__pycache__`` are not among them."""
    patterns = [*ignored(folder), "__pycache__"]
    return {
        str(Path(shown_as) / p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file()
        and not any(fnmatch(part, pat) for part in p.relative_to(folder).parts for pat in patterns)
    }
