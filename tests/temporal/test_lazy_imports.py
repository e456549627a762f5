"""Nothing of temporalio is imported unless the Temporal engine is used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sqharness import EXAMPLES, subprocess_env

_PROBE = (
    "import sys; from squall.cli import main; rc = main({argv}); "
    "print('TEMPORAL', sorted(m for m in sys.modules if m.split('.')[0] == 'temporalio'))"
)


@pytest.mark.parametrize(
    "argv",
    [
        ["--version"],
        ["validate", str(EXAMPLES / "trivial.yaml")],
        ["run", "--no-history", "--journal-path", "{tmp}/j.json", str(EXAMPLES / "trivial.json")],
        ["--help"],
        # a Temporal command's help needs no client either
        ["schedule", "add", "--help"],
        ["worker", "--help"],
    ],
)
def test_local_commands_import_nothing_of_temporalio(argv: list[str], tmp_path: Path) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(argv=argv)],
        capture_output=True,
        text=True,
        check=False,
        env=subprocess_env(),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "TEMPORAL []", done.stdout


def test_the_probe_sees_temporalio_when_the_temporal_package_does_import_it() -> None:
    """The check above can fail: importing the codec (which the client needs) is seen."""
    code = _PROBE.replace("rc = main({argv}); ", "import squall.temporal.codec; ")
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert "'temporalio'" in done.stdout, done.stderr
