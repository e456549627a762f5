"""The JSON Schema (draft 2020-12) of the experiment format, as squall's parser accepts it.

The schema lives next to this module in ``schema.json`` and ships with the package. It
checks the shape of a document only; ``parse_experiment`` stays the source of truth, and
the tests keep both in agreement on every example experiment.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib.resources import files
from typing import Any

__all__ = ["experiment_schema"]


@cache
def _load() -> dict[str, Any]:
    text = files("squall.experiment").joinpath("schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def experiment_schema() -> dict[str, Any]:
    """The experiment schema as a fresh dict (the file is read once, then cached)."""
    return copy.deepcopy(_load())
