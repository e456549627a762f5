"""The run store: records survive reopening, prefixes resolve, filters and order hold,
errors are clear (the same tests run on SQLite and, when available, PostgreSQL)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from squall.journal.history import (
    HistoryError,
    RunHistory,
    RunRecord,
    UnknownRun,
    experiment_hash,
    open_history,
)


def record(run_id: str, started: str, **extra: object) -> RunRecord:
    values: dict[str, object] = {
        "title": "an experiment",
        "experiment_hash": experiment_hash({"title": "an experiment"}),
        "started_at": started,
        "journal_path": f"/tmp/{run_id}.json",
        "events_path": f"/tmp/{run_id}.json.events.jsonl",
        "node": "here",
        "pid": 1,
    }
    values.update(extra)
    return RunRecord(run_id=run_id, **values)  # type: ignore[arg-type]


def finished(run: RunRecord, outcome: str, code: int) -> RunRecord:
    return run.replace(
        status="completed",
        outcome=outcome,
        exit_code=code,
        ended_at=run.started_at.replace("00Z", "09Z"),
        duration=9.0,
        journal='{"status": "completed"}\n',
    )


def test_a_run_is_recorded_as_running_then_finished(history_store: RunHistory) -> None:
    run = record("a1b2c3d4e5f6", "2026-11-23T05:00:00Z")
    history_store.start(run)
    got = history_store.get("a1b2c3d4e5f6")
    assert got.status == "running" and not got.finished and got.journal is None
    history_store.finish(finished(run, "held", 0))
    got = history_store.get("a1b2")
    assert (got.status, got.outcome, got.exit_code, got.duration) == ("completed", "held", 0, 9.0)
    assert got.journal_data() == {"status": "completed"}
    assert got.title == "an experiment" and got.pid == 1 and not got.recovered


def test_finish_without_start_inserts_the_whole_record(history_store: RunHistory) -> None:
    history_store.finish(finished(record("ffff00001111", "2026-11-23T05:00:00Z"), "broken", 3))
    assert history_store.get("ffff").exit_code == 3


def test_newest_first_and_filters(history_store: RunHistory) -> None:
    history_store.finish(finished(record("aaaa00000001", "2026-11-23T01:00:00Z"), "held", 0))
    history_store.finish(
        finished(
            record(
                "bbbb00000002",
                "2026-11-23T02:00:00Z",
                title="TLS 50% check_x",
                experiment_hash=experiment_hash({"title": "TLS"}),
            ),
            "deviated",
            1,
        )
    )
    history_store.start(record("cccc00000003", "2026-11-23T03:00:00Z"))
    assert [r.run_id for r in history_store.runs()] == [
        "cccc00000003",
        "bbbb00000002",
        "aaaa00000001",
    ]
    assert [r.run_id for r in history_store.runs(limit=1)] == ["cccc00000003"]
    assert [r.run_id for r in history_store.runs(outcome="held")] == ["aaaa00000001"]
    assert [r.run_id for r in history_store.runs(status="running")] == ["cccc00000003"]
    # title part, any case; % and _ are matched literally
    assert [r.run_id for r in history_store.runs(experiment="tls 50%")] == ["bbbb00000002"]
    assert history_store.runs(experiment="check%x") == []
    by_hash = history_store.runs(experiment=experiment_hash({"title": "an experiment"})[:10])
    assert [r.run_id for r in by_hash] == ["cccc00000003", "aaaa00000001"]
    assert all(r.journal is None for r in history_store.runs())  # summaries only


def test_unknown_ambiguous_and_near_ids(history_store: RunHistory) -> None:
    history_store.start(record("abc123000000", "2026-11-23T01:00:00Z"))
    history_store.start(record("abc456000000", "2026-11-23T02:00:00Z"))
    with pytest.raises(UnknownRun, match=r"ambiguous.*abc456000000, abc123000000"):
        history_store.get("abc")
    with pytest.raises(UnknownRun, match=r"near matches: abc123000000"):
        history_store.get("abd123")
    with pytest.raises(UnknownRun, match="not a run id"):
        history_store.get("abc%")
    assert history_store.get("ABC4").run_id == "abc456000000"  # ids are case-insensitive


def test_the_sqlite_file_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "h.sqlite3"
    store = open_history(str(path))
    store.start(record("0123456789ab", "2026-11-23T01:00:00Z"))
    store.close()
    again = open_history(f"sqlite:///{path}")
    assert again.get("0123").status == "running"
    again.close()


def test_open_errors_are_clear(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(HistoryError, match=r"cannot open the run history .*--no-history"):
        open_history(str(tmp_path / "file" / "h.sqlite3"))
    with pytest.raises(HistoryError, match="unknown kind of store"):
        open_history("mysql://somewhere/db")
    not_a_db = tmp_path / "not-a-db"
    not_a_db.write_text("this is not sqlite" * 100)
    with pytest.raises(HistoryError, match=r"cannot (open|create the schema of) the run history"):
        open_history(str(not_a_db))


def test_experiment_hash_ignores_layout() -> None:
    assert experiment_hash({"a": 1, "b": [1, 2]}) == experiment_hash({"b": [1, 2], "a": 1})
    assert experiment_hash({"a": 1}) != experiment_hash({"a": 2})
    canonical = '{"a":1,"title":"été"}'.encode()
    assert experiment_hash({"title": "été", "a": 1}) == hashlib.sha256(canonical).hexdigest()


@pytest.mark.parametrize("xdg", [None, "", "/srv/data"])
def test_the_default_place_is_platformdirs_user_data_dir(
    xdg: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import platformdirs

    from squall.journal.history import default_history_path

    if xdg is None:
        monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_DATA_HOME", xdg)
    expected = Path(platformdirs.user_data_dir("squall", appauthor=False)) / "history.sqlite3"
    assert Path(default_history_path()) == expected
