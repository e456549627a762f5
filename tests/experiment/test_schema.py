"""The experiment JSON Schema agrees with the parser on every example experiment.

Every ``.json``/``.yaml``/``.yml`` file anywhere under ``tests/examples/`` is loaded with
``load_source`` and judged twice: by the schema (``Draft202012Validator`` with its format
checker, so ``format: regex`` is compiled with Python's ``re`` exactly as the parser does) and
by ``parse_experiment``. Both must accept it, or both must reject it.

Files that are not experiments are skipped by one rule: a file inside a folder named
``vars`` (at any depth under ``tests/examples/``), or whose name starts with ``vars``, is a
``--var-file``, not an experiment. A file that ``load_source`` cannot read as a mapping is
skipped too (it is a loader fixture, outside the schema's reach), except under
``tests/examples/schema/``, whose files must all load.

Under ``tests/examples/schema/`` the file names also state the expected verdict:
``valid-*`` is accepted, ``invalid-*`` is rejected with exactly one problem.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]

from squall.errors import LoadError, Problem, ValidationError
from squall.experiment import load_source, parse_experiment
from squall.experiment.schema import experiment_schema

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCHEMA_EXAMPLES = EXAMPLES / "schema"
SUFFIXES = (".json", ".yaml", ".yml")

# Rules the parser enforces that JSON Schema cannot express. When the schema accepts a
# document and the parser rejects it only for these reasons, that is expected.
PARSER_ONLY_RULES = (
    # JSONPath syntax is checked by compiling the path with jsonpath2.
    "invalid JSONPath",
    # JSON Schema counts 2.0 as an integer; the parser wants an integer literal.
    '"count" must be an integer',
    '"max_retries" must be a non-negative integer',
)


def _is_var_file(path: Path) -> bool:
    """The skip rule: var files live in a ``vars`` folder or are named ``vars*``."""
    relative = path.relative_to(EXAMPLES)
    return "vars" in relative.parts[:-1] or path.name.startswith("vars")


def _example_params() -> list[Any]:
    files = sorted(p for p in EXAMPLES.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
    params = []
    for path in files:
        ident = path.relative_to(EXAMPLES).as_posix()
        marks = (
            [pytest.mark.skip(reason="a var file, not an experiment")] if _is_var_file(path) else []
        )
        params.append(pytest.param(path, id=ident, marks=marks))
    return params


def _schema_example_params() -> list[Any]:
    files = sorted(p for p in SCHEMA_EXAMPLES.iterdir() if p.suffix in SUFFIXES)
    return [pytest.param(p, id=p.name) for p in files]


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(
        experiment_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _load(path: Path) -> Any:
    try:
        return load_source(str(path)).data
    except LoadError as exc:
        if path.is_relative_to(SCHEMA_EXAMPLES):
            raise
        pytest.skip(f"not loadable as an experiment mapping: {exc}")


def _parser_problems(data: Any) -> list[Problem]:
    try:
        parse_experiment(data)
    except ValidationError as exc:
        return exc.problems
    return []


def _schema_errors(data: Any) -> list[str]:
    errors = sorted(_validator().iter_errors(data), key=lambda e: e.json_path)
    return [f"{e.json_path}: {e.message}" for e in errors]


def _explain(problems: list[Problem], errors: list[str]) -> str:
    parser = "\n".join(f"  {p}" for p in problems) or "  (accepted)"
    schema = "\n".join(f"  {e}" for e in errors) or "  (accepted)"
    return f"\nparser:\n{parser}\nschema:\n{schema}"


@pytest.mark.parametrize("path", _example_params())
def test_schema_and_parser_agree(path: Path) -> None:
    data = _load(path)
    problems = _parser_problems(data)
    errors = _schema_errors(data)
    if not errors and problems and all(p.message.startswith(PARSER_ONLY_RULES) for p in problems):
        return  # a rule only the parser can check (see PARSER_ONLY_RULES)
    assert bool(problems) == bool(errors), "schema and parser disagree" + _explain(problems, errors)


@pytest.mark.parametrize("path", _schema_example_params())
def test_schema_example_verdict_matches_its_name(path: Path) -> None:
    assert path.name.startswith(("valid-", "invalid-")), "name it valid-* or invalid-*"
    data = _load(path)
    problems = _parser_problems(data)
    errors = _schema_errors(data)
    if path.name.startswith("valid-"):
        assert not problems, _explain(problems, errors)
        assert not errors, _explain(problems, errors)
    else:
        assert len(problems) == 1, "an invalid example breaks exactly one rule" + _explain(
            problems, errors
        )
        assert errors, _explain(problems, errors)


def test_there_are_enough_schema_examples() -> None:
    names = [p.name for p in SCHEMA_EXAMPLES.iterdir() if p.suffix in SUFFIXES]
    assert len(names) >= 25
    assert any(n.startswith("valid-") and n.endswith(".json") for n in names)
    assert any(n.startswith("valid-") and n.endswith(".yaml") for n in names)
    assert any(n.startswith("invalid-") and n.endswith(".json") for n in names)
    assert any(n.startswith("invalid-") and n.endswith(".yaml") for n in names)


def _minimal(**method_item: Any) -> dict[str, Any]:
    return {"title": "t", "description": "d", "method": [method_item]}


def _probe(tolerance: Any = None, **provider: Any) -> dict[str, Any]:
    probe: dict[str, Any] = {"type": "probe", "name": "p"}
    probe["provider"] = provider or {"type": "python", "module": "os", "func": "getpid"}
    if tolerance is not None:
        probe["tolerance"] = tolerance
    return _minimal(**probe)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_probe({"type": "jsonpath", "path": "$.a["}), id="jsonpath-syntax"),
        pytest.param(_probe({"type": "jsonpath", "path": "$.a", "count": 2.0}), id="count-2.0"),
        pytest.param(
            _probe(type="http", url="http://127.0.0.1:8080/", max_retries=1.0),
            id="max_retries-1.0",
        ),
    ],
)
def test_parser_only_rules_are_the_documented_gaps(data: dict[str, Any]) -> None:
    problems = _parser_problems(data)
    assert problems
    assert all(p.message.startswith(PARSER_ONLY_RULES) for p in problems)
    assert _schema_errors(data) == []


def test_schema_is_a_valid_2020_12_schema() -> None:
    schema = experiment_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_squall_schema_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    from squall.cli import main

    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == experiment_schema()


def test_experiment_schema_returns_a_fresh_copy() -> None:
    first = experiment_schema()
    first["title"] = "changed"
    assert experiment_schema()["title"] != "changed"


def _subschemas(node: Any, where: str = "#") -> list[tuple[str, Any]]:
    """Every (pointer, value) pair of the schema, depth first."""
    found = [(where, node)]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _subschemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _subschemas(value, f"{where}/{i}")
    return found


def test_every_property_has_a_description() -> None:
    missing = []
    for where, node in _subschemas(experiment_schema()):
        if not isinstance(node, dict):
            continue
        named = dict(node.get("properties", {}))
        if where.endswith(("/properties", "/$defs")):
            continue  # these are name -> schema maps, checked through their parent
        if {"if", "not"} & set(where.split("/")):
            continue  # conditions, not declarations
        named.update({f"$defs/{k}": v for k, v in node.get("$defs", {}).items()})
        if isinstance(node.get("additionalProperties"), dict):
            named["additionalProperties"] = node["additionalProperties"]
        for name, sub in named.items():
            text = sub.get("description") if isinstance(sub, dict) else None
            if not (isinstance(text, str) and text.strip()):
                missing.append(f"{where}/{name}")
    assert not missing, "no description: " + ", ".join(missing)
