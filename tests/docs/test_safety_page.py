"""docs/safety.md shows real output: its masked-secrets run is what squall prints for
docs/examples/masked-secrets.json (run id and times aside), and nothing it writes holds
the secret."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from sqharness import subprocess_env
from sqhistory import stored_bytes

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "safety.md"
EXAMPLE = "docs/examples/masked-secrets.json"


def normal(text: str) -> list[str]:
    text = re.sub(r"\b[0-9a-f]{12}\b", "<id>", text)
    text = re.sub(r"\d+\.\d ms", "<ms>", text)
    return [line.rstrip() for line in text.strip().splitlines()]


def test_the_masking_example_is_real(tmp_path: Path) -> None:
    page = PAGE.read_text()
    start = page.index(f"\n$ squall run {EXAMPLE}\n") + len(EXAMPLE) + 15
    shown = page[start : page.index("```", start)]
    secret = json.loads((ROOT / EXAMPLE).read_text())["secrets"]["deploy"]["api_token"]
    (tmp_path / EXAMPLE).parent.mkdir(parents=True)
    (tmp_path / EXAMPLE).write_text((ROOT / EXAMPLE).read_text())  # the same relative path
    done = subprocess.run(
        [sys.executable, "-m", "squall", "--settings", str(tmp_path / "s.yaml"), "run", EXAMPLE],
        cwd=tmp_path,
        env=subprocess_env(SQUALL_HISTORY=str(tmp_path / "h.sqlite3")),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    text = (tmp_path / "journal.json").read_text()
    assert done.returncode == 4, done.stderr
    assert normal(done.stderr) == normal(shown)
    assert secret not in done.stderr + text + stored_bytes(tmp_path / "h.sqlite3").decode(
        "utf-8", "replace"
    )
    assert '"title": "Deploy with token ***"' in text
