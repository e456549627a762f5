"""The hint for an environment variable that is not set offers what works: for a
configuration value, a default or --var too; for a secret (no default, and --var gives
configuration only), the environment or a var file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def test_hints_for_configuration_and_secrets(squall: Any, tmp_path: Path) -> None:
    experiment = {
        "title": "t",
        "description": "d",
        "configuration": {"url": {"type": "env", "key": "HINT_URL"}},
        "secrets": {"api": {"token": {"type": "env", "key": "HINT_TOKEN"}}},
        "method": [],
    }
    path = tmp_path / "e.json"
    path.write_text(json.dumps(experiment))
    result = squall("validate", str(path))
    assert result.code == 2
    assert 'hint: export HINT_URL=..., give a "default", or pass --var/--var-file' in result.stderr
    assert (
        "hint: export HINT_TOKEN=..., or give it in a --var-file (a .env line HINT_TOKEN=...)"
        in result.stderr
    )
    (tmp_path / "t.env").write_text("HINT_TOKEN=x\n")  # what the hint says works
    fixed = squall("validate", "--var-file", str(tmp_path / "t.env"), "--var", "url=u", str(path))
    assert fixed.code == 0, fixed.stderr
