"""The GitLab CI template (ci/squall.gitlab-ci.yml), run as a GitLab runner's shell
executor would: the job's ``variables`` (overridden by the including job) in the
environment, the ``script`` lines in one bash with errexit, then what ``artifacts`` names
must exist (the JUnit report that GitLab parses, the folder kept as artifact)."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml
from ciexp import experiment

from sqharness import ROOT, subprocess_env

TEMPLATE = yaml.safe_load((ROOT / "ci" / "squall.gitlab-ci.yml").read_text(encoding="utf-8"))


def run_job(work: Path, path: str = "", **variables: str) -> subprocess.CompletedProcess[str]:
    job = TEMPLATE[".squall"]
    env = subprocess_env(
        **{**job["variables"], **variables},
        GITLAB_CI="true",
        CI="true",
        PATH=path or f"{Path(sys.executable).parent}:{subprocess_env()['PATH']}",
    )
    script = "\n".join(job["script"])
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_template_runs_a_suite_and_feeds_gitlabs_junit_report(tmp_path: Path) -> None:
    experiment(tmp_path / "experiments" / "a.json", title="first")
    experiment(tmp_path / "experiments" / "b.json", title="second", gate=False)
    done = run_job(tmp_path, SQUALL_INSTALL="", SQUALL_ARGS="--no-history")
    assert done.returncode == 4, done.stdout + done.stderr  # the job fails with squall's code
    artifacts = TEMPLATE[".squall"]["artifacts"]
    assert artifacts["when"] == "always"  # results are kept when the job fails
    junit = ET.parse(tmp_path / artifacts["reports"]["junit"]).getroot()
    assert [s.get("name") for s in junit.findall("testsuite")] == ["first", "second"]
    kept = tmp_path / artifacts["paths"][0]
    assert {p.name for p in kept.iterdir()} >= {"journals", "report.html", "junit.xml"}


def test_a_held_suite_passes_the_job(tmp_path: Path) -> None:
    experiment(tmp_path / "e.json")
    done = run_job(
        tmp_path, SQUALL_INSTALL="", SQUALL_EXPERIMENTS="e.json", SQUALL_ARGS="--no-history"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "squall-results" / "journals" / "e.journal.json").exists()


def test_without_squall_the_job_says_what_to_install_instead_of_asking_pypi(
    tmp_path: Path,
) -> None:
    """The default installs nothing (squall is not on PyPI: a bare ``squall`` would install
    whatever holds that name there); a job with no squall stops with exit 2 and says why."""
    experiment(tmp_path / "e.json")
    done = run_job(tmp_path, path="/usr/bin:/bin", SQUALL_EXPERIMENTS="e.json")
    assert done.returncode == 2, done.stdout + done.stderr
    said = done.stderr.strip()
    assert said.startswith("squall is not installed: set SQUALL_INSTALL to a git URL or a path")
    assert said in (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")  # as the page shows
    assert not (tmp_path / "squall-results").exists()
