"""Run the experiment from a Python program, without pytest: ``python run_api.py``."""

import sys
import tempfile
from pathlib import Path

from shop.running import running_shop

import squall

EXPERIMENT = Path(__file__).resolve().parent / "experiments" / "prices-down.yaml"

with tempfile.TemporaryDirectory() as state_dir, running_shop(Path(state_dir)) as shop:
    options = squall.RunOptions(overrides=shop, journal_path="prices-down.journal.json")
    always = squall.PlanOptions(rollback_strategy="always")  # as --rollback-strategy always
    try:
        journal = squall.run_experiment(EXPERIMENT, run_options=options, plan_options=always)
    except squall.SquallError as error:  # LoadError, ValidationError, InputError: nothing ran
        print(f"cannot run: {error}", file=sys.stderr)
        sys.exit(error.exit_code)

outcome = journal.outcome  # held, deviated, broken, not-run or interrupted
print(f"{outcome} (exit {outcome.exit_code}): {'; '.join(journal.reasons)}")
print(f"run {journal.run_id}, journal prices-down.journal.json")
sys.exit(outcome.exit_code)
