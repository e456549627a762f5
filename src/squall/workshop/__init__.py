"""The self-paced workshop (docs/workshop/): exercises that check themselves.

Each exercise has a starting point and a reference solution, shipped as package data
under ``squall/workshop/exercises/NN-slug/{start,solution}/``. ``squall workshop start N``
copies the starting point, ``squall workshop check N`` runs the learner's work (against
the demo when the exercise needs it) and says in plain words what is still missing, and
``squall workshop solution N`` copies the reference solution. The test suite runs every
solution through the same checks, so the course cannot rot.
"""

from __future__ import annotations

from squall.workshop.catalog import EXERCISES, Exercise, exercise
from squall.workshop.checking import Item, Report, check

__all__ = ["EXERCISES", "Exercise", "Item", "Report", "check", "exercise"]
