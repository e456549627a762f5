"""Regenerate tests/report/data/ctk/: journals written by the real Chaos Toolkit.

    .venv/bin/python tests/report/make_ctk_journals.py

It runs bundled experiments with ``chaos run`` from the conformance suite's reference venv
(tests/conformance/ctkenv.py: chaostoolkit 1.21.4, chaostoolkit-lib 1.45.1 on Python 3.12;
built in .conformance/ on first use) and keeps each journal as the Chaos Toolkit wrote it.
The report tests read these files, so they run without that venv (which needs Python 3.12
and several minutes to build); tests/conformance/test_report_ctk.py makes fresh ones with
that venv and checks squall reads them as it reads these.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE / "data" / "ctk"
EXAMPLES = ROOT / "tests" / "examples"
CONFORMANCE = ROOT / "tests" / "conformance" / "experiments"

#: journal name -> (experiment, what the journal shows)
RUNS = {
    "held": (EXAMPLES / "trivial.json", "held"),
    "deviated": (EXAMPLES / "deviated.json", "deviated"),
    "broken": (EXAMPLES / "action-fails.yaml", "broken"),
    "not-run": (EXAMPLES / "gate-not-met.json", "not-run"),
    "background": (EXAMPLES / "background.json", "held"),
    "during-deviates": (CONFORMANCE / "hs-during-deviates.json", "deviated"),
    "interrupted": (CONFORMANCE / "ctl-interrupt-before-activity.json", "interrupted"),
}


def chaos_run(venv: Path, experiment: Path, journal: Path, extra: list[str]) -> None:
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(ROOT / "tests" / "support"), str(CONFORMANCE)]),
        CONF_HTTP="http://127.0.0.1:9",
        SQUALL_TEST_MARKER=str(journal.with_suffix(".marker")),
    )
    with tempfile.TemporaryDirectory() as cwd:  # experiments leave files in the cwd
        subprocess.run(
            [
                *(str(venv / "bin" / "chaos"), "--no-version-check", "--no-log-file", "run"),
                *(*extra, "--journal-path", str(journal), str(experiment)),
            ],
            env=env,
            cwd=cwd,
            capture_output=True,
            check=False,
            timeout=120,
        )
    journal.with_suffix(".marker").unlink(missing_ok=True)
    json.loads(journal.read_text())  # the Chaos Toolkit wrote a journal


def extra_args(name: str) -> list[str]:
    if name == "during-deviates":
        return ["--hypothesis-strategy", "continuously", "--hypothesis-frequency", "0.2"]
    return []


def main() -> int:
    sys.path.insert(0, str(ROOT / "tests" / "conformance"))
    from ctkenv import ensure

    venv = ensure("run")
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (experiment, _) in RUNS.items():
        chaos_run(venv, experiment, OUT / f"{name}.json", extra_args(name))
        print(OUT / f"{name}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
