"""A probe whose tolerance has a ``${name}`` placeholder, or is a tolerance probe, is
explained in every report format exactly as the console explained it: the run keeps its
own words in the entry's ``squall.reason``, and the reports say those (before, they said
``expected "${want}", got ...``, a comparison the run never made). A secret in that
reason is masked in the journal, and so in every report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from markupsafe import escape

from squall.report import read_journal, render
from squall.report.markdown import md

TOKEN = "CNRY-resolved-5e1b"


def _probe(name: str, tolerance: Any, value: Any) -> dict[str, Any]:
    provider = {"type": "python", "module": "sqtest", "func": "echo", "arguments": {"value": value}}
    return {"type": "probe", "name": name, "tolerance": tolerance, "provider": provider}


_POSITIVE = {
    "type": "probe",
    "name": "positive",
    "provider": {"type": "python", "module": "sqtest", "func": "is_positive"},
}
#: probe -> (its tolerance, what it returns, what the console says)
CASES = {
    "state": ("${want}", "down", 'expected "up", got "down"'),
    "count": (
        {"type": "jsonpath", "path": "$.n", "expect": "${count}"},
        {"n": 2},
        "expected [3], got [2]",
    ),
    "by-probe": (_POSITIVE, -4, 'tolerance probe "positive" returned false'),
    "token": ("${token}", "other", 'expected "***", got "other"'),
}


@pytest.mark.parametrize("name", list(CASES))
def test_every_format_says_the_consoles_reason(squall: Any, tmp_path: Path, name: str) -> None:
    tolerance, value, said = CASES[name]
    experiment = {
        "title": "placeholders resolved",
        "description": "reasons",
        "configuration": {"want": "up", "count": 3},
        "secrets": {"svc": {"token": {"type": "env", "key": "SQUALL_TEST_TOKEN"}}},
        "steady-state-hypothesis": {"title": "h", "probes": [_probe(name, tolerance, value)]},
        "method": [],
    }
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    formats = {"markdown": "r.md", "html": "r.html", "junit": "r.xml", "json": "r.json"}
    reports = [arg for fmt, path in formats.items() for arg in ("--report", f"{fmt}:{path}")]
    result = squall("run", "e.json", *reports, env={"SQUALL_TEST_TOKEN": TOKEN})
    assert result.code == 4, result.stderr
    console = result.stdout + result.stderr
    (line,) = [line for line in console.splitlines() if line.startswith("  MISS before")]
    assert f"probe  {name}" in line and line.endswith(said)
    (entry,) = result.journal["steady_states"]["before"]["probes"]
    assert entry["squall"]["reason"] == said
    written = {fmt: (tmp_path / path).read_text() for fmt, path in formats.items()}
    assert md(said) in written["markdown"]
    assert f'<span class="reason">{escape(said)!s}</span>' in written["html"]
    case = ET.parse(tmp_path / "r.xml").find(f".//testcase[@name='before: {name}']")
    assert case is not None and case.find("skipped") is not None
    skipped = case.find("skipped")
    assert skipped is not None
    assert skipped.get("message") == f"the steady state did not hold before the method: {said}"
    entries = json.loads(written["json"])["runs"][0]["entries"]
    assert [e["reason"] for e in entries if "reason" in e] == [said]
    # squall report later, from the journal alone, says the same
    assert read_journal(str(tmp_path / "journal.json")).before.probes[0].reason == said  # type: ignore[union-attr]
    for text in [*written.values(), result.stdout, result.stderr, json.dumps(result.journal)]:
        assert TOKEN not in text
    assert render([read_journal(str(tmp_path / "journal.json"))], "markdown") == written["markdown"]


def test_a_failed_activity_is_explained_as_the_console_explained_it(
    squall: Any, tmp_path: Path
) -> None:
    """Before, the reports said the exception's last line (``squall.errors.ActivityFailed:
    process "sleep" took longer...``), Python's class name included."""
    drivers = "squall.drivers.host.processes"
    arguments = {"signal_name": "SIGFOO", "pid": None}
    experiment = {
        "title": "failures explained",
        "description": "reasons",
        "method": [
            {
                "type": "action",
                "name": "bad-signal",
                "provider": {
                    "type": "python",
                    "module": drivers,
                    "func": "kill_or_pause_process",
                    "arguments": arguments,
                },
            },
            {
                "type": "action",
                "name": "slow",
                "provider": {"type": "process", "path": "sleep", "arguments": "5", "timeout": 0.5},
            },
        ],
    }
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    result = squall("run", "e.json", "--report", "json:r.json", "--report", "markdown:r.md")
    assert result.code == 3, result.stderr
    said = {
        line.split()[3]: line.split("  ")[-1]
        for line in result.stderr.splitlines()
        if line.startswith("  FAIL method")
    }
    assert said == {
        "bad-signal": 'signal_name must be one of ["SIGKILL", "SIGSTOP", "SIGTERM"], got "SIGFOO"',
        "slow": 'process "sleep" took longer than 0.5s and was killed',
    }
    entries = json.loads((tmp_path / "r.json").read_text())["runs"][0]["entries"]
    assert {e["name"]: e["reason"] for e in entries} == said
    assert {e["name"]: e["error"] for e in entries} == said
    markdown = (tmp_path / "r.md").read_text()
    assert "squall.errors" not in markdown
    assert all(md(text) in markdown for text in said.values())
    # the journal keeps the traceback for whoever wants it
    assert result.journal["run"][1]["exception"][-1].startswith("squall.errors.")
