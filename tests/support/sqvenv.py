"""A fresh virtual environment with squall installed from this checkout (not editable,
no system site-packages: nothing leaks from the dev venv). Packages come from the index
through pip's own cache, shared between tests, so a second venv costs seconds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: pip's cache, kept between runs (the default one of the user running the tests)
PIP_CACHE = Path(os.environ.get("PIP_CACHE_DIR") or Path.home() / ".cache" / "pip")


class Venv:
    """``run`` executes a command with the venv first on PATH and a HOME of its own."""

    def __init__(self, where: Path) -> None:
        self.where = where
        self.root = where / "venv"
        self.python = self.root / "bin" / "python"
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("PYTHONPATH", "VIRTUAL_ENV", "SQUALL_SETTINGS", "PYTHONHOME")
        }
        env.update(
            PIP_CACHE_DIR=str(PIP_CACHE),
            PIP_DISABLE_PIP_VERSION_CHECK="1",
            HOME=str(where),  # no user settings
            PATH=f"{self.root / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            VIRTUAL_ENV=str(self.root),
        )
        self.env = env

    def run(
        self, *args: str, cwd: Path | None = None, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args,
            check=False,
            cwd=cwd or self.where,
            env={**self.env, **extra},
            capture_output=True,
            text=True,
            timeout=300,
        )

    def pip(self, *args: str) -> None:
        done = self.run(str(self.python), "-m", "pip", "install", "-q", *args)
        assert done.returncode == 0, done.stdout + done.stderr


def squall_venv(where: Path) -> Venv:
    """A venv under ``where`` with squall from this checkout installed (a copy of it:
    the build must not write into the repository)."""
    venv = Venv(where)
    made = venv.run(sys.executable, "-m", "venv", str(venv.root))
    assert made.returncode == 0, made.stderr
    source = where / "squall-src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "__pycache__", "site", "out", "bench", "tests", "docs", "*.egg-info"
        ),
    )
    venv.pip(str(source))
    return venv
