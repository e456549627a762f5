"""JSONPath tolerances answer as the reference's: a table of paths and documents, each
judged by squall in this process and by chaoslib (with the ``jsonpath`` extra it installs)
in the reference venv; the matched values and the tolerance's verdict must be equal.

The table covers what users write in published experiments (Prometheus vectors, HTTP
headers, lists of services) and the corners where JSONPath engines disagree: filters,
wildcards, slices, missing keys, comparisons between types, recursive descent.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from squall.experiment._reader import Reader
from squall.experiment.jsonpath import jsonpath_values
from squall.experiment.parse import parse_activity
from squall.experiment.tolerance import check_tolerance, parse_tolerance

pytestmark = pytest.mark.conformance

PROM = {
    "status": "success",
    "data": {
        "resultType": "vector",
        "result": [
            {"metric": {"job": "api"}, "value": [1700000000, "0"]},
            {"metric": {"job": "db"}, "value": [1700000000, "3"]},
        ],
    },
}
PROM_ZERO = {"data": {"result": [{"metric": {}, "value": [1, "0"]}]}}
SERVICES = {
    "services": [
        {"name": "api", "replicas": 3, "ready": True, "tags": ["web", "public"]},
        {"name": "db", "replicas": 1, "ready": False, "tags": []},
        {"name": "cache", "ready": True},
        {"name": "worker", "replicas": "2"},
    ],
    "meta": {"count": 4, "region": "eu"},
}
HEADERS = {"status": 200, "headers": {"Content-Type": "text/plain", "X-Id": "7"}, "body": "ok"}

# (id, document, tolerance without "type") — "path" is required, "count"/"expect"/"target"
# as users write them
TABLE: list[tuple[str, Any, dict[str, Any]]] = [
    # filters: they test the node they follow
    ("prom-filter-count-0", PROM_ZERO, {"path": '$.data.result.*[?(@.value[1]!="0")]', "count": 0}),
    ("prom-filter-nonzero", PROM, {"path": '$.data.result.*[?(@.value[1]!="0")]'}),
    ("prom-filter-eq", PROM, {"path": '$.data.result.*[?(@.value[1]="0")].metric.job'}),
    # `==` is not jsonpath2's syntax (`=` is): both refuse the path
    ("prom-filter-double-eq", PROM, {"path": '$.data.result.*[?(@.value[1]=="3")]'}),
    ("filter-on-list-itself", SERVICES, {"path": "$.services[?(@.replicas > 1)]"}),
    ("filter-on-items", SERVICES, {"path": "$.services[*][?(@.replicas > 1)].name"}),
    ("filter-gt-string-number", SERVICES, {"path": "$.services[*][?(@.replicas >= 2)].name"}),
    ("filter-missing-key-ne", SERVICES, {"path": "$.services[*][?(@.replicas != 3)].name"}),
    ("filter-missing-key-eq", SERVICES, {"path": "$.services[*][?(@.replicas = 3)].name"}),
    ("filter-exists", SERVICES, {"path": "$.services[*][?(@.replicas)].name"}),
    ("filter-bool", SERVICES, {"path": "$.services[*][?(@.ready = true)].name"}),
    ("filter-and", SERVICES, {"path": "$.services[*][?(@.ready = true and @.replicas > 2)]"}),
    ("filter-or", SERVICES, {"path": '$.services[*][?(@.name = "db" or @.name = "cache")]'}),
    ("filter-not", SERVICES, {"path": "$.services[*][?(not @.replicas)].name"}),
    ("filter-string-lt", SERVICES, {"path": '$.services[*][?(@.name < "b")].name'}),
    ("filter-count-expect", SERVICES, {"path": "$.services[*][?(@.ready = false)]", "count": 1}),
    # wildcards
    ("wildcard-object-values", SERVICES, {"path": "$.meta.*"}),
    ("wildcard-list-items", SERVICES, {"path": "$.services[*].name", "count": 4}),
    ("wildcard-dot-star-list", SERVICES, {"path": "$.services.*.name"}),
    ("wildcard-on-string", {"a": "text"}, {"path": "$.a.*"}),
    ("wildcard-missing-field", SERVICES, {"path": "$.services[*].replicas"}),
    # slices and indexes
    ("slice-first-two", SERVICES, {"path": "$.services[0:2].name"}),
    ("slice-last", SERVICES, {"path": "$.services[-1:].name"}),
    ("slice-step", SERVICES, {"path": "$.services[::2].name"}),
    ("slice-from", SERVICES, {"path": "$.services[1:].name"}),
    ("slice-negative-end", SERVICES, {"path": "$.services[:-2].name"}),
    ("index-negative", SERVICES, {"path": "$.services[-2].name", "expect": "cache"}),
    ("index-out-of-range", SERVICES, {"path": "$.services[9].name"}),
    ("union-indexes", SERVICES, {"path": "$.services[0,2].name"}),
    ("union-keys", SERVICES, {"path": '$.meta["count","region"]'}),
    # missing keys and types
    ("missing-key", SERVICES, {"path": "$.nothing"}),
    ("missing-key-count-0", SERVICES, {"path": "$.nothing", "count": 0}),
    ("key-on-list", SERVICES, {"path": "$.services.name"}),
    ("index-on-object", SERVICES, {"path": "$.meta[0]"}),
    ("null-value", {"a": None}, {"path": "$.a", "expect": None}),
    ("root-only", {"a": 1}, {"path": "$", "expect": {"a": 1}}),
    # comparisons of what matched
    (
        "expect-list",
        SERVICES,
        {"path": "$.services[*].name", "expect": ["api", "db", "cache", "worker"]},
    ),
    ("expect-scalar-one-match", SERVICES, {"path": "$.meta.region", "expect": "eu"}),
    ("expect-scalar-many", SERVICES, {"path": "$.services[*].name", "expect": "api"}),
    ("expect-int-vs-float", {"a": 1}, {"path": "$.a", "expect": 1.0}),
    ("expect-and-count", SERVICES, {"path": "$.meta.count", "count": 2, "expect": 4}),
    ("count-wrong", SERVICES, {"path": "$.services[*]", "count": 3}),
    # recursive descent and bracket notation
    ("recursive", SERVICES, {"path": "$..name", "count": 4}),
    ("recursive-missing", SERVICES, {"path": "$..nothing", "count": 0}),
    (
        "bracket-header",
        HEADERS,
        {"path": '$["Content-Type"]', "target": "headers", "expect": "text/plain"},
    ),
    ("bracket-header-lower", HEADERS, {"path": '$["content-type"]', "target": "headers"}),
    ("target-missing-falls-back", HEADERS, {"path": "$.status", "target": "nope", "expect": 200}),
    # outputs that are text
    ("json-text-output", json.dumps(SERVICES), {"path": "$.meta.count", "expect": 4}),
    ("non-json-text-root", "plain text", {"path": "$", "expect": "plain text"}),
    ("non-json-text-key", "plain text", {"path": "$.a"}),
    (
        "body-json-text",
        {"body": '{"ok": true}'},
        {"path": "$.ok", "target": "body", "expect": True},
    ),
]

REFERENCE = r"""
import json, sys
from chaoslib.hypothesis import within_tolerance
from jsonpath2.path import Path

