"""A page that includes a file (``--8<-- "docs/examples/x.json"``, rendered by mkdocs)
names it above the block, with a link for files under docs/: read as raw Markdown (on a
forge, in an editor), the include line alone shows nothing of the example."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
INCLUDE = re.compile(r'^\s*--8<-- "([^"]+)"\s*$')


def _includes() -> list[tuple[Path, int, str, list[str]]]:
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        lines = page.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            match = INCLUDE.match(line)
            if match:
                found.append((page, number, match.group(1), lines))
    return found


def test_every_included_file_is_named_and_linked_above_its_block() -> None:
    includes = _includes()
    assert len(includes) > 50
    missing = []
    for page, number, path, lines in includes:
        assert (ROOT / path).is_file(), f"{page}:{number + 1}: {path} does not exist"
        caption = lines[number - 3].strip() if number >= 3 else ""
        if path.startswith("docs/"):
            link = os.path.relpath(ROOT / path, page.parent)
            wanted = f"File: [`{path.removeprefix('docs/')}`]({link})"
        else:
            wanted = f"File: `{path}` (in the repository)"
        if caption != wanted:
            missing.append(f"{page.relative_to(ROOT)}:{number + 1}: {wanted}")
    assert not missing, "\n".join(missing)
