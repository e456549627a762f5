"""The committed corpus is what gen_corpus.py writes, and it is big and varied enough."""

from __future__ import annotations

import json
from pathlib import Path

import gen_corpus
import pytest

pytestmark = pytest.mark.conformance


def test_committed_files_match_the_generator(tmp_path: Path) -> None:
    gen_corpus.main(["--out", str(tmp_path)])
    generated = {p.name for p in tmp_path.glob("*") if p.suffix in gen_corpus.SUFFIXES}
    committed = {
        p.name for p in gen_corpus.EXPERIMENTS.glob("*") if p.suffix in gen_corpus.SUFFIXES
    }
    assert committed == generated - {"cases.json"}, "rerun tests/conformance/gen_corpus.py"
    for name in sorted(committed):
        assert (gen_corpus.EXPERIMENTS / name).read_text() == (tmp_path / name).read_text(), (
            f"{name} differs from the generator's output: rerun tests/conformance/gen_corpus.py"
        )
    assert gen_corpus.CASES_FILE.read_text() == (tmp_path / "cases.json").read_text()


def test_corpus_size_and_formats() -> None:
    cases = json.loads(gen_corpus.CASES_FILE.read_text())
    assert len(cases) >= 120
    files = {c["experiment"] for c in cases}
    assert all((gen_corpus.EXPERIMENTS / f).exists() for f in files)
    assert sum(f.endswith(".yaml") for f in files) >= 3
    assert sum(f.endswith(".json") for f in files) >= 100
    # signals, settings, var files and environment all take part
    assert sum("signal" in c for c in cases) >= 5
    assert any("settings" in c for c in cases)
    assert any("--var-file" in c.get("args", []) for c in cases)
    assert any(c.get("command") == "validate" for c in cases)
