"""Reports (and the console, whose words they repeat) spell the names in a run's reasons
as JSON does, like every value (``squall.show_value``): ``activity "slow" failed``, never
Python's ``activity 'slow' failed``. A name holding a double quote shows the difference
best: Python wrote ``'say "hi"'``, JSON writes ``"say \\"hi\\""``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from squall.report.markdown import md

ODD = 'say "hi"'
SPELT = json.dumps(ODD)  # "say \"hi\""


def _experiment(gate: bool) -> dict[str, Any]:
    positive = {"type": "python", "module": "sqtest", "func": "is_positive"}
    value = -1 if gate else True
    echo = {"type": "python", "module": "sqtest", "func": "echo", "arguments": {"value": value}}
    probe = {"type": "probe", "name": ODD, "tolerance": True, "provider": echo}
    if gate:  # judged by a tolerance probe named ODD: missed, so nothing runs (exit 4)
        probe["tolerance"] = {"type": "probe", "name": ODD, "provider": positive}
    return {
        "title": "names",
        "description": "d",
        "steady-state-hypothesis": {"title": "h", "probes": [probe]},
        "method": [
            {"type": "action", "name": ODD, "timeout": 0.3,
             "provider": {"type": "process", "path": "sleep", "arguments": "5"}},
        ],
        "rollbacks": [{"type": "action", "name": "undo",
                       "provider": {"type": "process", "path": "false"}}],
    }  # fmt: skip


_FORMATS = {"markdown": "r.md", "html": "r.html", "junit": "r.xml", "json": "r.json"}
#: a name as Python's repr spells it, after a word that names it
_PYTHON = re.compile(r"(activity|probe|process|control) '[^']*'")


def _run(squall: Any, tmp_path: Path, gate: bool) -> tuple[str, dict[str, str]]:
    (tmp_path / "e.json").write_text(json.dumps(_experiment(gate)))
    reports = [arg for fmt, path in _FORMATS.items() for arg in ("--report", f"{fmt}:{path}")]
    result = squall("run", "--rollback-strategy", "always", "e.json", *reports)
    assert result.code == (4 if gate else 3), result.stderr
    texts = {fmt: (tmp_path / path).read_text() for fmt, path in _FORMATS.items()}
    for fmt, text in {**texts, "console": result.stderr}.items():
        text = text.replace("&#39;", "'").replace("&#x27;", "'")
        assert not _PYTHON.search(text), (fmt, _PYTHON.search(text))
    return result.stderr, texts


def _in_every_format(texts: dict[str, str], said: str, junit: bool = True) -> None:
    """In each report (JUnit has no verdict, only each entry's reason)."""
    assert md(said) in texts["markdown"]  # as Markdown escapes text
    assert json.dumps(said)[1:-1] in texts["json"]
    for fmt in ("html", "junit") if junit else ("html",):  # escaped as markup
        text = texts[fmt].replace("&#34;", '"').replace("&quot;", '"').replace("&#39;", "'")
        assert said in text, (fmt, said)


def test_a_failed_activity_is_named_as_json_everywhere(squall: Any, tmp_path: Path) -> None:
    console, texts = _run(squall, tmp_path, gate=False)
    said = f'activity {SPELT} failed: process "sleep" took longer than 0.3s and was killed'
    assert said in console
    _in_every_format(texts, f"activity {SPELT} failed", junit=False)
    _in_every_format(texts, 'process "sleep" took longer than 0.3s')
    assert 'process "false" exited with code 1' in console


def test_a_tolerance_probe_is_named_as_json_everywhere(squall: Any, tmp_path: Path) -> None:
    console, texts = _run(squall, tmp_path, gate=True)
    said = f"probe {SPELT}: tolerance probe {SPELT} returned false"
    assert said in console
    _in_every_format(texts, said, junit=False)
    _in_every_format(texts, f"tolerance probe {SPELT} returned false")
