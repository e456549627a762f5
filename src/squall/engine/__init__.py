"""RUN: executes a Plan and records a Journal."""

from squall.engine.context import Listener, NullListener
from squall.engine.runner import Engine, RunOptions

__all__ = ["Engine", "Listener", "NullListener", "RunOptions"]
