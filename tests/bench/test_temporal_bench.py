"""Smoke test of bench/temporal.py: a real dev server and real workers, small sizes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from temporal import temporal_binary_or_skip

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_temporal_bench_measures_both_engines(tmp_path: Path) -> None:
    temporal_binary_or_skip()
    out = tmp_path / "result.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "temporal.py"), "--runs", "1", "--quick",
         "--cases", "per-activity,throughput", "--work", str(tmp_path / "w"), "--out", str(out)],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["per_activity"]["temporal_ms"] > 0
    assert result["throughput"]["workers_1"]["per_s"] > 0
    assert "| per activity (N=20)" in done.stdout
    assert "6 experiments, 1 worker(s)" in done.stdout
