"""Every report format says why a probe missed in the words the console used: a probe that
returns ``{ok, problems, ...}`` is explained by its ``problems`` sentences (one function,
squall.report.model.Entry.reason, for every format), and the raw tolerance and output stay
available (folded). A secret in the sentence is masked in every one of them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from squall.report.markdown import md

from sqharness import subprocess_env

TOKEN = "CNRY-polish-7c1e"  # a secret the probe puts in its problems sentence
REASON = "the quote is stale (token *** refused)"
PROBE_MODULE = """
import os


def quote_served(token, marker):
    if os.path.exists(marker):
        return {"ok": False, "problems": [f"the quote is stale (token {token} refused)"], "status": 200}
    return {"ok": True, "problems": [], "status": 200}


def touch(marker):
    open(marker, "w").close()


def remove(marker):
    if os.path.exists(marker):
        os.remove(marker)
"""


def _python(kind: str, name: str, func: str, **arguments: Any) -> dict[str, Any]:
    provider = {"type": "python", "module": "quotemod", "func": func, "arguments": arguments}
    return {"type": kind, "name": name, "provider": provider}


def _experiment(marker: Path) -> dict[str, Any]:
    probe = _python("probe", "quote-served", "quote_served", token="${token}", marker=str(marker))
    probe["tolerance"] = {"type": "jsonpath", "path": "$.ok", "expect": True}
    return {
        "title": "The quote service keeps serving",
        "description": "reasons in reports",
        "secrets": {"svc": {"token": {"type": "env", "key": "POLISH_TOKEN"}}},
        "steady-state-hypothesis": {"title": "served", "probes": [probe]},
        "method": [_python("action", "hide-quote", "touch", marker=str(marker))],
        "rollbacks": [_python("action", "restore-quote", "remove", marker=str(marker))],
    }


def _run(tmp_path: Path, gate_fails: bool) -> tuple[subprocess.CompletedProcess[str], Path]:
    (tmp_path / "quotemod.py").write_text(PROBE_MODULE)
    marker = tmp_path / "marker"
    if gate_fails:
        marker.touch()
    (tmp_path / "experiment.json").write_text(json.dumps(_experiment(marker)))
    argv = [sys.executable, "-m", "squall", "run", "--no-history", "experiment.json"]
    for option in ("markdown:r.md", "html:r.html", "json:r.json"):
        argv += ["--report", option]
    done = subprocess.run(
        [*argv, "--junit", "r.xml"],
        check=False,
        cwd=tmp_path,
        env=subprocess_env(POLISH_TOKEN=TOKEN, PYTHONPATH=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, tmp_path


@pytest.mark.parametrize(
    ("gate_fails", "phase", "code"), [(False, "after", 1), (True, "before", 4)]
)
def test_every_format_says_the_reason_the_console_says(
    tmp_path: Path, gate_fails: bool, phase: str, code: int
) -> None:
    done, folder = _run(tmp_path, gate_fails)
    assert done.returncode == code, done.stderr
    miss = [line for line in done.stderr.splitlines() if "MISS" in line]
    assert len(miss) == 1 and f"MISS {phase:<8} probe  quote-served" in miss[0]
    assert miss[0].endswith(f" ms  {REASON}")  # what every report must say too

    markdown = (folder / "r.md").read_text()
    assert f"| {phase} | quote-served | not-met | {md(REASON)} |" in markdown
    assert "<details><summary>Tolerances and outputs</summary>" in markdown
    assert "$.ok" in markdown  # the raw tolerance, folded

    html = (folder / "r.html").read_text()
    assert f'<span class="reason">{REASON}</span>' in html
    assert f'<dd class="reason">{REASON}</dd>' in html
    assert "tolerance and output</summary>" in html

    case = ET.parse(folder / "r.xml").find(f".//testcase[@name='{phase}: quote-served']")
    assert case is not None
    if gate_fails:
        skipped = case.find("skipped")
        assert skipped is not None
        assert (
            skipped.get("message") == f"the steady state did not hold before the method: {REASON}"
        )
        system_out = case.findtext("system-out") or ""
        assert '"$.ok"' in system_out and '"ok": false' in system_out
    else:
        failure = case.find("failure")
        assert failure is not None and failure.get("message") == REASON
        assert '"$.ok"' in (failure.text or "") and REASON in (failure.text or "")

    runs = json.loads((folder / "r.json").read_text())["runs"]
    entries = [e for e in runs[0]["entries"] if e["name"] == "quote-served" and "reason" in e]
    assert [e["reason"] for e in entries] == [REASON]

    for sink in (done.stdout, done.stderr, markdown, html, (folder / "r.xml").read_text()):
        assert TOKEN not in sink
    assert TOKEN not in (folder / "r.json").read_text()
