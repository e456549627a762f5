"""``runtime.python.dependencies``: the packages an experiment says it needs.

The Chaos Toolkit (1.21) starts the run again under ``uv run --with`` those packages.
squall installs nothing by itself (an experiment file that installs code when it is run
is a supply-chain risk, and CI images are built beforehand), so validation checks that
each one is installed in squall's environment and, if not, refuses the experiment (exit
2) with the ``pip install`` command that installs it. Only the distribution's name is
checked, not its version, extras or markers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from squall.errors import Problem
from squall.show import show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["dependency_problems"]

WHERE = "/runtime/python/dependencies"
#: a PEP 508 requirement's name (what comes before extras, a version, a marker or ``@``)
_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:$|[\[(<>=!~;@ ])")


def dependency_problems(raw: Mapping[str, Any]) -> list[Problem]:
    """A problem for each requirement of ``runtime.python.dependencies`` that is not
    installed (or not a requirement); none when the key is absent."""
    runtime = raw.get("runtime")
    python = runtime.get("python") if isinstance(runtime, Mapping) else None
    wanted = python.get("dependencies") if isinstance(python, Mapping) else None
    if wanted is None:
        return []
    if not isinstance(wanted, list):
        return [Problem(WHERE, f"must be a list of requirements, found {show_value(wanted)}")]
    problems = []
    for index, requirement in enumerate(wanted):
        problem = _requirement_problem(requirement, f"{WHERE}/{index}")
        if problem is not None:
            problems.append(problem)
    return problems


def _requirement_problem(requirement: Any, where: str) -> Problem | None:
    import shlex
    from importlib.metadata import PackageNotFoundError, version

    match = _NAME.match(requirement) if isinstance(requirement, str) else None
    if match is None:
        shown = show_value(requirement)
        return Problem(where, f"{shown} is not a requirement", 'e.g. "requests>=2.31"')
    try:
        version(match.group(1))
    except PackageNotFoundError:
        import sys

        return Problem(
            where,
            f"{show_value(requirement)} is not installed in squall's environment "
            f"({sys.prefix}): squall installs nothing by itself",
            f"pip install {shlex.quote(requirement.strip())} (where squall is installed)",
        )
    return None
