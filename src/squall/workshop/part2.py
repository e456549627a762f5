"""Checks of part 2 (the toolkit): a tolerance that says why; a driver from scratch."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from typing import Any

from squall.show import show_value
from squall.workshop.checking import Checker, Context, Item, Run
from squall.workshop.helpers import (
    activities,
    file_item,
    load_document,
    probes,
    provider_calls,
    todo_item,
    validate_item,
)

__all__ = ["CHECKS"]

_BARE = re.compile(r"expected .*, got ")


def _outputs(run: Run, module: str | None = None) -> list[Any]:
    """The outputs of the hypothesis probes (of ``module`` only, if given)."""
    found = []
    for phase in ("before", "after"):
        state = (run.journal.get("steady_states") or {}).get(phase) or {}
        for entry in state.get("probes") or []:
            provider = (entry.get("activity") or {}).get("provider") or {}
            if module is None or str(provider.get("module", "")).startswith(module):
                found.append(entry.get("output"))
    return found


def _says_why(outputs: list[Any]) -> bool:
    return any(
        isinstance(o, dict)
        and isinstance(o.get("ok"), bool)
        and isinstance(o.get("problems"), list)
        for o in outputs
    )


def tolerance_says_why(ctx: Context) -> Iterator[Item]:
    path = ctx.workdir / "version-hidden.yaml"
    module = ctx.workdir / "version_probe.py"
    yield file_item(path, "the experiment exists")
    yield file_item(module, "the probe exists")
    if not path.is_file() or not module.is_file():
        return
    yield todo_item(path)
    yield todo_item(module)
    validated = ctx.validate(path, "misconfigured")
    yield validate_item(validated, path)
    if validated.returncode != 0:
        return
    run = ctx.run(path, "misconfigured")
    yield Item(
        run.outcome == "not-run",
        "on the misconfigured demo the hypothesis does not hold before the method (not run)",
        f"squall said {run.said()}",
    )
    outputs = _outputs(run, "version_probe")
    yield Item(
        _says_why(outputs),
        'the probe returns {"ok": ..., "problems": [...], ...} instead of a bare true/false',
        f"it returned {show_value(outputs[0])}" if outputs else "the probe did not run",
    )
    reasons = " ".join(run.reasons)
    yield Item(
        bool(reasons) and not _BARE.search(reasons) and "version" in reasons.lower(),
        "the verdict names what leaked (not 'expected ..., got ...')",
        f"the verdict says: {reasons or 'nothing'}",
    )


def _entry_point(ctx: Context) -> str | None:
    try:
        data = tomllib.loads((ctx.workdir / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    points = ((data.get("project") or {}).get("entry-points") or {}).get("squall.drivers") or {}
    values = [str(v).partition(":")[0].strip() for v in points.values()]
    return values[0] if values else None


def _discovered(ctx: Context, module: str) -> tuple[bool, str]:
    done = ctx.squall("drivers", "--json")
    try:
        drivers = json.loads(done.stdout)
    except ValueError:
        return False, done.stderr.strip()
    for driver in drivers:
        if driver.get("module") == module:
            return "error" not in driver, str(driver.get("error", ""))
    return False, f"`squall drivers` does not list {module}: install it with `pip install -e .`"


def _activities(ctx: Context, module: str) -> list[dict[str, Any]]:
    target = ctx.scratch / "discovery.json"
    ctx.squall("discover", module, "--no-system-info", "--discovery-path", str(target))
    data = load_document(target)
    return list(data.get("activities") or []) if isinstance(data, dict) else []


def _driver_shape(found: list[dict[str, Any]]) -> Iterator[Item]:
    kinds = [a.get("type") for a in found]
    yield Item("probe" in kinds, "the driver has a probe", "list it in probes.py's __all__")
    actions = [a for a in found if a.get("type") == "action"]
    rollbacks = [a for a in actions if str(a.get("doc", "")).startswith("Rollback of")]
    undone = [a["name"] for a in actions if a not in rollbacks]
    yield Item(bool(undone), "the driver has an action", "list it in actions.py's __all__")
    missing = [n for n in undone if not any(n in str(r.get("doc", "")) for r in rollbacks)]
    yield Item(
        bool(undone) and not missing,
        "every action has a rollback (a function documented 'Rollback of <action>: ...')",
        f"no rollback for: {', '.join(missing)}" if missing else "",
    )
    blank = [a["name"] for a in found if not str(a.get("doc", "")).strip()]
    yield Item(not blank, "every activity has a docstring", f"none for: {', '.join(blank)}")


def uses_plugin(source: str) -> bool:
    """Whether test code (comments aside) calls squall_run and uses loopback_http_server."""
    code = "\n".join(line.split("#", 1)[0] for line in source.splitlines())
    return "squall_run(" in code and "loopback_http_server" in code


def _tests(ctx: Context) -> Iterator[Item]:
    tests = ctx.workdir / "tests"
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(tests.glob("test_*.py")))
    yield Item(
        uses_plugin(text),
        "the tests use the squall pytest plugin (squall_run and loopback_http_server)",
        "run the experiment with squall_run against loopback_http_server",
    )
    if importlib.util.find_spec("pytest") is None:
        yield Item(False, "the driver's tests pass", "pytest is not installed: pip install pytest")
        return
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ctx.workdir), env.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=ctx.workdir, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    tail = "\n".join(done.stdout.strip().splitlines()[-6:])
    yield Item(done.returncode == 0, "the driver's tests pass (python -m pytest tests)", tail)


def _experiment(ctx: Context, module: str) -> Iterator[Item]:
    path = ctx.workdir / "experiment.json"
    document = load_document(path)
    sections = {
        "hypothesis": probes(document),
        "method": activities(document, "method"),
        "rollbacks": activities(document, "rollbacks"),
    }
    for name, items in sections.items():
        ours = [m for m, _, _ in provider_calls(items) if m.startswith(module)]
        yield Item(bool(ours), f"experiment.json uses the driver in its {name}", "")
    validated = ctx.validate(path, "normal")
    yield validate_item(validated, path)
    if validated.returncode != 0:
        return
    run = ctx.run(path, "normal")
    yield Item(
        run.outcome in ("held", "deviated"),
        "it runs against the demo and reaches a verdict (held or deviated, not broken)",
        f"squall said {run.said()}",
    )
    played = run.journal.get("rollbacks") or []
    yield Item(
        bool(played) and all(r.get("status") == "succeeded" for r in played),
        "its rollback was played and succeeded",
        "see the rollbacks of the journal",
    )
    yield Item(
        _says_why(_outputs(run, module)),
        'the probe returns {"ok": ..., "problems": [...]} so that the verdict says why',
        "",
    )


#: a script that acts on an exit code: a ``case`` on it, or a comparison with a number
_ACTS = re.compile(r"\bcase\s|(-eq|-ne|-gt|-lt|-ge|-le|==|!=)\s*['\"]?[0-9]")


def _ci(ctx: Context) -> Item:
    path = ctx.workdir / "ci.sh"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    code = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#"))
    words = ("pytest", "squall validate", "squall run")
    absent = [w for w in words if w not in code]
    if not _ACTS.search(code):
        absent.append('a case on the exit code, or an if comparing it ([ "$code" -eq 1 ])')
    executable = path.is_file() and os.access(path, os.X_OK)
    return Item(
        executable and not absent and "TODO" not in text,
        "ci.sh is executable, runs the tests, validates, runs, and acts on the exit code",
        ("missing: " + ", ".join(absent)) if absent else "chmod +x ci.sh, and no TODO left",
    )


def driver(ctx: Context) -> Iterator[Item]:
    module = _entry_point(ctx)
    yield Item(
        module is not None,
        "pyproject.toml declares a squall.drivers entry point",
        '[project.entry-points."squall.drivers"] with revocation = "ws_revocation"',
    )
    if module is None:
        return
    found, why = _discovered(ctx, module)
    yield Item(found, f"squall drivers finds {module} (installed, imports cleanly)", why)
    if not found:
        return
    yield from _driver_shape(_activities(ctx, module))
    yield from _tests(ctx)
    yield from _experiment(ctx, module)
    yield _ci(ctx)


CHECKS: dict[int, Checker] = {3: tolerance_says_why, 4: driver}
