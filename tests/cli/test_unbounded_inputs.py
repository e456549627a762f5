"""Files the command line reads besides the experiment are bounded too: a ``--var-file``
(JSON, YAML or .env) and the settings file are read up to the document limit
(``limits.document_bytes``, 16 MiB by default) and refused beyond it with exit 2.

Found: ``squall run e.json --var-file /dev/zero`` read until memory ran out ("internal
error: MemoryError", or the machine swapping), and ``--settings /dev/zero`` the same.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

EXPERIMENT = {
    "title": "bounded inputs",
    "description": "the side files are bounded",
    "method": [{"type": "action", "name": "a", "provider": {"type": "process", "path": "true"}}],
}
SMALL = {"SQUALL_LIMIT_DOCUMENT_BYTES": "4096"}  # the limit the side files obey too


@pytest.mark.parametrize("name", ["vars.json", "vars.yaml", "vars.env"])
def test_a_var_file_over_the_document_limit_is_refused(
    name: str, squall: Any, tmp_path: Path
) -> None:
    (tmp_path / "e.json").write_text(json.dumps(EXPERIMENT))
    big = {
        "vars.json": '{"configuration": {"x": "' + "a" * 8000 + '"}}',
        "vars.yaml": "configuration:\n  x: " + "a" * 8000,
    }
    (tmp_path / name).write_text(big.get(name, "X=" + "a" * 8000))
    result = squall("run", "e.json", "--var-file", name, env=SMALL)
    assert result.code == 2, result.stderr
    assert "larger than 4,096 bytes" in result.stderr and name in result.stderr
    assert "internal error" not in result.stderr and result.journal is None


def test_a_huge_var_file_or_settings_file_is_refused_unread(squall: Any, tmp_path: Path) -> None:
    (tmp_path / "e.json").write_text(json.dumps(EXPERIMENT))
    # a sparse file of 64 MiB of NULs stands for /dev/zero (which the test must not read
    # whole if the fix were missing: the machine is shared)
    with open(tmp_path / "zeros.yaml", "wb") as handle:
        handle.truncate(64 << 20)
    for argv in (
        ("run", "e.json", "--var-file", "zeros.yaml"),
        ("--settings", "zeros.yaml", "validate", "e.json"),
    ):
        result = squall(*argv, timeout=60, env=SMALL)
        assert result.code == 2, (argv, result.stderr)
        assert "larger than" in result.stderr and "internal error" not in result.stderr
