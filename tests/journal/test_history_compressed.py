"""A large journal is stored compressed in the SQLite run history (a run of many
activities no longer writes its whole journal through SQLite's log and checkpoint):
real runs, a real SQLite file, read back by the real CLI; a small journal stays text; a
damaged one is an error that names the run, never a traceback."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from squall.journal.history import RunRecord, open_history
from squall.journal.history.compress import COMPRESS_FROM, compress_journal, expand_journal

from sqharness import EXAMPLES


def _many(tmp_path: Path, count: int) -> Path:
    activity = {
        "type": "probe",
        "provider": {
            "type": "python",
            "module": "os.path",
            "func": "exists",
            "arguments": {"path": "/"},
        },
    }
    experiment = {
        "title": f"{count} activities",
        "description": "a journal larger than the history stores as text",
        "method": [{**activity, "name": f"exists-{i}"} for i in range(count)],
    }
    path = tmp_path / "many.json"
    path.write_text(json.dumps(experiment))
    return path


def _stored(history: Path, run_id: str) -> tuple[str, int]:
    with sqlite3.connect(history) as connection:
        kind, size = connection.execute(
            "SELECT typeof(journal), length(journal) FROM squall_runs WHERE run_id = ?",
            (run_id,),
        ).fetchone()
    return str(kind), int(size)


def test_a_large_journal_is_stored_compressed_and_read_back_whole(
    squall: Any, tmp_path: Path
) -> None:
    history = tmp_path / "h.sqlite3"
    env = {"SQUALL_HISTORY": str(history)}
    result = squall("run", str(_many(tmp_path, 400)), env=env)
    assert result.code == 0, result.stderr
    run_id = result.journal["squall"]["run_id"]
    text = (tmp_path / "journal.json").read_text()
    assert len(text) >= COMPRESS_FROM
    kind, size = _stored(history, run_id)
    assert kind == "blob" and size < len(text) / 5
    shown = squall("runs", "show", run_id, "--journal", env=env)
    assert shown.code == 0, shown.stderr
    assert shown.stdout == text  # the very text the journal file holds
    summary = squall("runs", "show", run_id, env=env)
    assert summary.code == 0 and "400 activities" in summary.stdout, summary.stderr


def test_a_small_journal_stays_text(squall: Any, tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite3"
    result = squall("run", str(EXAMPLES / "trivial.json"), env={"SQUALL_HISTORY": str(history)})
    assert result.code == 0, result.stderr
    kind, size = _stored(history, result.journal["squall"]["run_id"])
    assert kind == "text" and size == len((tmp_path / "journal.json").read_bytes())


def test_a_damaged_compressed_journal_is_an_error_naming_the_run(
    squall: Any, tmp_path: Path
) -> None:
    history = tmp_path / "h.sqlite3"
    env = {"SQUALL_HISTORY": str(history)}
    result = squall("run", str(_many(tmp_path, 400)), env=env)
    run_id = result.journal["squall"]["run_id"]
    with sqlite3.connect(history) as connection:
        (blob,) = connection.execute("SELECT journal FROM squall_runs").fetchone()
        cut = blob[: len(blob) // 2]
        connection.execute("UPDATE squall_runs SET journal = ?", (cut,))
    shown = squall("runs", "show", run_id, "--journal", env=env)
    assert shown.code == 2 and "Traceback" not in shown.stderr
    assert f"the journal of run {run_id} in the run history" in shown.stderr
    assert "damaged" in shown.stderr and str(history) in shown.stderr


@pytest.mark.parametrize(
    "data",
    [b"", b"not zlib at all", compress_journal("x" * 100)[:-3], compress_journal("{}") + b"more"],
)
def test_what_is_not_a_compressed_journal_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError):
        expand_journal(data)


def test_a_bomb_is_refused_without_expanding_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from squall.journal.history import compress

    monkeypatch.setattr(compress, "MAX_JOURNAL", 10_000)
    with pytest.raises(ValueError, match="expands beyond 10000 bytes"):
        expand_journal(compress_journal("0" * 1_000_000))


def test_any_text_comes_back_as_it_was() -> None:
    for text in ("", "é" * (3 * 65536 + 1), "a\udcffb", "{}\n" * 50_000):
        assert expand_journal(compress_journal(text)) == text


def test_text_rows_of_earlier_versions_are_still_read(tmp_path: Path) -> None:
    # a history written before journals were compressed holds even large ones as text
    path = tmp_path / "h.sqlite3"
    store = open_history(str(path))
    store.compress = False
    large = json.dumps({"run": ["x" * 100] * 2000})
    record = RunRecord(run_id="abc123", title="t", started_at="2026-12-05T00:00:00+00:00")
    store.finish(record.replace(status="completed", journal=large))
    store.close()
    assert _stored(path, "abc123")[0] == "text"
    store = open_history(str(path))
    try:
        assert store.get("abc123").journal == large
        store.finish(record.replace(status="completed", journal=large))  # written again
        assert _stored(path, "abc123")[0] == "blob"
        assert store.get("abc1").journal == large
    finally:
        store.close()
