"""A fresh virtual environment with squall installed from this checkout (not editable,
no system site-packages: nothing leaks from the dev venv). Packages come from the index
through pip's own cache, shared between tests, so a second venv costs seconds. squall
itself is built into a wheel once a session (``squall_wheel``: the first test that asks
builds it, the others, on any xdist worker, install the same file)."""

from __future__ import annotations

import fcntl
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


#: what the wheel is built from; nothing else of the checkout is copied, because other
#: tests write into it while this one copies (the hypothesis database under .hypothesis
#: can change mid-copy, which failed a CI run)
BUILD_INPUTS = ("src", "bin", "pyproject.toml", "README.md", "LICENSE")


def copy_sources(source: Path) -> None:
    """Copy the build's inputs (``BUILD_INPUTS``) of this checkout to ``source``."""
    source.mkdir(parents=True)
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))  # fmt: skip
        else:
            shutil.copy2(ROOT / name, source / name)


def squall_wheel(shared: Path) -> Path:
    """squall's wheel, built from a copy of this checkout (the build must not write into
    the repository) into ``shared/squall-wheel`` by the first caller; the others (xdist
    workers share ``shared``) wait for it under a lock and get the same file."""
    wheels = shared / "squall-wheel"
    with (shared / "squall-wheel.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not list(wheels.glob("squall-*.whl")):
                source = shared / "squall-wheel-src"
                shutil.rmtree(source, ignore_errors=True)  # a build that failed before
                copy_sources(source)
                done = subprocess.run(
                    [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels),
                     str(source)],
                    check=False, capture_output=True, text=True, timeout=300,
                    env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
                )  # fmt: skip
                assert done.returncode == 0, done.stdout + done.stderr
            (wheel,) = wheels.glob("squall-*.whl")
            return wheel
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def squall_venv(where: Path, wheel: Path) -> Venv:
    """A venv under ``where`` with squall installed from ``wheel`` (``squall_wheel``)."""
    venv = Venv(where)
    made = venv.run(sys.executable, "-m", "venv", str(venv.root))
    assert made.returncode == 0, made.stderr
    venv.pip(str(wheel))
    return venv
