"""Without the hvac package, a Vault secret stops the run (exit 2, before anything runs)
with an install command that cannot fetch a stranger's package: squall is not on PyPI,
so ``pip install 'squall[vault]'`` would install whatever holds that name there."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def test_the_message_names_hvac_itself(squall: Any, tmp_path: Path) -> None:
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "hvac.py").write_text("raise ImportError('hvac is not installed here')\n")
    experiment = {
        "title": "t",
        "description": "d",
        "secrets": {"v": {"token": {"type": "vault", "path": "secret/app", "key": "token"}}},
        "method": [
            {
                "type": "action",
                "name": "a",
                "provider": {"type": "process", "path": "true", "secrets": ["v"]},
            }
        ],
    }
    path = tmp_path / "e.json"
    path.write_text(json.dumps(experiment))
    result = squall("run", str(path), env={"PYTHONPATH": str(hidden)})
    assert result.code == 2, result.stderr
    assert 'the "hvac" package is missing: pip install hvac (into ' in result.stderr
    assert "squall[vault]'" not in result.stderr.replace("-e '.[vault]'", "")
    assert result.journal is None
