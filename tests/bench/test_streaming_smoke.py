"""Smoke test of bench/streaming.py: squall with and without the event stream and the
run history, one round."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_streaming_bench_writes_its_figures(tmp_path: Path) -> None:
    out = tmp_path / "streaming.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "streaming.py"),
            "--runs",
            "1",
            "--work",
            str(tmp_path / "work"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "streaming overhead on python-1000 (wall): target <= 10%" in done.stdout
    res = json.loads(out.read_text())
    assert res["schema"] == "squall-bench-streaming/1" and res["runs"] == 1
    assert set(res["cases"]) == {"python-1000", "trivial"}
    for case in res["cases"].values():
        assert set(case["median"]) == {"no-events", "streamed", "history"}
        assert all(v["wall"] > 0 and v["cpu"] > 0 for v in case["median"].values())
    assert res["target"]["met"] == (
        res["cases"]["python-1000"]["streaming_overhead"]["wall"] <= 0.10
    )
    # the three variants really differ: only the history variant recorded runs
    work = tmp_path / "work"
    assert (work / "history.sqlite3").exists()
    journals = {p.name for p in (work / "journals").iterdir()}
    assert "python-1000-no-events.json" in journals
    assert not list((work / "journals").glob("*.events.jsonl"))
