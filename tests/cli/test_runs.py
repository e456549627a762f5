"""``squall runs`` and the run history as the CLI records it: every run (also a killed
one) is kept, listed newest first, shown, compared; ``recover RUN_ID`` finds a run."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from squall.journal.recovery import stream_path

from sqharness import EXAMPLES, start_run, subprocess_env

DIFF = str(EXAMPLES / "history-diff.json")


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the history is: a SQLite file in tmp_path, or a real PostgreSQL database."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return str(tmp_path / "h.sqlite3")


def in_history(squall: Any, tmp_path: Path, target: str | None = None) -> Any:
    """The squall fixture with the history at ``target`` (default: a file in tmp_path)."""
    env = {"SQUALL_HISTORY": target or str(tmp_path / "h.sqlite3")}

    def run(*args: str, **kwargs: Any) -> Any:
        return squall(*args, env={**env, **kwargs.pop("env", {})}, **kwargs)

    return run


def two_runs(sq: Any, tmp_path: Path) -> tuple[str, str]:
    """A held run, then a deviated run, of the same experiment; their ids."""
    held = sq(
        "run", DIFF, "--var", f"marker={tmp_path / 'a'}", "--var", f"watched={tmp_path / 'b'}"
    )
    assert held.code == 0, held.stderr
    deviated = sq(
        "run", DIFF, "--var", f"marker={tmp_path / 'b'}", "--var", f"watched={tmp_path / 'b'}"
    )
    assert deviated.code == 1, deviated.stderr
    return held.journal["squall"]["run_id"], deviated.journal["squall"]["run_id"]


def test_runs_are_listed_newest_first_with_filters(
    squall: Any, tmp_path: Path, target: str
) -> None:
    sq = in_history(squall, tmp_path, target)
    held, deviated = two_runs(sq, tmp_path)
    trivial = sq("run", str(EXAMPLES / "trivial.json")).journal["squall"]["run_id"]
    listed = sq("runs", "list")
    assert listed.code == 0, listed.stderr
    rows = listed.stdout.splitlines()
    assert rows[0].startswith("RUN ID")
    assert [row.split()[0] for row in rows[1:]] == [trivial, deviated, held]
    assert "deviated" in rows[2] and "the watched file stays absent" in rows[2]
    data = json.loads(sq("runs", "list", "--json").stdout)
    assert [r["run_id"] for r in data] == [trivial, deviated, held]
    assert data[1]["outcome"] == "deviated" and data[1]["exit_code"] == 1
    assert data[1]["journal_path"] == str(tmp_path / "journal.json")
    assert data[1]["source"] == DIFF and data[0]["title"] == "trivial"
    assert data[1]["experiment_hash"] == data[2]["experiment_hash"] != data[0]["experiment_hash"]
    only = json.loads(sq("runs", "list", "--json", "--outcome", "held").stdout)
    assert [r["run_id"] for r in only] == [trivial, held]
    by_title = json.loads(sq("runs", "list", "--json", "--experiment", "WATCHED").stdout)
    assert [r["run_id"] for r in by_title] == [deviated, held]
    assert [
        r["run_id"] for r in json.loads(sq("runs", "list", "--json", "--limit", "1").stdout)
    ] == [trivial]


def test_show_and_the_stored_journal(squall: Any, tmp_path: Path, target: str) -> None:
    sq = in_history(squall, tmp_path, target)
    _, deviated = two_runs(sq, tmp_path)
    shown = sq("runs", "show", deviated[:5])
    assert shown.code == 0, shown.stderr
    assert f"run:        {deviated}" in shown.stdout
    assert "state:      deviated" in shown.stdout and "exit code:  1" in shown.stdout
    assert "expected false, got true" in shown.stdout  # the verdict's reason
    assert f"events:     {stream_path(deviated)} (removed when the run ended)" in shown.stdout
    stored = sq("runs", "show", deviated, "--journal")
    assert stored.stdout == (tmp_path / "journal.json").read_text()
    summary = json.loads(sq("runs", "show", deviated, "--json").stdout)
    assert summary["outcome"] == "deviated" and summary["state"] == "deviated"


def test_diff_of_two_runs(squall: Any, tmp_path: Path, target: str) -> None:
    sq = in_history(squall, tmp_path, target)
    held, deviated = two_runs(sq, tmp_path)
    text = sq("runs", "diff", held, deviated)
    assert text.code == 0, text.stderr
    out = text.stdout
    assert "(same experiment)" in out
    assert '~ outcome: "held" -> "deviated"' in out
    assert "~ exit_code: 0 -> 1" in out
    assert "~ deviated: false -> true" in out
    assert "~ after     probe  watched-absent: succeeded, tolerance met true -> false" in out
    assert "    before    probe  watched-absent: succeeded, tolerance met true" in out
    touched = next(line for line in out.splitlines() if "touch-marker" in line)
    assert touched.startswith("  ~ method    action touch-marker: succeeded, ")
    assert 'output "' in touched and ' -> "' in touched  # long outputs are cut to 60 chars
    assert out.rstrip().endswith("5 changes")
    data = json.loads(sq("runs", "diff", held[:6], deviated[:6], "--json").stdout)
    assert data["verdict"]["outcome"] == {"a": "held", "b": "deviated", "changed": True}
    after = next(p for p in data["probes"] if p["phase"] == "after")
    assert (after["a"]["tolerance_met"], after["b"]["tolerance_met"]) == (True, False)
    method = next(a for a in data["activities"] if a["phase"] == "method")
    assert method["changed"] == ["output"] and method["a"]["status"] == "succeeded"
    assert isinstance(method["b"]["duration"], float)
    same = json.loads(sq("runs", "diff", held, held, "--json").stdout)
    assert not any(v["changed"] for v in same["verdict"].values())
    assert "no changes (besides timings)" in sq("runs", "diff", held, held).stdout


def test_diff_says_why_an_activity_failed(squall: Any, tmp_path: Path) -> None:
    """A failure's reason (the last line of the journal's exception) is in the diff: the
    reader need not open the journal to see why a run broke (newcomer9's walk)."""
    sq = in_history(squall, tmp_path)
    experiment = tmp_path / "mkdir.json"
    action = {"type": "python", "module": "os", "func": "mkdir", "arguments": {"path": "d"}}
    experiment.write_text(json.dumps({"title": "t", "description": "d", "method": [
        {"type": "action", "name": "make-dir", "provider": action}]}))  # fmt: skip
    first, second = sq("run", str(experiment)), sq("run", str(experiment))
    assert (first.code, second.code) == (0, 3), second.stderr
    ids = [r.journal["squall"]["run_id"] for r in (first, second)]
    text = sq("runs", "diff", *ids).stdout
    assert (
        "  ~ method    action make-dir: succeeded -> failed (FileExistsError: [Errno 17] File "
        "exists: 'd'), "
    ) in text
    data = json.loads(sq("runs", "diff", *ids, "--json").stdout)
    row = data["activities"][0]
    assert row["b"]["reason"] == "FileExistsError: [Errno 17] File exists: 'd'"
    assert "reason" not in row["a"] and row["changed"] == ["status", "reason"]
    again = json.loads(sq("runs", "diff", ids[1], ids[1], "--json").stdout)
    assert again["activities"][0]["changed"] == []


def test_a_diff_escapes_the_control_characters_of_names_and_reasons(
    squall: Any, tmp_path: Path
) -> None:
    """An activity's name (or a failure's reason) holding an escape sequence reached the
    terminal as is from ``runs diff`` (a title rewritten, the screen cleared)."""
    sq = in_history(squall, tmp_path)
    experiment = tmp_path / "mkdir.json"
    action = {"type": "python", "module": "os", "func": "mkdir", "arguments": {"path": "d"}}
    experiment.write_text(json.dumps({"title": "t", "description": "d", "method": [
        {"type": "action", "name": "make\x1b]0;owned\x07dir", "provider": action}]}))  # fmt: skip
    ids = [sq("run", str(experiment)).journal["squall"]["run_id"] for _ in range(2)]
    text = sq("runs", "diff", *ids).stdout
    assert "\x1b" not in text and "\x07" not in text
    assert "  ~ method    action make\\x1b]0;owned\\x07dir: succeeded -> failed (" in text


def test_a_bad_run_id_is_a_clear_error(squall: Any, tmp_path: Path) -> None:
    sq = in_history(squall, tmp_path)
    held, _ = two_runs(sq, tmp_path)
    typo = ("0" if held[0] != "0" else "1") + held[1:8]
    result = sq("runs", "show", typo)
    assert result.code == 2
    assert f'no run "{typo}"' in result.stderr and f"near matches: {held}" in result.stderr
    assert "Traceback" not in result.stderr
    result = sq("runs", "diff", held, "nope!")
    assert result.code == 2 and "not a run id" in result.stderr


def test_no_history_records_nothing(squall: Any, tmp_path: Path) -> None:
    sq = in_history(squall, tmp_path)
    assert sq("run", "--no-history", str(EXAMPLES / "trivial.json")).code == 0
    assert sq("run", str(EXAMPLES / "trivial.json"), env={"SQUALL_HISTORY": "off"}).code == 0
    assert not (tmp_path / "h.sqlite3").exists()
    off = sq("runs", "list", "--no-history")
    assert off.code == 2 and "turned off" in off.stderr


def test_history_option_and_setting_choose_the_store(squall: Any, tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    assert squall("run", "--history", str(other), str(EXAMPLES / "trivial.json")).code == 0
    assert len(json.loads(squall("runs", "list", "--json", "--history", str(other)).stdout)) == 1
    (tmp_path / "settings.yaml").write_text(f"history: {tmp_path / 'set.sqlite3'}\n")
    env = {"SQUALL_HISTORY": ""}
    assert squall("run", str(EXAMPLES / "trivial.json"), env=env).code == 0
    assert (tmp_path / "set.sqlite3").exists()


def test_an_unreachable_postgresql_is_a_clear_error(squall: Any, tmp_path: Path) -> None:
    result = squall("runs", "list", "--history", "postgresql://squall:secret@127.0.0.1:9/nowhere")
    assert result.code == 2, result.stderr
    assert "cannot connect to the run history postgresql://squall:***@127.0.0.1:9" in result.stderr
    assert "secret" not in result.stderr and "Traceback" not in result.stderr
    # what to do next, as for a SQLite file that cannot be opened (docs/reference/history.md)
    assert "choose another place with --history" in result.stderr
    assert "--no-history" in result.stderr


def test_an_unusable_history_stops_the_run_before_it_starts(squall: Any, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    marker = tmp_path / "m"
    result = squall(
        "run",
        "--history",
        str(tmp_path / "file" / "h.sqlite3"),
        str(EXAMPLES / "deviated.json"),
        env={"SQUALL_TEST_MARKER": str(marker)},
    )
    assert result.code == 2 and "cannot open the run history" in result.stderr
    assert result.journal is None and not marker.exists()


def test_a_killed_run_is_visible_and_recovered_by_id(
    squall: Any, tmp_path: Path, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SQUALL_HISTORY", target)  # the run's subprocess inherits it
    proc, journal, log = start_run(tmp_path, "recover.json", "--var", "method_sleep:int=60")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    sq = in_history(squall, tmp_path, target)
    rows = json.loads(sq("runs", "list", "--json").stdout)
    assert [(r["status"], r["state"], r["outcome"]) for r in rows] == [("running", "stopped", None)]
    run_id = rows[0]["run_id"]
    assert f"next:       squall recover {run_id}" in sq("runs", "show", run_id).stdout
    assert sq("runs", "show", run_id, "--journal").code == 2
    done = sq("recover", run_id[:5], "--var", f"log={log}", "--var", "method_sleep:int=0")
    assert done.code == 0, done.stderr
    assert "3 rollbacks played" in done.stderr
    record = json.loads(sq("runs", "show", run_id, "--json").stdout)
    assert (record["outcome"], record["exit_code"], record["recovered"]) == (
        "interrupted",
        130,
        True,
    )
    assert json.loads(sq("runs", "show", run_id, "--journal").stdout) == json.loads(
        journal.read_text()
    )
    again = sq("recover", run_id)
    assert again.code == 2 and "nothing to do" in again.stderr


def _lose_the_end(target: str, run_id: str) -> None:
    """The history as a run leaves it when recording its end failed (the database went
    away mid-run: seen with PostgreSQL stopped during a run): its start only."""
    forget = (
        "UPDATE squall_runs SET status = 'running', outcome = NULL, exit_code = NULL, "
        "ended_at = NULL, duration = NULL, journal = NULL WHERE run_id = %s"
    )
    if target.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute(forget, (run_id,))
    else:
        import sqlite3

        with contextlib.closing(sqlite3.connect(target)) as conn:
            conn.execute(forget.replace("%s", "?"), (run_id,))
            conn.commit()


def test_a_run_whose_end_the_history_missed_is_recorded_from_its_journal(
    squall: Any, tmp_path: Path, target: str
) -> None:
    """The run held and wrote its journal, but the history could not record its end: it
    showed as `stopped` with `next: squall recover ID` for ever, and recover said
    "finished (running); nothing to do". Now recover records the end from the journal."""
    sq = in_history(squall, tmp_path, target)
    run_id = sq("run", str(EXAMPLES / "trivial.json")).journal["squall"]["run_id"]
    _lose_the_end(target, run_id)
    assert f"next:       squall recover {run_id}" in sq("runs", "show", run_id).stdout
    done = sq("recover", run_id)
    assert done.code == 2, done.stderr  # nothing to recover: no rollback was owed
    assert "held, exit 0" in done.stderr and "recorded now from its journal" in done.stderr
    record = json.loads(sq("runs", "show", run_id, "--json").stdout)
    assert (record["state"], record["outcome"], record["exit_code"]) == ("held", "held", 0)
    assert json.loads(sq("runs", "show", run_id, "--journal").stdout) == json.loads(
        (tmp_path / "journal.json").read_text()
    )


def test_a_journal_of_another_run_is_not_taken_for_the_missed_end(
    squall: Any, tmp_path: Path
) -> None:
    sq = in_history(squall, tmp_path)
    first = sq("run", str(EXAMPLES / "trivial.json")).journal["squall"]["run_id"]
    _lose_the_end(str(tmp_path / "h.sqlite3"), first)
    assert sq("run", str(EXAMPLES / "trivial.json")).code == 0  # same ./journal.json
    done = sq("recover", first)
    assert done.code == 2 and "is another run's" in done.stderr, done.stderr
    assert json.loads(sq("runs", "show", first, "--json").stdout)["state"] == "stopped"


def test_start_up_imports_no_database_driver() -> None:
    code = (
        "import sys; from squall.cli import main; rc = main({argv}); "
        "bad = {{'sqlite3', '_sqlite3', 'psycopg'}} & set(sys.modules); "
        "assert not bad, bad; sys.exit(rc)"
    )
    for argv in (["--version"], ["--help"], ["run", "--help"]):
        done = subprocess.run(
            [sys.executable, "-c", code.format(argv=argv)],
            capture_output=True,
            text=True,
            check=False,
            env=subprocess_env(),
        )
        assert done.returncode == 0, done.stderr


def test_the_default_history_is_in_the_user_data_directory(squall: Any, tmp_path: Path) -> None:
    env = {"SQUALL_HISTORY": "", "HOME": str(tmp_path / "home"), "XDG_DATA_HOME": ""}
    assert squall("run", str(EXAMPLES / "trivial.json"), env=env).code == 0
    default = tmp_path / "home" / ".local" / "share" / "squall" / "history.sqlite3"
    assert default.exists()
    listed = json.loads(squall("runs", "list", "--json", env=env).stdout)
    assert [r["title"] for r in listed] == ["trivial"]


def test_a_history_lost_during_the_run_only_warns(squall: Any, tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite3"
    result = squall(
        "run",
        "--history",
        str(history),
        str(EXAMPLES / "history-lost.json"),
        "--var",
        f"history={history}",
    )
    assert result.code == 0, result.stderr
    assert "warn run history: cannot record the end of the run in the run history" in result.stderr
    assert "no such table: squall_runs" in result.stderr
    assert result.journal is not None and result.journal["squall"]["outcome"] == "held"


def test_the_python_api_records_when_given_a_store(tmp_path: Path) -> None:
    from squall import run_experiment
    from squall.engine import RunOptions
    from squall.journal.history import open_history

    store = open_history(str(tmp_path / "api.sqlite3"))
    try:
        journal = run_experiment(
            EXAMPLES / "trivial.json",
            run_options=RunOptions(journal_path=tmp_path / "j.json", history=store),
        )
        record = store.get(journal.run_id)
    finally:
        store.close()
    assert (record.outcome, record.exit_code, record.title) == ("held", 0, "trivial")
    assert record.journal == (tmp_path / "j.json").read_text()
    assert record.journal_path == str(tmp_path / "j.json")


def test_prune_keeps_the_newest_and_every_unfinished_run(
    squall: Any, tmp_path: Path, target: str
) -> None:
    from squall.journal.history import RunRecord, open_history

    sq = in_history(squall, tmp_path, target)
    held, deviated = two_runs(sq, tmp_path)
    trivial = sq("run", str(EXAMPLES / "trivial.json")).journal["squall"]["run_id"]
    store = open_history(target)  # an unfinished run, older than all (as if killed)
    try:
        store.start(RunRecord(run_id="0ld0unfinished", started_at="2000-01-01T00:00:00+00:00"))
    finally:
        store.close()

    refused = sq("runs", "prune")
    assert refused.code == 2 and "--keep N" in refused.stderr
    dry = sq("runs", "prune", "--keep", "1", "--dry-run")
    assert dry.code == 0, dry.stderr
    assert dry.stdout.split() == [deviated, held] and "would delete 2 runs" in dry.stderr
    assert len(json.loads(sq("runs", "list", "--json").stdout)) == 4, "a dry run deletes nothing"

    assert sq("runs", "prune", "--older-than", "1").stdout.split() == []  # all are recent
    done = sq("runs", "prune", "--keep", "1")
    assert done.code == 0 and done.stdout.split() == [deviated, held]
    left = [r["run_id"] for r in json.loads(sq("runs", "list", "--json").stdout)]
    assert left == [trivial, "0ld0unfinished"]
    assert sq("runs", "show", held).code == 2
    # the unfinished run stays even when everything finished is older than the limit
    assert sq("runs", "prune", "--older-than", "0").stdout.split() == [trivial]
    left = [r["run_id"] for r in json.loads(sq("runs", "list", "--json").stdout)]
    assert left == ["0ld0unfinished"]


def test_prune_gives_the_disk_space_back(squall: Any, tmp_path: Path, target: str) -> None:
    """Large journals pruned: the SQLite file shrinks (it kept its size before); on
    PostgreSQL the table is vacuumed, and its pages, all empty, are given back."""
    import os

    from squall.journal.history import RunRecord, open_history

    store = open_history(target)
    try:
        for number in range(4):  # ~4 MB of journals that do not compress
            store.finish(
                RunRecord(
                    run_id=f"big{number}",
                    started_at=f"2026-01-0{number + 1}T00:00:00+00:00",
                    status="completed",
                    journal=json.dumps({"output": os.urandom(500_000).hex()}),
                )
            )
    finally:
        store.close()
    size = "SELECT pg_total_relation_size('squall_runs')"
    if target.startswith("postgresql"):
        import psycopg

        with psycopg.connect(target) as connection:
            (before,) = connection.execute(size).fetchone()
        assert before > 3_000_000
    sq = in_history(squall, tmp_path, target)
    done = sq("runs", "prune", "--keep", "0")
    assert done.code == 0 and "deleted 4 runs" in done.stderr, done.stderr
    if target.startswith("postgresql"):
        with psycopg.connect(target) as connection:
            (after,) = connection.execute(size).fetchone()
        assert after < before / 10, (before, after)
    else:
        assert "MB of disk space reclaimed" in done.stderr
        assert Path(target).stat().st_size < 200_000
        assert sq("runs", "list", "--json").stdout.strip() == "[]"


def test_runs_list_widens_the_id_column_for_a_schedule_s_run_ids(
    squall: Any, tmp_path: Path
) -> None:
    from squall.journal.history import RunRecord, open_history

    history = tmp_path / "history.sqlite3"
    store = open_history(str(history))
    try:
        for run_id, started in (
            ("nightly-2026-12-05T03:00:00Z", "2026-12-05T03:00:01+00:00"),
            ("0123456789ab", "2026-12-05T02:00:00+00:00"),
        ):
            store.start(RunRecord(run_id=run_id, title="t", started_at=started))
    finally:
        store.close()
    listed = squall("runs", "list", env={"SQUALL_HISTORY": str(history)})
    assert listed.code == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    column = header.index("STARTED (UTC)")
    assert [row[column : column + 10] for row in rows] == ["2026-12-05"] * 2, listed.stdout