out = {}
for case_id, document, tolerance in json.load(sys.stdin):
    try:
        values = [m.current_value for m in Path.parse_str(tolerance["path"]).match(
            document if not isinstance(document, str) else _decode(document))]
    except Exception as exc:
        values = "error"
    try:
        met = within_tolerance(dict(tolerance, type="jsonpath"), document)
    except Exception as exc:
        met = "error"
    out[case_id] = {"values": values, "met": met}
json.dump(out, sys.stdout)
"""
DECODE = """
def _decode(text):
    try:
        return json.loads(text)
    except ValueError:
        return text
"""


@pytest.fixture(scope="module")
def reference(ctk_venv: Path) -> dict[str, Any]:
    script = REFERENCE.replace("out = {}", DECODE + "\nout = {}")
    done = subprocess.run(
        [str(ctk_venv / "bin" / "python"), "-c", script],
        input=json.dumps(TABLE),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    answers: dict[str, Any] = json.loads(done.stdout)
    return answers


def _squall(document: Any, tolerance: dict[str, Any]) -> dict[str, Any]:
    parsed = document
    if isinstance(document, str):
        try:
            parsed = json.loads(document)
        except ValueError:
            parsed = document
    try:
        values: Any = jsonpath_values(tolerance["path"], parsed)
    except ValueError:
        values = "error"
    reader = Reader()
    declared = parse_tolerance(reader, {**tolerance, "type": "jsonpath"}, "/t", parse_activity)
    if reader.problems:  # refused when the experiment is read, as the reference validates
        return {"values": values, "met": "error"}
    met = check_tolerance(declared, document, lambda v: v).met
    return {"values": values, "met": met}


@pytest.mark.parametrize(("case_id", "document", "tolerance"), TABLE, ids=[t[0] for t in TABLE])
def test_squall_answers_as_the_reference(
    reference: dict[str, Any], case_id: str, document: Any, tolerance: dict[str, Any]
) -> None:
    assert _squall(document, tolerance) == reference[case_id]


def test_the_table_is_not_vacuous(reference: dict[str, Any]) -> None:
    """Both verdicts occur, and filters both keep and drop."""
    verdicts = [answer["met"] for answer in reference.values()]
    assert verdicts.count(True) >= 10 and verdicts.count(False) >= 10
    assert reference["prom-filter-count-0"] == {"values": [], "met": True}
    assert reference["filter-on-items"]["values"] == ["api"]
    assert reference["prom-filter-double-eq"] == {"values": "error", "met": "error"}


def test_an_invalid_path_is_a_located_problem_without_console_noise(
    capfd: pytest.CaptureFixture[str],
) -> None:
    reader = Reader()
    parse_tolerance(reader, {"type": "jsonpath", "path": "$.a["}, "/t", parse_activity)
    assert [p.pointer for p in reader.problems] == ["/t/path"]
    assert "line 1:4" in reader.problems[0].message
    assert capfd.readouterr().err == ""  # antlr's console listener is off
