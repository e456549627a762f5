"""``squall run --max-output`` and the ``runtime.max_output`` setting: a large output is
cut in the journal, the event stream and the history, and the cut is marked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml


def _experiment(tmp_path: Path, size: int) -> str:
    path = tmp_path / "big.json"
    script = f"yes aaaaaaa | head -c {size}; echo done >&2"
    path.write_text(
        json.dumps(
            {
                "title": "big output",
                "description": "a process printing a lot",
                "method": [
                    {
                        "type": "action",
                        "name": "big",
                        "provider": {"type": "process", "path": "sh", "arguments": ["-c", script]},
                    }
                ],
            }
        )
    )
    return str(path)


def test_max_output_cuts_and_marks_the_entry(squall: Any, tmp_path: Path) -> None:
    result = squall("run", "--max-output", "64KiB", "--keep-events", _experiment(tmp_path, 300_000))
    assert result.code == 0, result.stderr
    entry = result.journal["run"][0]
    assert entry["output"]["stderr"] == "done\n"  # short texts are kept whole
    assert entry["output"]["stdout"].endswith("characters not recorded]")
    assert 60_000 < len(entry["output"]["stdout"]) < 66_000
    assert entry["squall"]["output_truncated"]["limit"] == 65536
    assert entry["squall"]["output_truncated"]["size"] > 300_000
    streamed = (tmp_path / "journal.json.events.jsonl").read_text()
    assert len(streamed) < 80_000 and "output_truncated" in streamed  # newlines: 2 chars


def test_the_setting_is_used_and_the_default_is_one_mebibyte(squall: Any, tmp_path: Path) -> None:
    experiment = _experiment(tmp_path, 1_100_000)
    result = squall("run", experiment)
    assert result.code == 0, result.stderr
    assert result.journal["run"][0]["squall"]["output_truncated"]["limit"] == 1 << 20
    (tmp_path / "settings.yaml").write_text(yaml.safe_dump({"runtime": {"max_output": "2MiB"}}))
    result = squall("run", experiment)
    assert "squall" not in result.journal["run"][0]
    assert len(result.journal["run"][0]["output"]["stdout"]) == 1_100_000


def test_a_bad_size_is_bad_input(squall: Any, tmp_path: Path) -> None:
    result = squall("run", "--max-output", "lots", _experiment(tmp_path, 10))
    assert result.code == 2
    assert "--max-output" in result.stderr and "not a size" in result.stderr
    (tmp_path / "settings.yaml").write_text(yaml.safe_dump({"runtime": {"max_output": "x"}}))
    result = squall("run", _experiment(tmp_path, 10))
    assert result.code == 2 and "runtime.max_output" in result.stderr
