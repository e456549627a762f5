"""Every experiment of examples/security/ against a real demo, healthy and misconfigured.

On the healthy demo each one must hold and its rollbacks must leave the demo exactly as
they found it. On the misconfigured demo each one must give the verdict that
docs/security/index.md states, for the reason it states. Finally the main job
(scripts/main.py) runs end to end.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from security_support import (
    MAIN_SCRIPT,
    ROOT,
    Demo,
    processes_with,
    security_experiments,
)

EXPERIMENTS = security_experiments()

# experiment -> (exit code on the misconfigured demo, probe named by the reason, what it saw)
MISCONFIGURED = {
    "auth-disabled-alerted.json": (0, None, None),
    "brute-force-rate-limited.yaml": (1, "attacker-gets-429", "no limit reached"),
    "canary-secret-detected.json": (0, None, None),
    "expired-certificate.json": (0, None, None),
    "revoked-token-refused.yaml": (1, "revoked-token-is-refused", "got accepted (status 200)"),
    "security-headers-hold-under-load.json": (
        4,
        "security-headers-present",
        "Strict-Transport-Security is missing",
    ),
    "slow-auth-fails-closed.yaml": (
        1,
        "unverified-requests-are-refused",
        "got accepted (status 200)",
    ),
    "stalled-detector-catches-up.json": (0, None, None),
    "tls-downgrade-detected.yaml": (4, "tls-1.0-refused-or-flagged", "TLS 1.0 accepted"),
    "unexpected-port-detected.yaml": (1, "detector-flags-the-port", "no event matching"),
}
OUTCOMES = {0: "held", 1: "deviated", 4: "not-run"}


def ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def test_the_catalogue_is_complete() -> None:
    assert len(EXPERIMENTS) >= 8
    assert {p.suffix for p in EXPERIMENTS} >= {".json", ".yaml"}
    assert set(ids(EXPERIMENTS)) == set(MISCONFIGURED), "declare each experiment's verdicts here"
    assert sum(code == 1 for code, _, _ in MISCONFIGURED.values()) >= 3


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=ids(EXPERIMENTS))
def test_validates_with_the_var_file(normal_demo: Demo, experiment: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "squall", "validate", "--var-file", str(normal_demo.variables),
         str(experiment)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_every_example_follows_the_json_schema() -> None:
    import jsonschema
    import yaml

    done = subprocess.run(
        [sys.executable, "-m", "squall", "schema"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    validator = jsonschema.Draft202012Validator(json.loads(done.stdout))
    for path in EXPERIMENTS:
        text = path.read_text()
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        problems = [error.message for error in validator.iter_errors(document)]
        assert problems == [], f"{path.name}: {problems}"


def check_restored(demo: Demo, before: dict[str, object], journal: dict[str, object]) -> None:
    after = demo.snapshot()
    for key, value in before.items():
        assert after[key] == value, f"{key} not restored"
    run_id = journal["squall"]["run_id"]  # type: ignore[index]
    assert processes_with(f":{run_id}") == [], "a helper process of the run is still alive"
    assert demo.healthy(), "the demo is not healthy after the rollbacks"


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=ids(EXPERIMENTS))
def test_holds_on_the_normal_demo(normal_demo: Demo, experiment: Path) -> None:
    before = normal_demo.snapshot()
    code, journal, stderr = normal_demo.run(experiment)
    assert code == 0, stderr
    assert journal["squall"]["outcome"] == "held"
    assert all(r["status"] == "succeeded" for r in journal["rollbacks"]), journal["rollbacks"]
    check_restored(normal_demo, before, journal)


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=ids(EXPERIMENTS))
def test_misconfigured_demo_gives_the_documented_verdict(
    misconfigured_demo: Demo, experiment: Path
) -> None:
    expected_code, probe, seen = MISCONFIGURED[experiment.name]
    before = misconfigured_demo.snapshot()
    code, journal, stderr = misconfigured_demo.run(experiment)
    assert code == expected_code, stderr
    section = journal["squall"]
    assert section["outcome"] == OUTCOMES[expected_code]
    if probe is not None:
        reasons = " ".join(section["reasons"])
        assert f'probe "{probe}"' in reasons
        assert seen in reasons
    check_restored(misconfigured_demo, before, journal)


def test_documented_verdicts_match_the_docs() -> None:
    page = (ROOT / "docs" / "security" / "index.md").read_text()
    for name, (code, probe, _) in MISCONFIGURED.items():
        row = next((ln for ln in page.splitlines() if ln.startswith(f"| `{name}` |")), None)
        assert row is not None, f"{name} is not in the catalogue"
        assert f"{OUTCOMES[code]} ({code})" in row, f"{name}: the docs claim another verdict"
        if probe is not None:
            assert probe in row


class MainJob:
    """scripts/main.py running in the background (output in files: no pipe to fill)."""

    def __init__(self) -> None:
        self.out = Path(tempfile.mkdtemp(prefix="squall-main-journals-"))
        self.started = time.monotonic()
        with (self.out / "stdout").open("wb") as stdout, (self.out / "stderr").open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, str(MAIN_SCRIPT)],
                stdin=subprocess.DEVNULL, stdout=stdout, stderr=err, cwd=ROOT,
                env={**os.environ, "SQUALL_MAIN_OUT": str(self.out),
                     # started before any test's own (conftest._own_recovery_dir)
                     "SQUALL_RECOVERY_DIR": str(self.out / "recovery")},
            )  # fmt: skip

    def result(self, timeout: float) -> subprocess.CompletedProcess[str]:
        """Its end, ``timeout`` seconds after its start at the latest."""
        left = timeout - (time.monotonic() - self.started)
        code = self.process.wait(timeout=max(left, 0.1))
        read = [(self.out / name).read_text() for name in ("stdout", "stderr")]
        return subprocess.CompletedProcess(self.process.args, code, *read)

    def stop(self) -> None:
        """SIGTERM (the job stops its demo) if still running, then its journals go."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.out, ignore_errors=True)


