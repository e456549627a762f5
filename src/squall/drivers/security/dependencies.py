"""Vulnerable-dependency probe: installed or locked packages against an OFFLINE advisory file.

No network is used: advisories come from a JSON file the experiment points to, so the probe
is reproducible in CI and never phones home. The advisory file format::

    {"advisories": [
        {"id": "SQ-2024-0001", "package": "requests", "affected": ["<2.31.0"],
         "fixed": "2.31.0", "severity": "high", "summary": "Proxy-Authorization leak"}
    ]}

``affected`` is a list of PEP 440 specifiers (each may hold comma-separated clauses that must
all match); a version matching any of them is affected. A bare list of advisories is accepted
too, and ``versions`` (exact affected versions) may replace or complement ``affected``.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import tomllib
from pathlib import Path
from typing import Any

from squall import ActivityFailed, show_value
from squall.drivers.security._versions import matches, normalize_name

__all__ = ["vulnerable_dependencies"]

SEVERITIES = ("unknown", "low", "medium", "moderate", "high", "critical")
_RANK = {"unknown": 0, "low": 1, "medium": 2, "moderate": 2, "high": 3, "critical": 4}
_PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*([^\s;,#]+)\s*$")
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")


def vulnerable_dependencies(
    advisories: str,
    requirements: str | None = None,
    paths: list[str] | None = None,
    min_severity: str = "low",
    ignore: list[str] | None = None,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Check packages against an offline advisory file and list the affected ones.

    Arguments:
        advisories: path to the advisory JSON file (format in the module documentation).
        requirements: a requirements file (``name==version`` lines; unpinned lines are
            listed in ``unpinned``), a TOML lock file with ``[[package]]`` or
            ``[[packages]]`` tables (``poetry.lock``, ``uv.lock``, ``pdm.lock``,
            ``pylock.toml``) or a ``Pipfile.lock``. If not given, the distributions
            installed in this Python environment are checked (``importlib.metadata``).
        paths: with no ``requirements``, look for installed distributions on these
            directories (``site-packages`` of another environment) instead of ``sys.path``.
        min_severity: advisories below this severity (``low``, ``medium``, ``high``,
            ``critical``) are reported in ``below_threshold`` and do not fail ``ok``;
            advisories without a severity count as ``unknown`` and always fail it.
        ignore: advisory ids to skip (accepted risks).
        configuration: injected by the engine; unused.
        secrets: injected by the engine; unused.

    Returns:
        ``ok`` (no affected package at or above ``min_severity``), ``problems``,
        ``source`` (``installed`` or the file checked), ``checked`` (packages with a
        version), ``advisories_loaded``, ``vulnerable`` (``{"package", "version", "id",
        "severity", "affected", "fixed", "summary"}`` each), ``below_threshold``,
        ``ignored`` (ids skipped), ``unpinned`` (requirements without an exact version) and
        ``unreadable`` (advisory ranges or versions that could not be parsed).
    """
    if min_severity not in SEVERITIES:
        raise ActivityFailed(
            f"min_severity must be one of {show_value(list(SEVERITIES))}, "
            f"not {show_value(min_severity)}"
        )
    table = load_advisories(advisories)
    unpinned: list[str] = []
    if requirements is not None:
        packages, unpinned = read_requirements(Path(requirements))
        source = requirements
    else:
        packages = installed_packages(paths)
        source = "installed"
    skip = set(ignore or [])
    vulnerable, below, unreadable, ignored = [], [], [], set()
    for name, version in sorted(packages.items()):
        for advisory in table.get(name, []):
            try:
                hit = _affected(version, advisory)
            except ValueError as exc:
                unreadable.append(f"{advisory['id']} / {name} {version}: {exc}")
                continue
            if not hit:
                continue
            if advisory["id"] in skip:
                ignored.add(advisory["id"])
                continue
            finding = {"package": name, "version": version}
            finding.update({k: advisory[k] for k in ("id", "severity", "affected", "fixed")})
            finding["summary"] = advisory["summary"]
            severity = _RANK.get(str(advisory["severity"]).lower(), 0)
            if 0 < severity < _RANK[min_severity]:
                below.append(finding)
            else:
                vulnerable.append(finding)
    problems = [
        f"{v['package']} {v['version']} is affected by {v['id']} ({v['severity']})"
        + (f"; fixed in {v['fixed']}" if v["fixed"] else "")
        for v in vulnerable
    ]
    return {
        "ok": not problems,
        "problems": problems,
        "source": source,
        "checked": len(packages),
        "advisories_loaded": sum(len(v) for v in table.values()),
        "vulnerable": vulnerable,
        "below_threshold": below,
        "ignored": sorted(ignored),
        "unpinned": unpinned,
        "unreadable": unreadable,
    }


