"""RUN: executes a Plan and records a Journal."""

from squall.engine.context import NullListener
from squall.engine.runner import Engine, RunOptions

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from squall.engine.context import Listener

__all__ = ["Engine", "Listener", "NullListener", "RunOptions"]