@pytest.fixture(scope="module", autouse=True)
def main_job(request: pytest.FixtureRequest) -> Iterator[MainJob | None]:
    """The main job starts with the module's first test when its test is selected: it
    mostly waits (its demos, every experiment's durations), so it runs beside the
    per-experiment tests (about 90 s of the module's time, run after them before)."""
    wanted = any(item.name == test_main_job_end_to_end.__name__ for item in request.session.items)
    job = MainJob() if wanted else None
    yield job
    if job is not None:
        job.stop()


@pytest.mark.slow  # both demos, every experiment twice: over a minute
def test_main_job_end_to_end(main_job: MainJob | None) -> None:
    assert main_job is not None
    out = main_job.out
    done = main_job.result(timeout=400)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    header = [cell.strip() for cell in lines[0].split("|")]
    assert header == [
        "experiment",
        "hypothesis kind",
        "normal demo",
        "misconfigured demo",
        "why",
    ]
    rows: dict[str, list[str]] = {}
    last = ""
    for line in lines[2:]:
        cells = [c.strip() for c in line.split("|")]
        if cells[0] or len(cells) < 5:
            last = cells[0]
            rows[last] = cells
        else:  # the why column wrapped onto a line of its own
            rows[last][4] += " " + cells[4]
    for name, (code, probe, _) in MISCONFIGURED.items():
        assert rows[name][2] == "held (0)"
        assert rows[name][3] == f"{OUTCOMES[code]} ({code})"
        assert rows[name][1] != "-"
        if probe is not None:
            assert probe in rows[name][4]
    assert rows["basics/hello.json"][2] == "held (0)"
    for name, (code, _, _) in MISCONFIGURED.items():
        if code == 0:  # the table says why a mistake-free defence still holds
            assert rows[name][4].startswith("held on both demos: "), rows[name]
    assert not any(line.rstrip().endswith("…") for line in lines), "why is wrapped, not cut"
    assert (out / "history.sqlite3").is_file(), "the job records into a history of its own"
    for label in ("normal", "misconfigured"):
        journals = {p.name for p in (out / label).glob("*.journal.json")}
        assert {f"{p.stem}.journal.json" for p in EXPERIMENTS} <= journals
    state_dirs = re.findall(r"squall demo \(\w+\) in (\S+)", done.stderr)
    assert len(state_dirs) == 2
    for state_dir in state_dirs:
        assert not Path(state_dir).exists()
        assert processes_with(state_dir) == [], "the main job left demo processes behind"