def load_advisories(path: str) -> dict[str, list[dict[str, Any]]]:
    """Read an advisory file into ``{normalised package: [advisory, ...]}``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ActivityFailed(f"cannot read advisory file {show_value(path)}: {exc}") from exc
    entries = data.get("advisories") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise ActivityFailed(f"{path}: expected a list of advisories or {{'advisories': [...]}}")
    table: dict[str, list[dict[str, Any]]] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("package"), str):
            raise ActivityFailed(f'{path}: advisory #{index} has no "package" name')
        affected, versions = entry.get("affected", []), entry.get("versions", [])
        if isinstance(affected, str):
            affected = [affected]
        if not (affected or versions):
            raise ActivityFailed(f"{path}: advisory #{index} lists no affected versions")
        advisory = {
            "id": str(entry.get("id") or f"#{index}"),
            "severity": str(entry.get("severity") or "unknown"),
            "affected": [str(a) for a in affected],
            "versions": [str(v) for v in versions],
            "fixed": entry.get("fixed"),
            "summary": str(entry.get("summary") or ""),
        }
        table.setdefault(normalize_name(entry["package"]), []).append(advisory)
    return table


def _affected(version: str, advisory: dict[str, Any]) -> bool:
    if version in advisory["versions"]:
        return True
    return any(matches(version, spec) for spec in advisory["affected"])


def installed_packages(paths: list[str] | None = None) -> dict[str, str]:
    """``{normalised name: version}`` of the distributions importlib.metadata finds."""
    found: dict[str, str] = {}
    dists = (
        importlib.metadata.distributions(path=paths)
        if paths
        else importlib.metadata.distributions()
    )
    for dist in dists:
        name = dist.metadata["Name"]
        if name and dist.version:
            found.setdefault(normalize_name(name), dist.version)
    return found


def read_requirements(path: Path) -> tuple[dict[str, str], list[str]]:
    """Pinned packages (and unpinned requirement names) from a requirements or lock file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ActivityFailed(f"cannot read {path}: {exc}") from exc
    try:
        if path.name == "Pipfile.lock":
            return _pipfile_lock(json.loads(text)), []
        if path.suffix in (".lock", ".toml"):
            return _toml_lock(tomllib.loads(text)), []
    except (ValueError, TypeError, AttributeError) as exc:
        raise ActivityFailed(f"cannot parse lock file {path}: {exc}") from exc
    packages: dict[str, str] = {}
    unpinned: list[str] = []
    for raw in text.replace("\\\n", " ").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        requirement = line.split(";", 1)[0].strip()
        pinned = _PINNED.match(requirement.split(" --hash", 1)[0].strip())
        if pinned:
            packages[normalize_name(pinned[1])] = pinned[2]
        elif name := _NAME.match(requirement):
            unpinned.append(normalize_name(name[1]))
    return packages, unpinned


def _toml_lock(data: dict[str, Any]) -> dict[str, str]:
    entries = data.get("package") or data.get("packages") or []
    return {
        normalize_name(str(e["name"])): str(e["version"])
        for e in entries
        if isinstance(e, dict) and "name" in e and "version" in e
    }


def _pipfile_lock(data: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for section in ("default", "develop"):
        for name, entry in (data.get(section) or {}).items():
            version = str(entry.get("version", "")) if isinstance(entry, dict) else ""
            if version.startswith("=="):
                found.setdefault(normalize_name(name), version[2:])
    return found
