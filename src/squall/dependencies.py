"""``runtime.python.dependencies``: the packages an experiment says it needs.

The Chaos Toolkit (1.21) starts the run again under ``uv run --with`` those packages.
squall installs nothing by itself (an experiment file that installs code when it is run
is a supply-chain risk, and CI images are built beforehand), so validation checks each
requirement (PEP 508, read by ``packaging``, the PyPA's own library, as pip reads it)
against squall's environment: a requirement whose marker does not hold here is skipped;
otherwise the distribution must be installed and its version must satisfy the
specifier (PEP 440, pre-releases accepted: what is installed is what runs). If not, the
experiment is refused (exit 2, located) with the ``pip install`` command. Extras and a
direct reference (``name @ URL``) are not checked: only the name and the version.

Bounded: at most ``MAX_REQUIREMENTS`` are read (a real list is a handful; 3000 took
20 s, each looked up on its own), the installed distributions are listed once, and a
marker that cannot be evaluated here is a located problem, not squall's error.
"""

from __future__ import annotations

from collections.abc import Mapping

from squall.errors import Problem
from squall.show import show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    from typing import Any

__all__ = ["MAX_REQUIREMENTS", "dependency_problems"]

#: the most requirements an experiment may list
MAX_REQUIREMENTS = 200

WHERE = "/runtime/python/dependencies"
_EXAMPLE = 'e.g. "requests>=2.31"'


def dependency_problems(raw: Mapping[str, Any]) -> list[Problem]:
    """A problem for each requirement of ``runtime.python.dependencies`` that is not
    installed in a version it accepts (or not a requirement); none when the key is
    absent."""
    runtime = raw.get("runtime")
    python = runtime.get("python") if isinstance(runtime, Mapping) else None
    wanted = python.get("dependencies") if isinstance(python, Mapping) else None
    if wanted is None:
        return []
    if not isinstance(wanted, list):
        return [Problem(WHERE, f"must be a list of requirements, found {show_value(wanted)}")]
    if len(wanted) > MAX_REQUIREMENTS:
        return [
            Problem(
                WHERE,
                f"lists {len(wanted):,} requirements: at most {MAX_REQUIREMENTS} are checked",
                "name the packages the experiment's activities import",
            )
        ]
    installed = _installed()
    problems = []
    for index, requirement in enumerate(wanted):
        problem = _requirement_problem(requirement, f"{WHERE}/{index}", installed)
        if problem is not None:
            problems.append(problem)
    return problems


def _installed() -> dict[str, str]:
    """The version of each distribution in squall's environment, by normalised name
    (the first on ``sys.path`` wins, as ``importlib.metadata.version`` finds it)."""
    from importlib.metadata import distributions

    from packaging.utils import canonicalize_name

    found: dict[str, str] = {}
    for dist in distributions():
        name = dist.metadata["Name"] if dist.metadata else None
        if name:
            found.setdefault(canonicalize_name(name), dist.version)
    return found


def _requirement_problem(
    requirement: Any, where: str, installed: Mapping[str, str]
) -> Problem | None:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    shown = show_value(requirement)
    if not isinstance(requirement, str):
        return Problem(where, f"{shown} is not a requirement", _EXAMPLE)
    try:
        parsed = Requirement(requirement)
    except InvalidRequirement as exc:
        reason = str(exc).splitlines()[0]
        return Problem(where, f"{shown} is not a requirement ({reason})", _EXAMPLE)
    try:
        if parsed.marker is not None and not parsed.marker.evaluate():
            return None  # not for this interpreter or platform
    except Exception as exc:  # packaging's UndefinedComparison, UndefinedEnvironmentName...
        return Problem(where, f"{shown}: its marker cannot be evaluated here ({exc})", _EXAMPLE)
    version = installed.get(canonicalize_name(parsed.name))
    if version is None:
        return _refused(requirement, where, "is not installed in squall's environment")
    if not parsed.specifier or _satisfies(parsed, version):
        return None
    found = f"{parsed.name} {version} is installed in squall's environment"
    return _refused(requirement, where, f"is not met: {found}")


def _satisfies(requirement: Any, installed: str) -> bool:
    """PEP 440: the installed version is one the specifier accepts (a version PEP 440
    cannot read satisfies only ``===`` of the same text)."""
    from packaging.version import InvalidVersion

    try:
        return bool(requirement.specifier.contains(installed, prereleases=True))
    except InvalidVersion:
        return False


def _refused(requirement: str, where: str, what: str) -> Problem:
    import shlex
    import sys

    return Problem(
        where,
        f"{show_value(requirement)} {what} ({sys.prefix}): squall installs nothing by itself",
        f"pip install {shlex.quote(requirement.strip())} (where squall is installed)",
    )
