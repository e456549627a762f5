"""The GitHub Action (action.yml at the repository's root), run step by step as the runner
would: each ``run`` step in bash (``-eo pipefail``) with the step's env, ``${{ }}``
expressions resolved from the inputs and earlier steps' outputs, and a fake ``GITHUB_*``
environment. ``uses`` steps (setup-python, upload-artifact) cannot run here: the test checks
what they would be given instead."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from ciexp import experiment

from sqharness import ROOT, subprocess_env
from sqvenv import Venv, copy_sources

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


class Runner:
    """Just enough of the Actions runner for a composite action."""

    def __init__(
        self, work: Path, inputs: dict[str, str], env: dict[str, str] | None = None
    ) -> None:
        self.work = work
        self.env = env or {}
        declared = ACTION["inputs"]
        unknown = set(inputs) - set(declared)
        assert not unknown, f"not inputs of action.yml: {unknown}"
        self.inputs = {name: str(spec.get("default", "")) for name, spec in declared.items()}
        self.inputs.update(inputs)
        self.outputs: dict[str, dict[str, str]] = {}
        self.summary = work / "step-summary.md"
        self.skipped: list[dict[str, Any]] = []
        self.logs: list[str] = []

    def value(self, expression: str) -> str:
        if expression.startswith("inputs."):
            return self.inputs[expression.removeprefix("inputs.")]
        found = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
        if found:
            return self.outputs.get(found.group(1), {}).get(found.group(2), "")
        raise AssertionError(f"an expression this test does not know: {expression}")

    def expand(self, text: str) -> str:
        return EXPRESSION.sub(lambda m: self.value(m.group(1)), text)

    def condition(self, step: dict[str, Any]) -> bool:
        cond = step.get("if")
        if cond is None or cond == "always()":
            return True
        found = re.fullmatch(r"inputs\.([\w-]+) != ''", cond)
        assert found, f"a condition this test does not know: {cond}"
        return self.inputs[found.group(1)] != ""

    def run(self) -> int:
        """Every step in order; the exit code of the first failing ``run`` step, else 0."""
        for index, step in enumerate(ACTION["runs"]["steps"]):
            if not self.condition(step):
                continue
            if "uses" in step:
                with_ = {k: self.expand(str(v)) for k, v in step.get("with", {}).items()}
                self.skipped.append({"uses": step["uses"], "with": with_})
                continue
            assert "${{" not in step["run"], "inputs reach scripts through env (no injection)"
            out = self.work / f"output-{index}"
            out.touch()
            env = subprocess_env(
                **{
                    "GITHUB_OUTPUT": str(out),
                    "GITHUB_STEP_SUMMARY": str(self.summary),
                    "GITHUB_WORKSPACE": str(self.work),
                    "GITHUB_ACTIONS": "true",
                    "CI": "true",
                    "PATH": f"{Path(sys.executable).parent}:{subprocess_env()['PATH']}",
                    **self.env,
                    **{k: self.expand(str(v)) for k, v in step.get("env", {}).items()},
                }
            )
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                cwd=self.work,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            self.logs.append(done.stdout + done.stderr)
            if "id" in step:
                lines = out.read_text().splitlines()
                self.outputs[step["id"]] = dict(line.split("=", 1) for line in lines)
            if done.returncode:
                return done.returncode
        return 0


def action_outputs(runner: Runner) -> dict[str, str]:
    return {name: runner.expand(spec["value"]) for name, spec in ACTION["outputs"].items()}


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    experiment(tmp_path / "experiments" / "healthy.json", title="The API stays healthy")
    experiment(tmp_path / "experiments" / "unhealthy.json", gate=False, title="Gate fails")
    return tmp_path


def test_the_action_runs_a_suite_and_leaves_results_for_the_pipeline(suite: Path) -> None:
    runner = Runner(suite, {"experiments": "experiments/", "install": "", "args": "--no-history"})
    code = runner.run()
    assert code == 4, runner.logs
    outputs = action_outputs(runner)
    assert outputs["exit-code"] == "4"
    junit = ET.parse(suite / outputs["junit"]).getroot()
    assert [s.get("name") for s in junit.findall("testsuite")] == [
        "The API stays healthy",
        "Gate fails",
    ]
    html = (suite / outputs["report"]).read_text()
    assert "<svg" in html and "Gate fails" in html
    journals = sorted(p.name for p in (suite / outputs["journals"]).iterdir())
    assert journals == ["healthy.journal.json", "unhealthy.journal.json"]
    summary = runner.summary.read_text()
    assert "The API stays healthy" in summary and "Gate fails" in summary
    assert "::warning::not run" in runner.logs[-1]
    # an annotation per experiment that did not hold, with its title and squall's reasons
    assert (
        "::warning title=squall not-run (unhealthy.journal.json)::Gate fails: the steady state "
        "did not hold before the method"
    ) in runner.logs[-1]
    assert "(healthy.journal.json)" not in runner.logs[-1]
    uploads = [s for s in runner.skipped if s["uses"].startswith("actions/upload-artifact@")]
    assert uploads == [
        {
            "uses": "actions/upload-artifact@v4",
            "with": {
                "name": "squall-results",
                "path": "squall-results",
                "if-no-files-found": "ignore",
            },
        }
    ]
    setup = [s for s in runner.skipped if s["uses"].startswith("actions/setup-python@")]
    assert setup and setup[0]["with"]["python-version"] == "3.12"


def test_fail_false_keeps_the_step_green_and_the_code_in_the_output(suite: Path) -> None:
    runner = Runner(
        suite,
        {
            "experiments": "experiments/unhealthy.json",
            "install": "",
            "fail": "false",
            "args": "--no-history",
            "python-version": "",
        },
    )
    assert runner.run() == 0, runner.logs
    assert action_outputs(runner)["exit-code"] == "4"
    assert not [s for s in runner.skipped if s["uses"].startswith("actions/setup-python@")]


def test_bad_input_fails_the_step_with_exit_2_and_says_so(suite: Path) -> None:
    (suite / "broken.json").write_text('{"title": "no method"')
    runner = Runner(suite, {"experiments": "broken.json", "install": "", "args": "--no-history"})
    assert runner.run() == 2, runner.logs
    assert "exited 2 before writing a summary" in runner.summary.read_text()
    assert "::error::bad input" in runner.logs[-1]


def test_an_experiment_cannot_forge_workflow_commands(tmp_path: Path) -> None:
    """A title (or a reason: whatever a system returned) with a line break and ``::`` stays
    inside its annotation: the runner would read a new line as a new command."""
    experiment(tmp_path / "forged.json", gate=False, title="Gate 100%\n::error::forged, run: it")
    runner = Runner(tmp_path, {"experiments": "forged.json", "install": "", "args": "--no-history"})
    assert runner.run() == 4, runner.logs
    lines = runner.logs[-1].splitlines()
    assert not [line for line in lines if line.startswith("::error::forged")]
    annotation = next(line for line in lines if line.startswith("::warning title="))
    assert annotation.startswith(
        "::warning title=squall not-run (forged.journal.json)::Gate 100%25%0A::error::forged, run: it: "
    )


@pytest.mark.slow
def test_by_default_the_action_installs_the_squall_it_was_checked_out_with(suite: Path) -> None:
    """``uses: ...@ref`` checks the action out at GITHUB_ACTION_PATH: by default squall is
    installed from there, never by a bare name from PyPI (squall is not published there,
    and pip would install whatever package holds the name)."""
    # what pip builds squall from, and the action: not the whole checkout, which other
    # tests write into while this copies (.hypothesis, the CTK venvs of .conformance)
    checkout = suite / "action-checkout"
    copy_sources(checkout)
    shutil.copy2(ROOT / "action.yml", checkout / "action.yml")
    venv = Venv(suite / "runner")
    venv.where.mkdir()
    assert venv.run(sys.executable, "-m", "venv", str(venv.root)).returncode == 0
    env = {"GITHUB_ACTION_PATH": str(checkout), "PATH": venv.env["PATH"]}
    env["PIP_CACHE_DIR"] = venv.env["PIP_CACHE_DIR"]
    runner = Runner(suite, {"experiments": "experiments/healthy.json", "args": "--no-history"}, env)
    assert runner.inputs["install"] == "from-action"
    assert runner.run() == 0, runner.logs
    where = venv.run(str(venv.python), "-c", "import squall; print(squall.__file__)")
    assert str(venv.root) in where.stdout  # the runner's python got it, from the checkout
