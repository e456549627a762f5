"""Checks of part 1 (principles): the steady state; predict, run, read the journal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from squall.show import show_value
from squall.workshop.checking import Checker, Context, Item
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

OUTCOMES = ("held", "deviated", "not-run", "broken")
AUTH_HINT = (
    "add a probe calling auth_enforced (module squall.drivers.security.auth) on "
    "${api_url}/api/items, with secrets: [demo]"
)


def _refuses_strangers(probe: dict[str, Any]) -> bool:
    calls = list(provider_calls([probe]))
    return any(func == "auth_enforced" for _, func, _ in calls)


def steady_state(ctx: Context) -> Iterator[Item]:
    path = ctx.workdir / "steady-state.yaml"
    yield file_item(path, "the experiment exists")
    if not path.is_file():
        return
    yield todo_item(path)
    document = load_document(path)
    found = probes(document)
    yield Item(
        len(found) >= 2,
        "the hypothesis has at least two probes",
        f"it has {len(found)}: the health check, and one about authentication",
    )
    yield Item(
        all("tolerance" in p for p in found) and bool(found),
        "every hypothesis probe has a tolerance (what 'normal' returns)",
        "a probe without a tolerance cannot be judged",
    )
    yield Item(
        any(_refuses_strangers(p) for p in found),
        "a probe checks that the API refuses requests without a valid token",
        AUTH_HINT,
    )
    description = str((document or {}).get("description") or "")
    yield Item(
        "Prediction:" in description
        and "TODO" not in description.rsplit("Prediction:", maxsplit=1)[-1],
        "the description states your prediction (a line starting with 'Prediction:')",
        "write down what you expect squall to say, and why, before you run it",
    )
    validated = ctx.validate(path, "normal")
    yield validate_item(validated, path)
    if validated.returncode != 0:
        return
    run = ctx.run(path, "normal")
    yield Item(
        run.outcome == "held",
        "it holds on the demo (the steady state is true, before and after the burst)",
        f"squall said {run.said()}",
    )


def _answers(ctx: Context) -> dict[str, Any]:
    data = load_document(ctx.workdir / "journal-answers.yaml")
    return data if isinstance(data, dict) else {}


def _their_journal(ctx: Context) -> dict[str, Any]:
    try:
        data = json.loads((ctx.workdir / "journal.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _truth(journal: dict[str, Any]) -> dict[str, Any]:
    """What the learner's own journal says, for each question."""
    states = journal.get("steady_states") or {}
    before = (states.get("before") or {}).get("steady_state_met")
    after = (states.get("after") or {}).get("probes") or [{}]
    cases = (after[0].get("output") or {}).get("cases") or {}
    rollbacks = journal.get("rollbacks") or [{}]
    return {
        "met_before": before,
        "status_without_token": (cases.get("none") or {}).get("status"),
        "rollback_status": rollbacks[0].get("status") if rollbacks else None,
    }


def predict_run_read(ctx: Context) -> Iterator[Item]:
    path = ctx.workdir / "auth-off.yaml"
    prediction_file = ctx.workdir / "prediction.yaml"
    yield file_item(path, "the experiment exists")
    yield file_item(prediction_file, "your prediction exists")
    if not path.is_file() or not prediction_file.is_file():
        return
    prediction = load_document(prediction_file)
    predicted = _predicted(prediction, "outcome")
    yield Item(
        predicted in OUTCOMES,
        "prediction.yaml names an outcome (held, deviated, not-run or broken)",
        _prediction_hint(prediction, "outcome", predicted),
    )
    document = load_document(path)
    names = [str(p.get("name")) for p in probes(document)]
    failing = _predicted(prediction, "failing_probe")
    yield Item(
        failing in (*names, "none"),
        "prediction.yaml names the probe you expect to fail (one of auth-off.yaml's, or none)",
        _prediction_hint(prediction, "failing_probe", failing)
        + f"; the hypothesis's probes: {', '.join(names) or 'none yet'}",
    )
    rollbacks = list(provider_calls(activities(document, "rollbacks")))
    yield Item(
        any(func == "enable_auth" for _, func, _ in rollbacks),
        "auth-off.yaml has a rollback that switches authentication back on",
        "add enable_auth (module squall.drivers.security.actions_auth) under rollbacks",
    )
    validated = ctx.validate(path, "normal")
    yield validate_item(validated, path)
    if validated.returncode != 0 or predicted not in OUTCOMES:
        return
    config = ctx.demo("normal")["config_file"]
    before = _read_bytes(config)
    run = ctx.run(path, "normal")
    yield Item(
        predicted == run.outcome,
        f"your prediction ({predicted}) is what squall said",
        f"squall said {run.said()}\nwhy was your prediction different? correct it once you know",
    )
    failed = _failed_probe(run.journal)
    yield Item(
        failing == failed,
        f"the probe you expected to fail ({failing}) is the one that failed",
        f"{failed} failed in squall's run; why? correct it once you know",
    )
    yield Item(
        _read_bytes(config) == before,
        "after the run the demo's config is back byte for byte (the rollback worked)",
        "authentication may still be off: run `squall demo down` and `squall demo up`",
    )
    journal = _their_journal(ctx)
    yield Item(
        bool(journal),
        "journal.json of your own run is here",
        "run it yourself: squall run auth-off.yaml --var-file demo-vars.json",
    )
    answers, truth = _answers(ctx), _truth(journal)
    for key, value in truth.items():
        given = answers.get(key, "TODO")
        yield Item(
            bool(journal) and given == value,
            f"journal-answers.yaml: {key} matches your journal",
            f"you wrote {show_value(given)}; look again at journal.json",
        )


def _predicted(prediction: Any, key: str) -> str:
    """A prediction's value as text ("" when the file or the key is missing)."""
    if not isinstance(prediction, dict) or prediction.get(key) is None:
        return ""
    return str(prediction[key]).strip()


def _prediction_hint(prediction: Any, key: str, value: str) -> str:
    """Why a prediction is not usable, in the learner's terms."""
    if prediction is None:
        return (
            "prediction.yaml is empty or not YAML: write the two lines `outcome: ...` "
            "and `failing_probe: ...`"
        )
    if not isinstance(prediction, dict):
        return "prediction.yaml must be `key: value` lines (outcome: ..., failing_probe: ...)"
    if key not in prediction:
        return f"prediction.yaml has no `{key}:` line"
    return f"{key} is {show_value(value)}"


def _failed_probe(journal: dict[str, Any]) -> str:
    """The hypothesis probe that failed in a run (before, else after the method), or none."""
    states = journal.get("steady_states") or {}
    for when in ("before", "after"):
        for entry in (states.get(when) or {}).get("probes") or []:
            if isinstance(entry, dict) and entry.get("tolerance_met") is False:
                return str((entry.get("activity") or {}).get("name"))
    return "none"


def _read_bytes(name: str) -> bytes:
    from pathlib import Path

    try:
        return Path(name).read_bytes()
    except OSError:
        return b""


CHECKS: dict[int, Checker] = {1: steady_state, 2: predict_run_read}
