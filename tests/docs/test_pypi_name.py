"""squall is not on PyPI: no page tells a reader to ``pip install squall`` (or
``'squall[extra]'``) by name, which would fetch whatever package a stranger published under
that name. Where a page names the command, it is to warn against it: the warning ("PyPI",
"package index") is in the same sentence, on that line or the two before it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BY_NAME = re.compile(r"""pip install\s+['"]?squall(\[[a-z,]+\])?['"]?(?!\s*@)(?=[\s`'"]|$)""")
WARNING = re.compile(r"PyPI|package index")


def _pages() -> list[Path]:
    return [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_no_page_installs_squall_by_name_from_an_index() -> None:
    found = []
    for page in _pages():
        lines = page.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if BY_NAME.search(line) and not WARNING.search(
                " ".join(lines[max(0, number - 2) : number + 1])
            ):
                found.append(f"{page.relative_to(ROOT)}:{number + 1}: {line.strip()}")
    assert not found, "\n".join(found)


def test_the_pattern_finds_an_install_by_name() -> None:
    assert BY_NAME.search("a plain `pip install squall` gets")
    assert BY_NAME.search("pip install 'squall[vault]'")
    assert not BY_NAME.search('pip install "squall @ git+https://example.org/squall"')
    assert not BY_NAME.search("pip install squall-extras")
