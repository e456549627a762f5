"""The package users install: `python -m build` then scripts/check_dist.py, exactly as the
release workflow does, on a fresh build of this checkout (wheel installed into a fresh venv,
used from an empty directory: --version, the demo, a security experiment, reports)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / ".github" / "workflows" / "release.yml"


@pytest.mark.slow
def test_built_dists_install_and_run(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    checked = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_dist.py"), str(dist)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("ok  ") == 3, checked.stdout


def test_check_dist_refuses_a_folder_without_both_dists(tmp_path: Path) -> None:
    (tmp_path / "squall-0.0.0-py3-none-any.whl").write_bytes(b"")
    checked = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_dist.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 1
    assert "want one wheel and one sdist" in checked.stderr


def test_release_workflow_runs_the_same_check_before_publishing() -> None:
    import yaml

    workflow = yaml.safe_load(RELEASE.read_text(encoding="utf-8"))
    build_steps = [step.get("run", "") for step in workflow["jobs"]["build"]["steps"]]
    script = "\n".join(build_steps)
    assert "python -m build --outdir dist" in script
    assert "python scripts/check_dist.py dist" in script
    publish = workflow["jobs"]["publish"]
    assert publish["needs"] == "build"
    uses = [step.get("uses", "") for step in publish["steps"]]
    assert any(u.startswith("pypa/gh-action-pypi-publish@") for u in uses)
    # trusted publishing: an OIDC token, no API token stored in the repository
    assert publish["permissions"]["id-token"] == "write"


def _sdist(where: Path, *names: str) -> Path:
    import io
    import tarfile

    path = where / "squall-0.0.0.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name in ("pyproject.toml", "src/squall/__init__.py", *names):
            info = tarfile.TarInfo(f"squall-0.0.0/{name}")
            archive.addfile(info, io.BytesIO(b""))
    return path


def _wheel(where: Path) -> Path:
    import zipfile

    path = where / "squall-0.0.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name in ("squall/experiment/schema.json", "squall/py.typed", "squall/demo/x.py"):
            archive.writestr(name, "")
    return path


@pytest.mark.parametrize(
    ("names", "leaked"),
    [
        (("tests/report/data/showcase-journal.json",), None),
        (("journal.json",), "journal.json"),
        ((".venv/bin/python",), ".venv/"),
        (("src/squall/__pycache__/x.pyc",), "__pycache__/"),
        ((".hypothesis/constants/0a1b",), ".hypothesis/"),
    ],
)
def test_the_sdist_check_knows_a_leak_from_a_lookalike(
    tmp_path: Path, names: tuple[str, ...], leaked: str | None
) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import check_dist
    finally:
        sys.path.pop(0)
    if leaked is None:
        check_dist.check_contents(_wheel(tmp_path), _sdist(tmp_path, *names))
    else:
        with pytest.raises(check_dist.CheckFailed, match=leaked.replace(".", "\\.")):
            check_dist.check_contents(_wheel(tmp_path), _sdist(tmp_path, *names))
