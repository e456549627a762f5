"""Run the whole corpus under the Chaos Toolkit and under squall, side by side.

Both sides are driven by driver.py in their own process (so they use both cores), each
running a few cases at a time; one HTTP server on 127.0.0.1 serves both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import compare

from sqharness import LocalServer

HERE = Path(__file__).resolve().parent
EXPERIMENTS = HERE / "experiments"
CASES = HERE / "cases.json"
JOBS = 3


@dataclass
class SuiteRun:
    cases: list[dict[str, Any]]
    ctk: dict[str, Any]
    squall: dict[str, Any]
    http_url: str
    seconds: float
    out: Path

    def normalised(self, case_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        case = next(c for c in self.cases if c["id"] == case_id)
        ctk = self.ctk[case_id]
        secrets = compare.case_secrets(case, ctk.get("journal"))
        return (
            compare.normalise(ctk, self.http_url, secrets),
            compare.normalise(self.squall[case_id], self.http_url),
        )


def _driver(side: str, python: str, prefix: list[str], out: Path, env: dict[str, str]) -> Any:
    argv = [
        python,
        str(HERE / "driver.py"),
        "--side",
        side,
        "--cases",
        str(CASES),
        "--experiments",
        str(EXPERIMENTS),
        "--out",
        str(out / side),
        "--jobs",
        str(JOBS),
        "--",
        *prefix,
    ]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def run_suite(out: Path, ctk_venv: Path) -> SuiteRun:
    server = LocalServer()
    for name, kind in (
        ("trivial.json", "application/json"),
        ("trivial-yaml.yaml", "application/x-yaml"),
    ):
        server.serve(f"/conformance/{name}", (EXPERIMENTS / name).read_text(), kind)
    try:
        env = dict(os.environ, CONF_HTTP=server.url)
        env.pop("SQUALL_RUN_ID", None)
        started = time.perf_counter()
        chaos = [str(ctk_venv / "bin" / "chaos"), "--no-version-check", "--no-log-file"]
        squall = [sys.executable, "-m", "squall", "--no-log-file"]
        procs = {
            "ctk": _driver("ctk", str(ctk_venv / "bin" / "python"), chaos, out, env),
            "squall": _driver("squall", sys.executable, squall, out, env),
        }
        results = {}
        for side, proc in procs.items():
            output, _ = proc.communicate(timeout=900)
            if proc.returncode != 0:
                raise RuntimeError(f"the {side} driver failed:\n{output.decode()[-3000:]}")
            results[side] = json.loads((out / side / "results.json").read_text())["results"]
        seconds = time.perf_counter() - started
    finally:
        server.close()
    return SuiteRun(
        json.loads(CASES.read_text()), results["ctk"], results["squall"], server.url, seconds, out
    )


def table(verdicts: list[compare.Verdict]) -> str:
    """The per-case table printed after the run, then the counts."""
    lines = [f"{'case':48} {'verdict':12} details", "-" * 100]
    for v in verdicts:
        detail = ", ".join(v.explained_by)
        if v.unexplained:
            detail = (
                "DIFFERS: "
                + ", ".join(v.unexplained[:6])
                + (f"; explained: {detail}" if detail else "")
            )
        lines.append(f"{v.case:48} {v.kind:12} {detail}")
    counts = {k: sum(v.kind == k for v in verdicts) for k in ("same", "intentional", "mismatch")}
    total = len(verdicts)
    ok = counts["same"] + counts["intentional"]
    lines.append("-" * 100)
    lines.append(
        f"{total} cases: {counts['same']} same, {counts['intentional']} intentional difference, "
        f"{counts['mismatch']} mismatch; {100.0 * ok / max(total, 1):.1f}% conform"
    )
    return "\n".join(lines)
