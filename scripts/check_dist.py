"""Check built distributions the way a user meets them: installed, without the source tree.

    python -m build --outdir dist        # the sdist, then the wheel built from the sdist
    python scripts/check_dist.py dist    # this check; exit 0 when every step passed

The release workflow (.github/workflows/release.yml) runs exactly these two commands before
it publishes, and tests/packaging/test_dist.py runs them on every test run. Steps:

1. ``dist`` holds one wheel and one sdist of the version in ``src/squall/_version.py``, the
   sdist carries the sources (no venv, no .git, no journals) and the wheel carries the data
   files squall reads at run time (the JSON Schema, the demo's files).
2. The wheel installs into a fresh virtual environment (no system site-packages).
3. From an empty directory (no source tree anywhere on ``sys.path``): ``squall --version``
   (which must not import ``re``: pip's console-script wrappers do),
   the demo (``squall demo up``/``vars``/``down`` on free ports), one bundled security
   experiment against it (held, exit 0), and ``squall report`` of its journal in every
   format (HTML, Markdown, JUnit XML).

Each step prints one line; the first failure prints what the command said and exits 1.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "security" / "expired-certificate.json"
#: files the installed package reads at run time (a wheel without them imports but fails)
WHEEL_DATA = ("squall/experiment/schema.json", "squall/py.typed")
#: what must never be packaged
SDIST_NEVER = (
    ".venv/",
    ".git/",
    "journal.json",
    ".conformance/",
    "__pycache__/",
    ".hypothesis/",
    ".import_linter_cache/",
)


class CheckFailed(Exception):
    """A step failed; the message says which and what the command printed."""


def version() -> str:
    text = (ROOT / "src" / "squall" / "_version.py").read_text(encoding="utf-8")
    found = re.search(r'__version__ = "([^"]+)"', text)
    if not found:
        raise CheckFailed("src/squall/_version.py has no __version__")
    return found.group(1)


def find_dists(dist: Path, want: str) -> tuple[Path, Path]:
    wheels = sorted(dist.glob(f"squall-{want}-*.whl"))
    sdists = sorted(dist.glob(f"squall-{want}.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        found = sorted(p.name for p in dist.iterdir())
        raise CheckFailed(f"want one wheel and one sdist of squall {want} in {dist}, found {found}")
    return wheels[0], sdists[0]


def check_contents(wheel: Path, sdist: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    missing = [name for name in WHEEL_DATA if name not in names]
    if missing:
        raise CheckFailed(f"{wheel.name} lacks {missing}")
    if not any(name.startswith("squall/demo/") for name in names):
        raise CheckFailed(f"{wheel.name} lacks the demo package")
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    top = members[0].split("/", 1)[0]
    inner = [name.removeprefix(top + "/") for name in members]
    if "pyproject.toml" not in inner or "src/squall/__init__.py" not in inner:
        raise CheckFailed(f"{sdist.name} lacks pyproject.toml or the sources")
    parts = [(name.split("/"), name.rsplit("/", 1)[-1]) for name in inner]
    leaked = sorted(
        {
            bad
            for bad in SDIST_NEVER
            for dirs, base in parts
            if (bad.endswith("/") and bad[:-1] in dirs[:-1]) or bad == base
        }
    )
    if leaked:
        raise CheckFailed(f"{sdist.name} packs what it must not: {leaked}")


def run(cmd: list[str], *, cwd: Path, ok: tuple[int, ...] = (0,)) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode not in ok:
        shown = " ".join(cmd)
        raise CheckFailed(f"`{shown}` exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done.stdout


def install(wheel: Path, where: Path) -> Path:
    run([sys.executable, "-m", "venv", str(where / "venv")], cwd=where)
    python = where / "venv" / "bin" / "python"
    run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
        cwd=where,
    )
    return where / "venv" / "bin" / "squall"


def smoke(squall: Path, work: Path, want: str) -> None:
    shown = run([str(squall), "--version"], cwd=work)
    if want not in shown:
        raise CheckFailed(f"squall --version printed {shown!r}, not version {want}")
    timed = subprocess.run(
        [str(squall), "--version"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"},
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in timed.stderr.splitlines()}
    if "re" in imported or "squall" not in imported:
        raise CheckFailed("the installed squall command imports re for --version (pip's wrapper?)")
    python = squall.parent / "python"
    where = run([str(python), "-c", "import squall; print(squall.__file__)"], cwd=work).strip()
    if str(ROOT) in where or "site-packages" not in where:
        raise CheckFailed(f"squall was imported from {where}, not from the installed wheel")
    state = work / "demo-state"
    run([str(squall), "demo", "up", "--base-port", "0", "--state-dir", str(state)], cwd=work)
    try:
        run([str(squall), "demo", "vars", "--state-dir", str(state), "-o", "vars.json"], cwd=work)
        shutil.copy(EXAMPLE, work / EXAMPLE.name)
        run(
            [
                str(squall),
                "run",
                EXAMPLE.name,
                "--var-file",
                "vars.json",
                "--journal-path",
                "journal.json",
                "--no-history",
            ],
            cwd=work,
        )
    finally:
        run([str(squall), "demo", "down", "--state-dir", str(state)], cwd=work)
    for fmt, out in (("html", "report.html"), ("markdown", "report.md"), ("junit", "junit.xml")):
        run([str(squall), "report", "journal.json", "-f", fmt, "-o", out], cwd=work)
        if not (work / out).stat().st_size:
            raise CheckFailed(f"squall report -f {fmt} wrote an empty {out}")


def check(dist: Path) -> None:
    want = version()
    wheel, sdist = find_dists(dist, want)
    check_contents(wheel, sdist)
    print(f"ok  contents of {wheel.name} and {sdist.name}")
    with tempfile.TemporaryDirectory(prefix="squall-dist-") as tmp:
        where = Path(tmp)
        squall = install(wheel.resolve(), where)
        print(f"ok  {wheel.name} installs into a fresh virtual environment")
        work = where / "work"
        work.mkdir()
        smoke(squall, work, want)
        print("ok  installed squall: --version, demo, a security experiment, report")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        check(Path(argv[0]))
    except CheckFailed as failed:
        print(f"FAIL {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
