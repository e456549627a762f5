"""Experiments for the CI kit tests (the module name avoids clashing with other helpers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def experiment(path: Path, *, gate: bool = True, title: str | None = None) -> Path:
    """A small experiment: a gate probe (held or not) and one harmless action."""
    probe: dict[str, Any] = {
        "type": "probe",
        "name": "gate",
        "tolerance": True,
        "provider": {
            "type": "python",
            "module": "sqtest",
            "func": "echo",
            "arguments": {"value": gate},
        },
    }
    action = {
        "type": "action",
        "name": "say-hello",
        "provider": {
            "type": "python",
            "module": "sqtest",
            "func": "echo",
            "arguments": {"value": "hi"},
        },
    }
    document = {
        "title": title or path.stem,
        "description": "CI kit test",
        "steady-state-hypothesis": {"title": "gate", "probes": [probe]},
        "method": [action],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))
    return path
