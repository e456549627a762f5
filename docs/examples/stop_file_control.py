"""A Chaos Toolkit control: stop the experiment as soon as a STOP file appears.

squall calls ``before_activity_control`` before every activity. Raising an exception
whose class is named ``InterruptExecution`` (like ``chaoslib.exceptions.InterruptExecution``)
stops the run cleanly: the journal says which control stopped it, and squall exits 130.
Only the standard library is needed.
"""

import sys
from pathlib import Path


class InterruptExecution(Exception):
    """Stops the run (squall recognises the reference's exception by its name)."""


def before_activity_control(context, stop_file="STOP"):
    """``context`` is the activity about to run; ``stop_file`` comes from the arguments."""
    if Path(stop_file).exists():
        raise InterruptExecution(f"{stop_file} exists: not running {context.get('name')!r}")


def after_experiment_control(state, **kwargs):
    """``state`` is the journal."""
    print(f"stop-file control: the run ended {state['status']}", file=sys.stderr)
