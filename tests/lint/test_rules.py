"""Each rule on small experiments: what it flags, what it leaves alone, and how an
experiment silences it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from squall.experiment import parse_experiment
from squall.lint import LintOptions, lint_experiment
from squall.lint.hypothesis import accepts_every_string

HEALTH = {"type": "http", "url": "http://127.0.0.1:9/health", "timeout": 3}
PROBE = {"type": "probe", "name": "answers", "tolerance": 200, "provider": HEALTH}
STOP = {"type": "action", "name": "stop", "provider": {"type": "process", "path": "systemctl",
                                                       "arguments": ["stop", "cache"]}}  # fmt: skip
START = {"type": "action", "name": "start", "provider": {"type": "process", "path": "systemctl",
                                                         "arguments": ["start", "cache"]}}  # fmt: skip


def base(**changes: Any) -> dict[str, Any]:
    """A lint-clean experiment, with top-level keys replaced."""
    doc: dict[str, Any] = {
        "title": "t",
        "description": "d",
        "steady-state-hypothesis": {"title": "h", "probes": [copy.deepcopy(PROBE)]},
        "method": [copy.deepcopy(STOP)],
        "rollbacks": [copy.deepcopy(START)],
    }
    doc.update(changes)
    return doc


def found(doc: dict[str, Any], **options: Any) -> list[tuple[str, str]]:
    """(rule id, pointer) of every finding."""
    findings = lint_experiment(parse_experiment(doc), LintOptions(**options))
    return [(f.rule.id, f.problem.pointer) for f in findings]


def rules(doc: dict[str, Any], **options: Any) -> list[str]:
    return [rule for rule, _ in found(doc, **options)]


def probe(tolerance: Any, **provider: Any) -> dict[str, Any]:
    return {"title": "h", "probes": [{**PROBE, "tolerance": tolerance,
                                      "provider": {**HEALTH, **provider}}]}  # fmt: skip


def action(name: str, provider: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "action", "name": name, "provider": provider, **extra}


def test_the_base_experiment_is_clean() -> None:
    assert found(base()) == []


# --- SQ101 -----------------------------------------------------------------------------


def test_an_action_without_any_rollback_is_flagged_at_its_place() -> None:
    assert found(base(rollbacks=[])) == [("SQ101", "/method/0")]


@pytest.mark.parametrize(
    ("act", "undo"),
    [
        ({"type": "python", "module": "m.actions", "func": "stop"},
         {"type": "python", "module": "m.actions", "func": "start"}),
        ({"type": "http", "url": "http://h:81/stop", "method": "POST"},
         {"type": "http", "url": "http://h:81/start", "method": "POST"}),
        ({"type": "process", "path": "sh", "arguments": ["-c", "echo x > ${dir}/f.txt"]},
         {"type": "process", "path": "rm", "arguments": ["-f", "${dir}/f.txt"]}),
    ],
)  # fmt: skip
def test_a_rollback_on_the_same_thing_undoes_an_action(act: Any, undo: Any) -> None:
    doc = base(method=[action("a", act)], rollbacks=[action("u", undo)],
               configuration={"dir": "/tmp"})  # fmt: skip
    assert rules(doc) == []


def test_a_rollback_on_something_else_does_not_count() -> None:
    other = action("u", {"type": "python", "module": "other", "func": "f"})
    assert rules(base(rollbacks=[other])) == ["SQ101"]


def test_a_ref_to_an_action_is_checked_where_it_stands() -> None:
    doc = base(method=[copy.deepcopy(STOP), {"ref": "stop"}], rollbacks=[])
    assert found(doc) == [("SQ101", "/method/0"), ("SQ101", "/method/1")]


def test_strategy_never_means_no_action_is_undone() -> None:
    doc = base(runtime={"rollbacks": {"strategy": "never"}})
    assert found(doc) == [("SQ101", "/method/0")]


def test_probes_in_the_method_need_no_rollback() -> None:
    method_probe = {"type": "probe", "name": "look", "provider": HEALTH}
    assert rules(base(method=[method_probe], rollbacks=[])) == []


# --- SQ102 / SQ103 ------------------------------------------------------------------------


def test_a_method_probe_with_a_tolerance() -> None:
    method_probe = {"type": "probe", "name": "look", "tolerance": 200, "provider": HEALTH}
    assert found(base(method=[STOP, method_probe])) == [("SQ102", "/method/1/tolerance")]


def test_duplicate_names_are_flagged_at_the_second() -> None:
    doc = base(rollbacks=[{**START, "name": "stop"}])
    assert found(doc) == [("SQ103", "/rollbacks/0/name")]


# --- SQ201-SQ203 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hypothesis", "pointer"),
    [(None, "/"), ({"title": "h"}, "/steady-state-hypothesis/probes"),
     ({"title": "h", "probes": []}, "/steady-state-hypothesis/probes")],
)  # fmt: skip
def test_no_probes(hypothesis: Any, pointer: str) -> None:
    doc = base()
    if hypothesis is None:
        del doc["steady-state-hypothesis"]
    else:
        doc["steady-state-hypothesis"] = hypothesis
    assert [(r, p or "/") for r, p in found(doc)] == [("SQ201", pointer)]


def test_no_probes_is_fine_when_the_hypothesis_is_skipped() -> None:
    doc = base(runtime={"hypothesis": {"strategy": "skip"}})
    del doc["steady-state-hypothesis"]
    assert found(doc) == []


@pytest.mark.parametrize(
    "pattern", [".*", "", "^", "$", "a*", "(?s).*", ".?", "[\\s\\S]*", "ok|", "(x)?"]
)
def test_regexes_that_match_every_text(pattern: str) -> None:
    assert accepts_every_string(pattern)
    doc = base(**{"steady-state-hypothesis": probe({"type": "regex", "pattern": pattern,
                                                    "target": "body"})})  # fmt: skip
    assert found(doc) == [("SQ202", "/steady-state-hypothesis/probes/0/tolerance")]


@pytest.mark.parametrize("pattern", ["^ok$", "ok", "^600$", "\\d+", "^$", "x*y", "${expected}"])
def test_regexes_that_can_fail(pattern: str) -> None:
    doc = base(**{"steady-state-hypothesis": probe({"type": "regex", "pattern": pattern,
                                                    "target": "body"})})  # fmt: skip
    assert rules(doc, known_names=frozenset({"expected"})) == []


@pytest.mark.parametrize(
    ("tolerance", "flagged"),
    [
        ({"type": "range", "range": [-1e308, 1e308]}, True),
        ({"type": "range", "range": [-(2**63), 2**63]}, True),
        ({"type": "range", "range": [0, 2**63]}, False),
        ({"type": "range", "range": [-1e6, 1e6]}, False),
        ([True, False], True),
        ([False, True, None], True),
        ([True], False),
        ([200, 404], False),
        ({"type": "jsonpath", "path": "$.ok", "expect": True}, False),
        ({"type": "jsonpath", "path": "$.ok", "count": 1}, False),
    ],
)  # fmt: skip
def test_tolerances_that_accept_everything(tolerance: Any, flagged: bool) -> None:
    doc = base(**{"steady-state-hypothesis": probe(tolerance)})
    assert rules(doc) == (["SQ202"] if flagged else [])


def test_a_jsonpath_without_expectation_is_an_info() -> None:
    doc = base(**{"steady-state-hypothesis": probe({"type": "jsonpath", "path": "$.ok"})})
    findings = lint_experiment(parse_experiment(doc))
    assert [(f.rule.id, f.severity.label) for f in findings] == [("SQ203", "info")]


# --- SQ301 -------------------------------------------------------------------------------


def long_method(after: Any) -> list[dict[str, Any]]:
    return [{**STOP, "pauses": {"after": after}}]


def test_pauses_over_ten_minutes_need_a_stop_condition() -> None:
    assert rules(base(method=long_method(601))) == ["SQ301"]
    assert rules(base(method=long_method(500))) == []


def test_hypothesis_timeouts_count_twice_and_placeholders_are_read() -> None:
    # 2 x (3 s timeout + 100 s pause) for the probe, 400 s from configuration = 606 s
    hyp = {"title": "h", "probes": [{**PROBE, "pauses": {"before": 100}}]}
    doc = base(**{"steady-state-hypothesis": hyp}, method=long_method("${wait}"),
               configuration={"wait": 400})  # fmt: skip
    assert rules(doc) == ["SQ301"]
    doc["runtime"] = {"hypothesis": {"strategy": "before-method-only"}}
    assert rules(doc) == []


def test_durations_in_arguments_count() -> None:
    idle = action("idle", {"type": "python", "module": "m", "func": "idle",
                           "arguments": {"duration": 700}})  # fmt: skip
    assert rules(base(method=[idle], rollbacks=[action("u", {"type": "python",
                                                               "module": "m", "func": "f"})])) == ["SQ301"]  # fmt: skip


def test_retries_and_wait_until_count() -> None:
    # 5 attempts x 100 s timeout + delays 60 + 120 + 120 + 120 (max_delay) = 920 s
    retried = {**STOP, "timeout": 100,
               "retry": {"attempts": 5, "delay": 60, "backoff": 2, "max_delay": 120}}  # fmt: skip
    assert rules(base(method=[retried])) == ["SQ301"]
    assert rules(base(method=[{**retried, "retry": {"attempts": 2}}])) == []
    # 600 s + 3 s timeout; a method probe with wait_until has its tolerance checked (no SQ102)
    waiting = {**PROBE, "name": "waits", "wait_until": {"timeout": 600, "interval": 5}}
    assert rules(base(method=[STOP, waiting])) == ["SQ301"]
    assert rules(base(method=[STOP, {**waiting, "wait_until": {"timeout": 60}}])) == []


def test_long_is_configurable() -> None:
    doc = base(method=long_method(300))
    assert rules(doc, long_run_minutes=4) == ["SQ301"]
    ext = {"name": "squall-lint", "long_run_minutes": 4}
    assert rules({**doc, "extensions": [ext]}) == ["SQ301"]
    assert rules({**doc, "extensions": [ext]}, long_run_minutes=6) == []  # the option wins


@pytest.mark.parametrize(
    "runtime",
    [{"hypothesis": {"strategy": "continuously"}},
     {"hypothesis": {"strategy": "during-method-only"}}],
)  # fmt: skip
def test_continuous_hypothesis_needs_a_stop_condition(runtime: Any) -> None:
    assert rules(base(runtime=runtime)) == ["SQ301"]


def test_background_needs_a_stop_condition() -> None:
    assert rules(base(method=[{**STOP, "background": True}])) == ["SQ301"]


def guard(module: str) -> dict[str, Any]:
    return {"controls": [{"name": "guard", "provider": {"type": "python", "module": module}}]}


@pytest.mark.parametrize(
    "stop",
    [{"runtime": {"timeout": 900}},
     guard("chaosaddons.controls.safeguards"),
     guard("squall.controls.safeguards")],
)  # fmt: skip
def test_a_timeout_or_safeguards_is_a_stop_condition(stop: Any) -> None:
    assert rules(base(method=long_method(3600), **stop)) == []


def test_other_controls_are_no_stop_condition() -> None:
    assert rules(base(method=long_method(3600), **guard("squall.controls.repeat"))) == ["SQ301"]


# --- SQ401-SQ404 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "rule"),
    [
        ({"namespace": "*"}, "SQ401"),
        ({"mode": "all"}, "SQ401"),
        ({"all": True}, "SQ401"),
        ({"all_namespaces": True}, "SQ401"),
        ({"percentage": 100}, "SQ402"),
        ({"qty_percent": "100"}, "SQ402"),
        ({"amount": "100%"}, "SQ402"),
        ({"count": None}, "SQ403"),
        ({"instances": -1}, "SQ403"),
        ({"instance_count": "all"}, "SQ403"),
        ({"cidr": "0.0.0.0/0"}, "SQ404"),
        ({"rules": [{"source": "::/0"}]}, "SQ404"),
        ({"namespace": "shop"}, None),
        ({"all": False}, None),
        ({"percentage": 20}, None),
        ({"count": 2}, None),
        ({"count": "${n}"}, None),
        ({"cidr": "10.0.0.0/8"}, None),
        ({"cidr": "10.0.0.0/0"}, None),
    ],
)  # fmt: skip
def test_blast_radius_table(arguments: dict[str, Any], rule: str | None) -> None:
    act = action("hit", {"type": "python", "module": "m", "func": "hit", "arguments": arguments})
    undo = action("undo", {"type": "python", "module": "m", "func": "undo"})
    assert rules(base(method=[act], rollbacks=[undo]), known_names=frozenset({"n"})) == (
        [rule] if rule else []
    )


def test_process_flags_and_list_items() -> None:
    act = action("del", {"type": "process", "path": "kubectl",
                         "arguments": ["delete", "pods", "--all", "-n", "shop"]})  # fmt: skip
    undo = action("u", {"type": "process", "path": "kubectl", "arguments": ["rollout"]})
    assert found(base(method=[act], rollbacks=[undo])) == [
        ("SQ401", "/method/0/provider/arguments/2")
    ]


def test_blast_radius_is_about_method_actions_only() -> None:
    hyp = probe(200, url="http://127.0.0.1:9/health?namespace=*")
    hyp["probes"][0]["provider"]["arguments"] = {"namespace": "*"}
    undo = action("undo-all", {"type": "process", "path": "systemctl", "arguments": ["start", "*"]})
    assert rules(base(**{"steady-state-hypothesis": hyp}, rollbacks=[undo])) == []


# --- SQ501 / SQ502 ------------------------------------------------------------------------


def with_url(url: str, **changes: Any) -> dict[str, Any]:
    return base(**{"steady-state-hypothesis": probe(200, url=url)}, **changes)


def test_known_names_come_from_configuration_secrets_vars_and_the_engine() -> None:
    url = "http://${host}:${port}/${path}?t=${token}&r=${squall_run_id}&${given}"
    doc = with_url(url, configuration={"host": "h", "port": {"type": "env", "key": "P"}},
                   secrets={"s": {"token": {"type": "env", "key": "T"}}},
                   extensions=[{"name": "squall-lint", "vars": ["path"]}])  # fmt: skip
    assert found(doc, known_names=frozenset({"given"})) == []
    assert found(doc) == [("SQ501", "/steady-state-hypothesis/probes/0/provider/url")]


def test_unknown_and_invalid_names_escapes_and_bare_dollars() -> None:
    doc = with_url("http://${nope}/${not-valid}/$${escaped}/$HOME")
    findings = lint_experiment(parse_experiment(doc))
    messages = [f.problem.message for f in findings]
    assert len(messages) == 2
    assert "${nope} is not defined" in messages[0]
    assert '"not-valid" is not a valid variable name' in messages[1]


def test_bare_names_defined_or_close_to_a_defined_one() -> None:
    doc = with_url("http://$host/$HOME/$$host/${host}/$hots/$filter", configuration={"host": "h"})
    findings = lint_experiment(parse_experiment(doc))
    assert [(f.rule.id, f.subject) for f in findings] == [("SQ503", "host"), ("SQ503", "hots")]
    assert "$host is substituted like ${host}" in findings[0].problem.message
    assert "did you mean ${host}?" in findings[1].problem.message
    silenced = with_url("http://$host/", configuration={"host": "h"},
                        extensions=[{"name": "squall-lint", "disable": ["SQ503:host"]}])  # fmt: skip
    assert found(silenced) == []


def test_names_in_tolerances_pauses_controls_and_title() -> None:
    doc = base(title="run ${a}", controls=[{"name": "c", "provider": {
        "type": "python", "module": "m", "arguments": {"x": "${b}"}}}])  # fmt: skip
    doc["method"] = [{**STOP, "pauses": {"before": "${c}"}}]
    doc["steady-state-hypothesis"] = probe({"type": "regex", "pattern": "${d}", "target": "body"})
    assert found(doc) == [
        ("SQ501", "/title"),
        ("SQ501", "/controls/0/provider/arguments/x"),
        ("SQ501", "/steady-state-hypothesis/probes/0/tolerance/pattern"),
        ("SQ501", "/method/0/pauses/before"),
    ]


def outputs_doc(method_ref: str, hypothesis_ref: str = "answers") -> dict[str, Any]:
    read = {"type": "probe", "name": "read-host", "provider": HEALTH}
    hyp = {"title": "h", "probes": [
        copy.deepcopy(PROBE),
        {**PROBE, "name": "second", "provider": {**HEALTH, "url": f"${{outputs.{hypothesis_ref}.body}}"}},
    ]}  # fmt: skip
    stop = {**STOP, "provider": {**STOP["provider"], "arguments": ["stop", method_ref]}}
    return base(**{"steady-state-hypothesis": hyp}, method=[read, stop])


def test_outputs_of_earlier_activities_are_known() -> None:
    assert found(outputs_doc("${outputs.read-host.body.host}")) == []
    assert found(outputs_doc("${outputs.read-host}")) == []
    assert found(outputs_doc("${outputs.answers[0]}")) == []


@pytest.mark.parametrize(
    ("method_ref", "hypothesis_ref", "pointer", "says"),
    [
        ("${outputs.read-hos.body}", "answers", "/method/1/provider/arguments/1",
         "no activity has that name"),
        ("${outputs.stop}", "answers", "/method/1/provider/arguments/1", "does not finish before this activity starts"),
        ("${outputs.start}", "answers", "/method/1/provider/arguments/1", "does not finish before this activity starts"),
        ("x", "read-host", "/steady-state-hypothesis/probes/1/provider/url", "does not finish before this activity starts"),
        ("x", "second", "/steady-state-hypothesis/probes/1/provider/url", "does not finish before this activity starts"),
    ],
)  # fmt: skip
def test_outputs_that_are_not_there_yet(
    method_ref: str, hypothesis_ref: str, pointer: str, says: str
) -> None:
    doc = outputs_doc(method_ref, hypothesis_ref)
    findings = lint_experiment(parse_experiment(doc))
    assert [(f.rule.id, f.problem.pointer) for f in findings] == [("SQ502", pointer)]
    assert says in findings[0].problem.message


def test_outputs_outside_providers_are_never_substituted() -> None:
    control = {"name": "c", "provider": {"type": "python", "module": "m",
                                         "arguments": {"x": "${outputs.answers}"}}}  # fmt: skip
    doc = base(title="after ${outputs.answers}", controls=[control])
    doc["steady-state-hypothesis"] = probe("${outputs.answers.status}")
    assert found(doc) == [  # each once: the activity's by output_problems, the rest by lint
        ("SQ502", "/title"),
        ("SQ502", "/controls/0/provider/arguments/x"),
        ("SQ502", "/steady-state-hypothesis/probes/0/tolerance"),
    ]


def test_members_of_a_parallel_group_do_not_see_each_other() -> None:
    second = {**STOP, "name": "warm", "provider": {**STOP["provider"],
                                                     "arguments": ["${outputs.stop}"]}}  # fmt: skip
    group = {"type": "parallel", "name": "both", "activities": [copy.deepcopy(STOP), second]}
    doc = base(method=[group])
    assert found(doc) == [("SQ502", "/method/0/activities/1/provider/arguments/0")]


def test_an_output_finding_can_be_silenced_for_its_activity() -> None:
    doc = outputs_doc("${outputs.nope}")
    assert rules(doc) == ["SQ502"]
    assert rules(doc, disabled=frozenset({"SQ502:stop"})) == []


def test_outputs_in_a_rollback_see_the_whole_method() -> None:
    undo = {**START, "provider": {**START["provider"], "arguments": ["${outputs.stop}"]}}
    assert found(base(rollbacks=[undo])) == []


# --- SQ601 -------------------------------------------------------------------------------


def test_inline_secrets() -> None:
    doc = base(
        secrets={"db": {"password": "hunter2", "user": {"type": "env", "key": "U"},
                        "via": "${x}"}},
        configuration={"api_token": "abc", "token_file": "/run/t", "x": 1, "password": ""},
    )  # fmt: skip
    doc["method"][0]["provider"]["arguments"] = ["--password=hunter2", "--token=${x}"]
    hyp = probe(200, headers={"Authorization": "Basic dXNlcjpwYXNz", "X-Api-Key": "${x}"})
    hyp["probes"][0]["provider"]["arguments"] = {"password_field": "password", "secret": "s"}
    doc["steady-state-hypothesis"] = hyp
    assert found(doc) == [
        ("SQ601", "/secrets/db/password"),
        ("SQ601", "/configuration/api_token"),
        ("SQ601", "/steady-state-hypothesis/probes/0/provider/arguments/secret"),
        ("SQ601", "/steady-state-hypothesis/probes/0/provider/headers/Authorization"),
        ("SQ601", "/method/0/provider/arguments/0"),
    ]


# --- silencing ---------------------------------------------------------------------------


def test_disable_a_rule_for_the_run_for_the_experiment_or_for_one_name() -> None:
    doc = base(rollbacks=[], method=[STOP, {**STOP, "name": "again"}])
    assert rules(doc) == ["SQ101", "SQ101"]
    assert rules(doc, disabled=frozenset({"SQ101"})) == []
    assert rules({**doc, "extensions": [{"name": "squall-lint", "disable": ["SQ101"]}]}) == []
    one = {"name": "squall-lint", "disable": ["SQ101:again"], "note": "why"}
    assert found({**doc, "extensions": [one]}) == [("SQ101", "/method/0")]


@pytest.mark.parametrize(
    ("ext", "pointer"),
    [
        ({"disable": ["SQ999"]}, "/extensions/0/disable"),
        ({"disable": "SQ101"}, "/extensions/0/disable"),
        ({"vars": [1]}, "/extensions/0/vars"),
        ({"long_run_minutes": "soon"}, "/extensions/0/long_run_minutes"),
        ({"long_run_minutes": 0}, "/extensions/0/long_run_minutes"),
        ({"disabled": ["SQ101"]}, "/extensions/0/disabled"),
    ],
)  # fmt: skip
def test_bad_lint_settings(ext: dict[str, Any], pointer: str) -> None:
    doc = base(extensions=[{"name": "other", "disable": 3}, {"name": "squall-lint", **ext}])
    assert found(doc) == [("SQ001", pointer.replace("/0/", "/1/"))]


def _fix(doc: dict[str, Any]) -> list[tuple[str, str]]:
    findings = lint_experiment(parse_experiment(doc), LintOptions())
    return [(f.rule.id, f.problem.hint) for f in findings]


def test_a_misspelt_rollbacks_key_is_named_in_sq101() -> None:
    """'rollback:' instead of 'rollbacks:' validates (an unknown key, as in the Chaos
    Toolkit) and is never played: SQ101 says which key to rename."""
    doc = base()
    doc["rollback"] = doc.pop("rollbacks")
    [(rule_id, fix)] = _fix(doc)
    assert rule_id == "SQ101" and fix.startswith('rename "rollback" to "rollbacks"')
    assert _fix(base(rollbacks=[]))[0][1].startswith("add a rollback")


def test_a_misspelt_hypothesis_key_is_named_in_sq201() -> None:
    doc = base()
    doc["steady-state-hypotesis"] = doc.pop("steady-state-hypothesis")
    [(rule_id, fix)] = _fix(doc)
    assert rule_id == "SQ201"
    assert fix.startswith('rename "steady-state-hypotesis" to "steady-state-hypothesis"')
