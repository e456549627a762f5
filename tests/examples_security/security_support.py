"""Helpers for the examples/security tests: a real demo driven like scripts/main.py does."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlifeline

ROOT = Path(__file__).resolve().parents[2]
SECURITY = ROOT / "examples" / "security"
MAIN_SCRIPT = ROOT / "scripts" / "main.py"


def load_main() -> ModuleType:
    """scripts/main.py as a module (the var file and the demo helpers live there)."""
    name = "squall_main_job"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, MAIN_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def security_experiments() -> list[Path]:
    return load_main().experiments(SECURITY)


def processes_with(text: str) -> list[int]:
    """Pids (other than ours) whose command line contains ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(int(entry.name))
    return found


@dataclass
class Demo:
    """A running demo: its demo.json, the generated var file and a squall runner."""

    state_dir: Path
    data: dict[str, Any]
    variables: Path
    journals: Path

    def path(self, key: str) -> Path:
        return Path(self.data[key])

    def run(self, experiment: Path) -> tuple[int, dict[str, Any], str]:
        """``squall run`` with the var file; returns (exit code, journal, stderr)."""
        journal = self.journals / f"{experiment.stem}.journal.json"
        done = subprocess.run(
            [sys.executable, "-m", "squall", "run", "--journal-path", str(journal),
             "--var-file", str(self.variables), str(experiment)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        data = json.loads(journal.read_text()) if journal.exists() else {}
        return done.returncode, data, done.stderr

    def healthy(self) -> bool:
        done = subprocess.run(
            [sys.executable, "-m", "squall", "demo", "status", "--state-dir", str(self.state_dir)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        return done.returncode == 0

    def snapshot(self) -> dict[str, Any]:
        """What a run must leave exactly as it found: files, modes, the watched directory."""
        files = ("config_file", "cert_file", "key_file", "revoked_tokens_file", "signing_key_file")
        state: dict[str, Any] = {
            key: (self.path(key).read_bytes(), self.path(key).stat().st_mode) for key in files
        }
        state["secrets_dir"] = sorted(p.name for p in self.path("secrets_dir").iterdir())
        state["stray files"] = sorted(p.name for p in self.state_dir.glob("config.json.*"))
        state["injections"] = sorted(p.name for p in (self.state_dir / "injections").glob("*"))
        return state


def start(misconfigured: bool) -> Iterator[Demo]:
    """Bring a demo up through the CLI on free ports; always bring it down, leave nothing."""
    main = load_main()
    root = Path(tempfile.mkdtemp(prefix="squall-examples-security-"))
    sqlifeline.remove_at_end(root)  # and the demo ended, if pytest is killed
    state_dir = root / "state"
    try:
        data = main.demo_up(state_dir, misconfigured)
        try:
            variables = main.write_var_file(data, root / "vars.json")
            journals = root / "journals"
            journals.mkdir()
            demo = Demo(state_dir, data, variables, journals)
            assert demo.healthy()
            yield demo
        finally:
            main.demo_down(state_dir)
        deadline = time.monotonic() + 10
        while processes_with(str(state_dir)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert processes_with(str(state_dir)) == [], "demo processes left behind"
    finally:
        shutil.rmtree(root, ignore_errors=True)
