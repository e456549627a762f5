"""${outputs...}: later activities and rollbacks use earlier outputs (real processes)."""

from __future__ import annotations

from typing import Any

from squall import run_experiment
from squall.engine import RunOptions
from squall.journal import Journal, Outcome
from squall.journal.store import read_journal

from sqharness import EXAMPLES
from sqtest import pid_alive


def entry(journal: Journal, name: str, rollbacks: bool = False) -> Any:
    entries = journal.rollbacks if rollbacks else journal.run
    return next(e for e in entries if e is not None and e.name == name)


def test_a_pid_flows_to_actions_probes_and_the_rollback(tmp_path: Any) -> None:
    path = tmp_path / "journal.json"
    journal = run_experiment(EXAMPLES / "outputs.json", run_options=RunOptions(journal_path=path))
    assert journal.outcome is Outcome.HELD, journal.reasons
    pid = entry(journal, "start-worker").output["pid"]
    # the action stopped the real process: ps saw it stopped (T)
    assert entry(journal, "worker-state").output["stdout"].strip().startswith("T")
    # the rollback killed it
    assert not pid_alive(pid)
    # embedded: text; $${...} stays literal; whole string: the typed value
    assert entry(journal, "describe").output == (
        f"pid {pid} runs sleep for 60s; ${{outputs.kept}}; auth ***"  # the secret: masked
    )
    assert entry(journal, "typed").output == ["sleep", "60"]
    used = read_journal(path)["rollbacks"][0]["squall"]["outputs"]
    assert used == [
        {
            "expression": "${outputs.start-worker.pid}",
            "from": {
                "activity": "start-worker",
                "phase": "method",
                "start": entry(journal, "start-worker").start,
            },
            "value": pid,
        }
    ]


def test_a_value_holding_a_secret_is_masked_in_the_journal(tmp_path: Any) -> None:
    path = tmp_path / "journal.json"
    run_experiment(EXAMPLES / "outputs.json", run_options=RunOptions(journal_path=path))
    describe = next(e for e in read_journal(path)["run"] if e["activity"]["name"] == "describe")
    values = {u["expression"]: u["value"] for u in describe["squall"]["outputs"]}
    assert values["${outputs.token}"] == "***"
    assert values["${outputs.start-worker.argv[0]}"] == "sleep"
    assert "s3cr3t-token" not in str(describe["squall"])


def test_a_missing_key_fails_that_activity_naming_the_expression() -> None:
    journal = run_experiment(EXAMPLES / "outputs-missing-key.json")
    failed = entry(journal, "use-missing")
    assert failed.status == "failed"
    assert "${outputs.find.items[3].name}" in failed.reason
    assert "outside a list of 1" in failed.reason
    assert entry(journal, "still-runs").output == "a"
    assert journal.outcome is Outcome.BROKEN
