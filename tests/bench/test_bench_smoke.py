"""Smoke test of bench/run.py in --squall-only mode (no Chaos Toolkit venv needed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "bench" / "run.py"
CASES = ["version", "trivial", "python-0", "python-1000", "http-100"]


def run_bench(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RUN), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )


def test_squall_only_writes_well_formed_result(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    proc = run_bench(
        "--squall-only",
        "--runs",
        "1",
        "--cases",
        ",".join(CASES),
        "--work",
        str(tmp_path / "work"),
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    res = json.loads(out.read_text())

    assert res["schema"] == "squall-bench/1"
    assert res["mode"] == "squall-only"
    assert res["runs"] == 1
    assert res["order"] == ["squall"]
    assert res["machine"]["nproc"] >= 1
    assert res["tools"]["squall"]["version"].startswith("squall")
    assert "ctk" not in res["tools"]
    # bytecode is cached under the work dir, never in the repo
    # peaks are read from a small helper process, so they are not floored at our own RSS
    assert 0 < res["peak_floor_mib"] < 20
    assert res["bytecode_env"]["PYTHONDONTWRITEBYTECODE"] is None
    assert res["bytecode_env"]["PYTHONPYCACHEPREFIX"] == str(tmp_path / "work" / "pycache")

    assert [c["name"] for c in res["cases"]] == CASES
    for case in res["cases"]:
        squall = case["squall"]
        assert case["ctk"] is None
        assert case["ratio"] is None
        assert squall["n"] == 1
        assert [r["rc"] for r in squall["runs"]] == [0]
        assert squall["wall"]["median"] > 0
        assert squall["cpu"]["median"] > 0
        assert squall["peak_mib"]["median"] > 0

    derived = {d["name"]: d for d in res["derived"]}
    assert set(derived) == {"per-python-activity", "peak-memory-trivial"}
    assert derived["per-python-activity"]["unit"] == "us"
    assert isinstance(derived["per-python-activity"]["squall"]["value"], float)
    assert derived["peak-memory-trivial"]["squall"]["value"] > 0
    assert all(d["ctk"] is None and d["ratio"] is None for d in derived.values())

    targets = {t["name"]: t for t in res["targets"]}
    assert set(targets) == {"version", "trivial", "per-python-activity", "http-100", "peak-memory"}
    assert all(t["met"] is None for t in targets.values())

    # the journals were written in the work dir, and the table was printed
    assert (tmp_path / "work" / "journals" / "squall-http-100.json").exists()
    assert "| trivial |" in proc.stdout
    assert "| per-python-activity |" in proc.stdout


def test_failing_run_aborts_with_a_clear_message(tmp_path: Path) -> None:
    proc = run_bench(
        "--squall-only",
        "--squall",
        "/bin/false",
        "--runs",
        "1",
        "--cases",
        "version",
        "--work",
        str(tmp_path / "work"),
    )
    assert proc.returncode == 1
    assert "ABORTED" in proc.stderr
    assert "exit code 1, expected 0" in proc.stderr
    assert not (tmp_path / "work" / "results.json").exists()


def test_unknown_case_is_a_usage_error(tmp_path: Path) -> None:
    proc = run_bench("--squall-only", "--cases", "nope", "--work", str(tmp_path))
    assert proc.returncode == 2
    assert "unknown case" in proc.stderr


def test_no_python_312_for_the_ctk_exits_2(tmp_path: Path) -> None:
    fake = tmp_path / "python3"
    fake.write_text("#!/bin/sh\necho 3 11 3.11.0 /fake/python3\n")
    fake.chmod(0o755)
    proc = run_bench(
        "--ctk-python", str(fake), "--runs", "1", "--cases", "version", "--work", str(tmp_path)
    )
    assert proc.returncode == 2
    assert "no Python >= 3.12" in proc.stderr
    assert not (tmp_path / "ctk-venv").exists()
