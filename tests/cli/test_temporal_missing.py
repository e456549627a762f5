"""The Temporal commands on an installation without the ``temporal`` extra: a located
installation error (exit 2, the install command), never "internal error" (exit 3).

A CI job that installs squall with the GitHub Action's default (no extras), then runs
``--engine temporal``, met ``internal error: ModuleNotFoundError: No module named
'temporalio' (please report it ...)``. The commands run here in a real ``squall`` process
in which importing ``temporalio`` fails exactly as it does where it is not installed
(a meta-path finder raising ModuleNotFoundError for it): installing a second venv
without the extra would take a minute per test run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sqharness import EXAMPLES, ROOT, subprocess_env

#: the ``squall`` command (``main()`` reading sys.argv) in a process without temporalio
_WITHOUT_TEMPORALIO = """
import sys

class NoTemporalio:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "temporalio":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoTemporalio())
sys.argv = ["squall", *sys.argv[1:]]
from squall.cli import main
sys.exit(main())
"""


def _squall_without_temporalio(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT_TEMPORALIO, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=subprocess_env(),
        timeout=60,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--engine", "temporal", "--no-history", str(EXAMPLES / "trivial.json")],
        ["worker", "--task-queue", "nowhere"],
        ["schedule", "list"],
        ["stop", "0123456789ab"],
        ["runs", "attach", "0123456789ab", "--no-history"],
    ],
    ids=["run", "worker", "schedule", "stop", "attach"],
)
def test_a_temporal_command_without_the_extra_says_how_to_install_it(
    args: list[str], tmp_path: Path
) -> None:
    done = _squall_without_temporalio(args, tmp_path)
    assert done.returncode == 2, done.stderr
    assert "internal error" not in done.stderr
    assert "squall: error: this command needs the temporal extra" in done.stderr
    assert "pip install -e '.[temporal]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_local_run_does_not_need_the_extra(tmp_path: Path) -> None:
    """The finder above blocks temporalio for real: a local run, which never imports it,
    still runs (held, exit 0) in the same process set-up."""
    done = _squall_without_temporalio(
        ["run", "--no-history", str(EXAMPLES / "trivial.json")], tmp_path
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("page", ["scale-out.md", "ci.md"])
def test_the_pages_quote_the_message_squall_prints(page: str) -> None:
    """docs/scale-out.md and docs/ci.md quote the start of the message (up to `...`)."""
    from squall.cli import _TEMPORAL_MISSING

    text = " ".join((ROOT / "docs" / page).read_text(encoding="utf-8").split())
    start = text.index("`squall: error: this command needs the temporal extra")
    quoted = text[start + 1 : text.index("`", start + 1)]
    assert quoted.endswith("...")
    assert f"squall: error: {_TEMPORAL_MISSING}".startswith(quoted.removesuffix("...").rstrip())
