"""docs/reference/limits.md shows real output: each refused example's message is what
``squall validate`` prints for the YAML block the page shows just before it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from squall.cli import main

PAGE = Path(__file__).resolve().parents[2] / "docs" / "reference" / "limits.md"
EXAMPLE = re.compile(
    r"<!-- invalid -->\n```yaml\n(?P<doc>.*?)```\n\n(?:<!-- console: [^\n]* -->\n)?```console\n"
    r"\$ squall validate (?P<name>\S+)\n(?P<out>.*?)(?:\$ echo \$\?\n(?P<rc>\d+)\n)?```",
    re.S,
)


def test_the_pages_examples_are_real(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SQUALL_SETTINGS", str(tmp_path / "settings.yaml"))
    examples = list(EXAMPLE.finditer(PAGE.read_text()))
    assert len(examples) == 2
    for example in examples:
        (tmp_path / example["name"]).write_text(example["doc"])
        capsys.readouterr()
        assert main(["validate", example["name"]]) == int(example["rc"] or 2)
        assert capsys.readouterr().err == example["out"]
