"""squall's direct construction of plain YAML nodes gives what PyYAML's safe constructor
(with squall's timestamp and integer rules) gives: the same data, the same aliases, the
same errors."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from squall.experiment.limits import TooLongInteger
from squall.experiment.load import _yaml

_DOCUMENTS = [
    "a: &x [1, 2, {b: c}]\nd: *x\ne: 2001-12-14\nf: 0o17\ng: yes\nh: ~\ni: 1_000\nj: .inf\n",
    "k: 1:20\nl: 0x1F\nm: -.5e3\nn: 'quoted'\no: \"é\\u00e9\"\np: !!str 12\nq: 123" + "4" * 5000,
    "<<: {a: 1}\nb: 2\n",
    "base: &b {a: 1}\nderived:\n  <<: *b\n  c: 2\n",
    "&a [*a]",
    "? [1]\n: x\n",
    "!!set {a, b}\n",
    "x: !!binary aGVsbG8=\n",
    "!!omap [a: 1]",
    "a: !foo bar",
    "a: 1\na: 2\n",
    "- x\n- {}\n- []\n- null\n",
    "",
    "just text",
    "a: 1\nb: '1'\nc: 1\nd: \"1\"\ne: [1, '1', yes, 'yes', yes]\nf: {1: 1}\n",  # tags per form
]


def _pyyaml_loader() -> Any:
    _, squall_loader = _yaml()

    class Reference(yaml.CSafeLoader):
        pass

    for tag in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:int"):
        Reference.add_constructor(tag, squall_loader.yaml_constructors[tag])
    return Reference


def _load(text: str, loader: Any) -> tuple[str, Any]:
    try:
        return "ok", _shown(yaml.load(text, Loader=loader))
    except yaml.YAMLError as exc:
        return "error", str(exc)


def _shown(value: Any) -> Any:
    if isinstance(value, TooLongInteger):
        return ("too long", value.digits)
    if isinstance(value, dict):
        return {k: _shown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [v if v is value else _shown(v) for v in value]
    return value


@pytest.mark.parametrize("text", _DOCUMENTS)
def test_the_same_data_and_errors_as_pyyaml(text: str) -> None:
    _, squall_loader = _yaml()
    mine, reference = _load(text, squall_loader), _load(text, _pyyaml_loader())
    assert repr(mine) == repr(reference)


def test_an_alias_is_the_same_object() -> None:
    _, squall_loader = _yaml()
    data = yaml.load("a: &x {b: [1]}\nc: *x\n", Loader=squall_loader)
    assert data["a"] is data["c"]


def test_a_path_resolver_is_honoured_as_pyyaml_honours_it() -> None:
    """squall resolves each distinct scalar once per document, unless a path resolver
    makes the tag depend on where the node is."""
    _, squall_loader = _yaml()

    class WithPath(squall_loader):  # type: ignore[misc,valid-type]
        pass

    class Reference(_pyyaml_loader()):  # type: ignore[misc]
        pass

    for loader in (WithPath, Reference):
        loader.add_path_resolver("tag:yaml.org,2002:int", ["version"], yaml.ScalarNode)
    text = "version: '1'\nother: '1'\nnested: {version: '1'}\n"
    data = yaml.load(text, Loader=WithPath)
    assert data == yaml.load(text, Loader=Reference)
    assert data == {"version": 1, "other": "1", "nested": {"version": "1"}}
