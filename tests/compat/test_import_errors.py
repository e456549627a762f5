"""A driver that cannot be imported: the error names the module, the missing name and
the interpreter squall runs on (``squall validate``, ``squall run``, ``squall discover``),
without a traceback."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _driver(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "half_driver.py").write_text(
        "import squall_missing_dependency\n\n__all__ = ['probe']\n\n\ndef probe():\n    return 1\n"
    )
    experiment = {
        "title": "t",
        "description": "d",
        "method": [
            {
                "type": "probe",
                "name": "p",
                "provider": {"type": "python", "module": "half_driver", "func": "probe"},
            }
        ],
    }
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    return {"PYTHONPATH": str(tmp_path)}


def test_validate_and_run_name_the_missing_import(squall: Any, tmp_path: Path) -> None:
    env = _driver(tmp_path)
    for command in ("validate", "run"):
        result = squall(command, "e.json", env=env)
        assert result.code == 2, result.stderr
        assert 'cannot import module "half_driver"' in result.stderr
        assert "No module named 'squall_missing_dependency'" in result.stderr
        assert "(missing: squall_missing_dependency)" in result.stderr
        assert f"interpreter {sys.executable}" in result.stderr
        assert "Traceback" not in result.stderr


def test_discover_names_the_missing_import(squall: Any, tmp_path: Path) -> None:
    env = _driver(tmp_path)
    result = squall("discover", "half_driver", env=env)
    assert result.code == 2, result.stderr
    assert "half_driver" in result.stderr
    assert "squall_missing_dependency" in result.stderr
    assert sys.executable in result.stderr
    assert "Traceback" not in result.stderr
