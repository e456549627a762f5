"""Checks of part 3 (security and the organisation): the weaknesses of the misconfigured
demo, detection and alerting, a pipeline step, the maturity self-assessment."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from squall.show import show_value
from squall.workshop.catalog import exercise
from squall.workshop.checking import Checker, Context, Item
from squall.workshop.helpers import (
    file_item,
    load_document,
    probes,
    provider_calls,
    todo_item,
    validate_item,
)

__all__ = ["CHECKS"]


@dataclass(frozen=True, slots=True)
class Weakness:
    """A mistake of the misconfigured demo: what a journal showing it says, and a hint."""

    setting: str
    says: str  # regex on the verdict's reasons and the probes' problems
    does: str  # regex on the experiment, or "" (what it must have done)
    hint: str


WEAKNESSES = (
    Weakness("fail_open", r"got accepted", r"fault_proxy|kill_or_pause_process",
             "what does the API do when the auth service is slow or gone?"),
    Weakness("rate_limit_per_minute", r"no limit reached|429", "",
             "what stops someone from guessing passwords all day?"),
    Weakness("security_headers", r"Strict-Transport-Security is missing|reveals", "",
             "what do the API's responses tell a browser, and an attacker?"),
    Weakness("cors_allowed_origins", r"origin .* allowed .* with credentials", "",
             "which web sites may call the API with the user's credentials?"),
    Weakness("min_tls_version", r"TLS ?1\.0 accepted|accepts? TLS ?1\.0|TLSv1 accepted", "",
             "which protocol versions does the API accept?"),
    Weakness("check_revocation", r"got accepted", r"revoke",
             "does a revoked token really stop working?"),
    Weakness("detector_watch_ports", r"unexpected_port", "",
             "does anyone notice when a new port starts listening?"),
    Weakness("key_file", r"private key .*mode|readable by", "",
             "who may read the API's private key? (no catalogue experiment looks: write one)"),
)  # fmt: skip


def _said(journal: dict[str, Any]) -> str:
    """The reasons of a journal, and what its hypothesis probes reported (problems, stdout)."""
    texts = [str(r) for r in (journal.get("squall") or {}).get("reasons") or []]
    for state in (journal.get("steady_states") or {}).values():
        entries = state.get("probes") or [] if isinstance(state, dict) else []
        outputs = [e.get("output") for e in entries if isinstance(e, dict)]
        for output in (o for o in outputs if isinstance(o, dict)):
            texts.extend(str(p) for p in output.get("problems") or [])
            texts.append(str(output.get("stdout") or ""))
    return "\n".join(texts)


def _shows(weakness: Weakness, journal: dict[str, Any]) -> bool:
    outcome = (journal.get("squall") or {}).get("outcome")
    if outcome not in ("deviated", "not-run"):
        return False
    if not re.search(weakness.says, _said(journal)):
        return False
    return not weakness.does or bool(
        re.search(weakness.does, json.dumps(journal.get("experiment")))
    )


def _journal(ctx: Context, name: str) -> dict[str, Any]:
    path = (ctx.workdir / name).resolve()
    if not path.is_relative_to(ctx.workdir):
        return {}
    data = load_document(path) if path.suffix == ".json" else None
    return data if isinstance(data, dict) else {}


def find_the_weaknesses(ctx: Context) -> Iterator[Item]:
    path = ctx.workdir / "findings.yaml"
    yield file_item(path, "your findings exist")
    if not path.is_file():
        return
    data = load_document(path)
    findings = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(findings, list):
        yield Item(False, "findings.yaml has a list 'findings'", "see the starting point")
        return
    known = {w.setting: w for w in WEAKNESSES}
    found: set[str] = set()
    for entry in (f for f in findings if isinstance(f, dict)):
        setting, evidence = str(entry.get("setting")), str(entry.get("evidence"))
        if "TODO" in setting + evidence:
            continue
        weakness = known.get(setting)
        if weakness is None:
            yield Item(False, f"{show_value(setting)} is one of the demo's mistakes",
                       "it is not (or not a config.json key): look again")  # fmt: skip
            continue
        shown = _shows(weakness, _journal(ctx, evidence))
        yield Item(shown, f"{setting}: {evidence} shows it",
                   "that journal does not show this mistake (is it the right one, run against "
                   "the misconfigured demo? a hypothesis stops at its first probe that fails: "
                   "one experiment per mistake)")  # fmt: skip
        if shown:
            found.add(setting)
    for weakness in WEAKNESSES:
        if weakness.setting not in found:
            yield Item(False, "one more mistake to find", f"hint: {weakness.hint}")
    yield Item(
        len(found) == len(WEAKNESSES),
        f"all {len(WEAKNESSES)} mistakes found ({len(found)} so far)",
        "the answer is in docs/demo.md, 'Misconfigured mode', once you are done",
    )


def detection_alerting(ctx: Context) -> Iterator[Item]:
    path = ctx.workdir / "guessing-alerted.yaml"
    yield file_item(path, "the experiment exists")
    if not path.is_file():
        return
    yield todo_item(path)
    document = load_document(path) or {}
    calls = list(provider_calls(probes(document)))
    alerts = [args for _, func, args in calls if func == "alert_observed"]
    sinks = " ".join(str(args.get("sink", "")) for args in alerts)
    yield Item("${alerts_file}" in sinks, "a probe waits for the alert in the detector's sink",
               "alert_observed with sink: ${alerts_file}")  # fmt: skip
    yield Item("${webhook_file}" in sinks, "a probe checks that the alert reaches on-call",
               "alert_observed with sink: ${webhook_file}")  # fmt: skip
    matches = [str(args.get("match")) for args in alerts]
    yield Item(
        bool(matches) and all("${squall_run_id}" in m for m in matches),
        "every alert probe matches this run's id (so an old alert cannot pass)",
        'match: {kind: brute_force, run_id: "${squall_run_id}"}',
    )
    strategy = ((document.get("runtime") or {}).get("hypothesis") or {}).get("strategy")
    yield Item(
        strategy == "after-method-only",
        "the hypothesis is checked after the attack only (the alert cannot exist before)",
        f"runtime.hypothesis.strategy is {show_value(strategy)}",
    )
    validated = ctx.validate(path, "normal")
    yield validate_item(validated, path)
    if validated.returncode != 0:
        return
    run = ctx.run(path, "normal")
    yield Item(run.outcome == "held", "it holds on the demo (detected and delivered)",
               f"squall said {run.said()}")  # fmt: skip


CASES = {"held": 0, "deviated": 1, "invalid": 2, "broken": 3, "not-run": 4}
WORDS = {"held": "held", "deviated": "weakness", "invalid": "invalid", "broken": "broken",
         "not-run": "not-steady"}  # fmt: skip


def _pipeline_run(ctx: Context, case: str) -> subprocess.CompletedProcess[str]:
    cases = exercise(7).material("start") / "cases"
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    env["SQUALL_HISTORY"] = str(ctx.scratch / "history.sqlite3")
    return subprocess.run(
        ["bash", str(ctx.workdir / "pipeline.sh"), str(cases / f"{case}.json")],
        cwd=ctx.scratch, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def pipeline(ctx: Context) -> Iterator[Item]:
    path = ctx.workdir / "pipeline.sh"
    yield file_item(path, "the pipeline step exists")
    if not path.is_file():
        return
    yield todo_item(path)
    for case, code in CASES.items():
        done = _pipeline_run(ctx, case)
        verdicts = [ln for ln in done.stdout.splitlines() if ln.startswith("verdict:")]
        word = verdicts[0].split()[1] if verdicts and len(verdicts[0].split()) > 1 else ""
        expected = 0 if case == "held" else code
        yield Item(
            word == WORDS[case] and done.returncode == expected,
            f"squall exit {code} ({case}): prints 'verdict: {WORDS[case]}' and exits {expected}",
            f"it printed {verdicts[0] if verdicts else 'no verdict line'!r} and exited "
            f"{done.returncode}",
        )
        journal = ctx.scratch / "artifacts" / f"{case}.journal.json"
        if case != "invalid":
            yield Item(journal.is_file(), f"the journal of the {case} case is kept as an artefact",
                       "write it under artifacts/ (squall run --journal-path)")  # fmt: skip
        shutil.rmtree(ctx.scratch / "artifacts", ignore_errors=True)


def _level(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 4


def maturity(ctx: Context) -> Iterator[Item]:
    path = ctx.workdir / "maturity.yaml"
    yield file_item(path, "your self-assessment exists")
    if not path.is_file():
        return
    yield todo_item(path)
    data = load_document(path)
    data = data if isinstance(data, dict) else {}
    for axis in ("sophistication", "adoption"):
        found = data.get(axis)
        part: dict[str, Any] = found if isinstance(found, dict) else {}
        yield Item(_level(part.get("level")), f"{axis}: a level from 1 to 4",
                   f"it is {show_value(part.get('level'))}")  # fmt: skip
        evidence = str(part.get("evidence") or "")
        yield Item(len(evidence.split()) >= 8, f"{axis}: the evidence for it, in a sentence",
                   "what do you have today that puts you there?")  # fmt: skip
    steps = [s for s in data.get("next_steps") or [] if isinstance(s, str) and "TODO" not in s]
    concrete = [s for s in steps if len(s.split()) >= 6]
    yield Item(len(concrete) >= 2, "at least two concrete next steps (what, who, by when)",
               f"{len(concrete)} so far")  # fmt: skip
    first = ctx.workdir / str(data.get("first_experiment") or "")
    yield Item(first.is_file(), "the first experiment you will run is here", f"no file {first}")
    if first.is_file():
        yield validate_item(ctx.validate(first, None), first)


CHECKS: dict[int, Checker] = {
    5: find_the_weaknesses,
    6: detection_alerting,
    7: pipeline,
    8: maturity,
}
