"""The conformance corpus (tests/conformance), run by the local engine and by the Temporal
engine through the same driver: every case the Temporal engine supports ends with the same
exit code and the same normalised journal. The cases it does not run are listed with why."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sqengine import CONFORMANCE, Bed
from sqharness import LocalServer

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
EXPERIMENTS = CONFORMANCE / "experiments"
CASES = json.loads((CONFORMANCE / "cases.json").read_text())

#: what the Temporal engine does not run the way a local run does, and why
NOT_HERE = {
    "files": "the case writes files into its working directory: the activities run in the worker's",
    "env": "the case sets or unsets the command line's environment: activities see the worker's",
    "unset_env": "the case unsets the command line's environment: activities see the worker's",
    "signal": "signals to the command line: a Temporal run is stopped by `squall stop`",
    "command": "not a run",
    "controls": "controls are not run by the Temporal engine yet",
    "work": "the experiment keeps state in its working directory ($CONF_WORK; counters, "
    "markers it reads back): the worker's is another, shared by the runs it serves",
    "secrets": "inline secrets need a payload key (tested in test_engine_runs.py)",
    "var-file": "--var-file secrets need a payload key; --control-file is a control",
}
#: single cases left out, with why
LEFT_OUT = {
    "process-cwd-file": "a relative path resolved in the working directory (the worker's)",
    "ctl-global-settings": "controls from the settings are not run by the Temporal engine",
    "python-builtin-no-signature": "its output is the id of the process that runs it",
}


def why_not(case: dict[str, Any]) -> str | None:
    """Why the Temporal engine does not run ``case`` like the local one (None: it does)."""
    if case["id"] in LEFT_OUT:
        return LEFT_OUT[case["id"]]
    for key in ("files", "env", "unset_env", "signal", "command"):
        if key in case:
            return NOT_HERE[key]
    text = (EXPERIMENTS / case["experiment"]).read_text()
    if re.search(r"\bcontrols\b", text):
        return NOT_HERE["controls"]
    if re.search(r"CONF_WORK|\{work\}|count_calls|fail_if_marked", text):
        return NOT_HERE["work"]
    if re.search(r'"secrets"|^secrets:', text, re.MULTILINE):
        return NOT_HERE["secrets"]
    if any(a in ("--var-file", "--control-file") for a in case.get("args", [])):
        return NOT_HERE["var-file"]
    return None


SUPPORTED = [c["id"] for c in CASES if why_not(c) is None]


def _driver(side: str, prefix: list[str], out: Path, env: dict[str, str]) -> dict[str, Any]:
    argv = [
        sys.executable,
        str(CONFORMANCE / "driver.py"),
        "--side",
        side,
        "--cases",
        str(CONFORMANCE / "cases.json"),
        "--experiments",
        str(EXPERIMENTS),
        "--out",
        str(out / side),
        "--jobs",
        "3",
        "--only",
        ",".join(SUPPORTED),
        "--",
        *prefix,
    ]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # type: ignore[return-value]


@pytest.fixture(scope="module")
def corpus(bed: Bed, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Both sides of every supported case (the two drivers run at the same time)."""
    out = tmp_path_factory.mktemp("engine-conformance")
    server = LocalServer()
    for name, kind in (
        ("trivial.json", "application/json"),
        ("trivial-yaml.yaml", "application/x-yaml"),
    ):
        server.serve(f"/conformance/{name}", (EXPERIMENTS / name).read_text(), kind)
    worker = bed.worker("conformance", CONF_HTTP=server.url)
    try:
        env = bed.env(CONF_HTTP=server.url, SQUALL_TEMPORAL_TASK_QUEUE="conformance")
        env["PYTHONPATH"] = os.pathsep.join([str(EXPERIMENTS), env["PYTHONPATH"]])
        squall = [sys.executable, "-m", "squall", "--no-log-file"]
        temporal = [sys.executable, str(HERE / "engine_cli.py"), "--no-log-file"]
        procs = {
            "local": _driver("local", squall, out, env),
            "temporal": _driver("temporal", temporal, out, env),
        }
        results = {}
        for side, proc in procs.items():
            output, _ = proc.communicate(timeout=900)  # type: ignore[attr-defined]
            assert proc.returncode == 0, output.decode()[-3000:]  # type: ignore[attr-defined]
            results[side] = json.loads((out / side / "results.json").read_text())["results"]
    finally:
        server.close()
        worker.stop()
    return results, server.url


def test_the_supported_subset_is_most_of_the_corpus() -> None:
    assert len(SUPPORTED) >= 140, len(SUPPORTED)
    for case in CASES:
        if case["id"] not in SUPPORTED:
            assert why_not(case)


@pytest.mark.parametrize("case_id", SUPPORTED)
def test_case(corpus: Any, case_id: str) -> None:
    import compare

    results, url = corpus
    local, temporal = results["local"][case_id], results["temporal"][case_id]
    assert not temporal["hung"], temporal["stderr"]
    a, b = compare.normalise(local, url), compare.normalise(temporal, url)
    assert b == a, (
        f"{compare.diff(a, b)}\nlocal: {local['stderr'][-600:]}\ntemporal: {temporal['stderr'][-600:]}"
    )
