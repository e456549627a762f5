"""``squall lint`` finds nothing in examples/security/ when given the var file the
experiments run with (made from a real demo, as scripts/main.py makes it): every
``${name}`` they use is provided, and each action is undone or explicitly annotated."""

from __future__ import annotations

import subprocess
import sys

import pytest
from security_support import Demo, security_experiments


@pytest.mark.slow
def test_security_examples_are_lint_clean_with_their_var_file(normal_demo: Demo) -> None:
    experiments = [str(p) for p in security_experiments()]
    assert len(experiments) >= 10
    lint = [sys.executable, "-m", "squall", "lint", "--fail-on", "info"]
    done = subprocess.run(
        [*lint, "--var-file", str(normal_demo.variables), *experiments],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (0, ""), done.stdout + done.stderr
    assert f"squall lint: {len(experiments)} files, 0 findings" in done.stderr
    # without the var file the names the demo provides are unknown: the test is not vacuous
    bare = subprocess.run([*lint, *experiments], capture_output=True, text=True, check=False)
    assert bare.returncode == 1 and "SQ501" in bare.stdout and "SQ101" not in bare.stdout
