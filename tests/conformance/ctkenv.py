"""Build (once) and find the Chaos Toolkit reference venv the conformance suite runs.

    .venv/bin/python tests/conformance/ctkenv.py [run|report]...   # build or reuse; print paths

Two venvs live in ``.conformance/`` at the repository root (gitignored; $CONF_CTK_CACHE
chooses another folder), each rebuilt
when its requirements change: ``ctk-run`` runs the experiments, ``ctk-report`` holds
chaostoolkit-reporting. They are separate because the reporting plugin is imported by
every ``chaos`` command and brings matplotlib, numpy and cairo with it: about 0.8 s of
CPU per call on this machine, more than the whole run of a small experiment. It is never a dependency of squall: squall's own venv
does not see it. chaostoolkit 1.21 and chaostoolkit-lib 1.45 need Python >= 3.12, found
as $CONF_CTK_PYTHON, pyenv's ~/.pyenv/versions/3.12.*/bin/python3.12, or python3.12 on
PATH. pypandoc-binary brings the pandoc that ``chaos report`` calls for every format,
markdown included (no system package needed).
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("CONF_CTK_CACHE") or ROOT / ".conformance")
CORE = ["chaostoolkit==1.21.4", "chaostoolkit-lib[jsonpath]==1.45.1"]
REQUIREMENTS = {
    "run": [*CORE, "chaostoolkit-addons==0.12.0"],
    "report": [*CORE, "chaostoolkit-reporting==0.18.0", "pypandoc-binary==1.17"],
}


class CtkEnvError(RuntimeError):
    """The reference venv could not be built; the message says why and what to do."""


def find_python() -> str:
    candidates = [os.environ.get("CONF_CTK_PYTHON", "")]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12.*/bin/python3.12")))
    candidates += [shutil.which("python3.12") or ""]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise CtkEnvError(
        "no Python 3.12 found for the Chaos Toolkit venv (chaostoolkit 1.21 needs >= 3.12):"
        " install it with pyenv or set CONF_CTK_PYTHON=/path/to/python3.12"
    )


def venv_path(kind: str) -> Path:
    return CACHE / f"ctk-{kind}"


def _stamp(kind: str) -> str:
    return hashlib.sha256("\n".join(REQUIREMENTS[kind]).encode()).hexdigest()[:16]


def _ready(venv: Path, kind: str) -> bool:
    stamp = venv / ".conformance-stamp"
    return (
        stamp.exists() and stamp.read_text() == _stamp(kind) and (venv / "bin" / "chaos").exists()
    )


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CtkEnvError(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-3000:]}")


def ensure(kind: str = "run") -> Path:
    """Return the venv, building it first when missing or out of date."""
    venv = venv_path(kind)
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f"ctk-{kind}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs never build it at once
        if _ready(venv, kind):
            return venv
        python = find_python()
        building = venv.with_name(venv.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        _run([python, "-m", "venv", str(building)])
        pip = [
            str(building / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
        ]
        env_cache = ["--cache-dir", str(venv.parent / "pip-cache")]
        _run([*pip, *env_cache, *REQUIREMENTS[kind]])
        (building / ".conformance-stamp").write_text(_stamp(kind))
        shutil.rmtree(venv, ignore_errors=True)
        # a venv's scripts hard-code its path: rebuild them by moving, then fixing shebangs
        building.rename(venv)
        _fix_shebangs(building, venv)
        return venv


def _fix_shebangs(old: Path, new: Path) -> None:
    old_text, new_text = str(old).encode(), str(new).encode()
    for script in (new / "bin").iterdir():
        if script.is_file() and not script.is_symlink():
            data = script.read_bytes()
            if old_text in data[:4096]:
                script.write_bytes(data.replace(old_text, new_text))
    cfg = new / "pyvenv.cfg"
    cfg.write_bytes(cfg.read_bytes().replace(old_text, new_text))


if __name__ == "__main__":
    try:
        for kind in sys.argv[1:] or ["run"]:
            print(ensure(kind), flush=True)
    except CtkEnvError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
