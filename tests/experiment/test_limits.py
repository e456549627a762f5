"""Input limits: each bad input is a LoadError (exit 2) with a JSON pointer and line:column.

The inputs are those of issue 10 ("what was seen", items 10 and 11), each of which crashed
squall (exit 3), hung it, or passed validation and broke the run.
"""

from __future__ import annotations

import json
import time

import pytest

from squall.errors import InputError, LoadError
from squall.experiment import load_source, parse_text
from squall.experiment.limits import MAX_SECONDS, Limits, seconds
from squall.experiment.load import nesting_position

HEAD = '{"title": "t", "description": "d", "method": [], '


def refused(text: str, name: str = "x.json", limits: Limits | None = None) -> LoadError:
    with pytest.raises(LoadError) as caught:
        parse_text(text, name, limits=limits)
    assert caught.value.exit_code == 2
    assert caught.value.problems, "a limit problem names its place"
    return caught.value


def test_deep_json_beyond_the_parsers_stack_is_located() -> None:
    text = HEAD + '"configuration": {"x": ' + "[" * 5000 + "]" * 5000 + "}}"
    problem = refused(text).problems[0]
    assert "nesting deeper than 100 levels" in problem.message
    column = text.index("[" * 5000) + 1 + (100 - 2)  # level 1 is {, level 2 {configuration
    assert (problem.line, problem.column) == (1, column)


def test_deep_but_parseable_nesting_names_its_pointer() -> None:
    problem = refused(HEAD + '"configuration": {"x": ' + "[" * 150 + "]" * 150 + "}}").problems[0]
    assert problem.pointer == "/configuration/x" + "/0" * 98  # the container at level 101
    assert problem.line == 1 and problem.column is not None


def test_the_depth_limit_can_be_raised() -> None:
    text = HEAD + '"configuration": {"x": ' + "[" * 150 + "]" * 150 + "}}"
    assert parse_text(text, "x.json", limits=Limits(depth=200)).data["title"] == "t"


def test_yaml_billion_laughs_is_refused_quickly_and_located() -> None:
    text = 'title: t\ndescription: d\nmethod: []\nconfiguration:\n  a: &a ["lol","lol","lol"]\n'
    previous = "a"
    for name in "bcdefghijklmnopqrs":  # 10 levels hung validate; this is 3^19 ~ 10^9 values
        text += f"  {name}: &{name} [{', '.join(['*' + previous] * 3)}]\n"
        previous = name
    started = time.perf_counter()
    problem = refused(text, "x.yaml").problems[0]
    assert time.perf_counter() - started < 2
    assert "limit 1,000,000" in problem.message and "aliases" in problem.message
    assert problem.pointer == "/configuration/m"  # 3^13 > 10^6: the first key alone above
    assert problem.line == 17 and problem.column == 6


def test_aliases_below_the_limit_are_fine() -> None:
    text = "title: t\ndescription: d\nmethod: []\nconfiguration:\n  a: &a [1, 2]\n  b: [*a, *a]\n"
    assert parse_text(text, "x.yaml").data["configuration"]["b"] == [[1, 2], [1, 2]]
    with pytest.raises(LoadError, match="expands to 15 values"):
        parse_text(text, "x.yaml", limits=Limits(nodes=12))


def test_a_self_referencing_alias_is_a_cycle() -> None:
    problem = refused("title: t\nconfiguration:\n  x: &a [*a]\n", "x.yaml").problems[0]
    assert problem.pointer == "/configuration/x/0"
    assert "refers to a node that contains it" in problem.message
    assert (problem.line, problem.column) == (3, 6)


def test_keys_must_be_text() -> None:
    error = refused("title: t\n1: x\nconfiguration:\n  on: yes\n  null: 2\n", "x.yaml")
    where = [(p.pointer, p.line) for p in error.problems]
    assert where == [("/1", 2), ("/configuration/true", 4), ("/configuration/null", 5)]
    assert "quote the key" in error.problems[0].hint


@pytest.mark.parametrize(
    ("literal", "found"),
    [("NaN", "nan"), ("Infinity", "inf"), ("-Infinity", "-inf"), ("1e999", "inf")],
)
def test_non_finite_numbers_are_refused_everywhere(literal: str, found: str) -> None:
    text = HEAD.replace('"method": [], ', f'"method": [], "runtime": {{"timeout": {literal}}}}}')
    problem = refused(text).problems[0]
    assert problem.pointer == "/runtime/timeout"
    assert problem.message == f"a number must be finite, found {found}"
    assert problem.line == 1 and problem.column == text.index(literal) + 1


@pytest.mark.parametrize(
    "literal", [".nan", ".inf", "-.inf", "1.0e+999"]
)  # YAML 1.1: 1e999 is text
def test_non_finite_yaml_numbers_are_refused(literal: str) -> None:
    text = f"title: t\nmethod:\n- name: a\n  pauses:\n    after: {literal}\n"
    problem = refused(text, "x.yaml").problems[0]
    assert (problem.pointer, problem.line) == ("/method/0/pauses/after", 5)


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_integers_longer_than_pythons_limit(fmt: str) -> None:
    digits = "9" * 5000
    text = HEAD + f'"configuration": {{"x": {digits}}}}}' if fmt == "json" else f"x: {digits}\n"
    problem = refused(text, f"x.{fmt}").problems[0]
    assert problem.message == "an integer of 5000 digits is too long (limit 4300)"
    assert problem.pointer == ("/configuration/x" if fmt == "json" else "/x")


def test_integers_at_the_limit_are_kept() -> None:
    text = HEAD + '"configuration": {"x": ' + "9" * 4300 + "}}"
    assert parse_text(text, "x.json").data["configuration"]["x"] == int("9" * 4300)


def test_a_lone_surrogate_is_refused_with_its_place() -> None:
    text = HEAD + '"configuration": {"x": "a\\ud800b", "k\\udfff": 1}}'
    error = refused(text)
    assert [p.pointer for p in error.problems] == ["/configuration/k\\udfff", "/configuration/x"]
    assert error.problems[1].column == text.index('"a\\ud800') + 1
    assert "lone surrogate" in error.problems[0].message


def test_a_paired_surrogate_escape_is_a_character() -> None:
    document = parse_text(HEAD + '"configuration": {"x": "\\ud83d\\ude00"}}', "x.json")
    assert document.data["configuration"]["x"] == "\U0001f600"


def test_yaml_dates_stay_text_and_other_types_are_refused() -> None:
    document = parse_text("title: t\nsince: 2024-01-02\nwhen: 2024-01-02 10:00:00\n", "x.yaml")
    assert document.data["since"] == "2024-01-02"
    assert document.data["when"] == "2024-01-02 10:00:00"
    error = refused("title: t\nblob: !!binary aGVsbG8=\nset: !!set {a, b}\n", "x.yaml")
    assert [p.pointer for p in error.problems] == ["/blob", "/set"]
    assert "bytes cannot be used" in error.problems[0].message


def test_a_file_larger_than_the_limit_is_not_read_whole(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "big.json"
    path.write_text(HEAD + '"x": "' + "a" * 2000 + '"}')
    with pytest.raises(LoadError) as caught:
        load_source(str(path), limits=Limits(document_bytes=1000))
    assert "larger than 1,000 bytes" in caught.value.problems[0].message


def test_invalid_utf8_is_located(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "bad.yaml"
    path.write_bytes(b"title: t\ndescription: \xff\n")
    with pytest.raises(LoadError) as caught:
        load_source(str(path))
    problem = caught.value.problems[0]
    assert (problem.line, problem.column) == (2, 14)


def test_limits_come_from_settings_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Limits.resolve({}) == Limits()
    assert Limits.resolve({"limits": {"depth": 200, "nodes": 5}}) == Limits(depth=200, nodes=5)
    monkeypatch.setenv("SQUALL_LIMIT_DEPTH", "300")
    assert Limits.resolve({"limits": {"depth": 200}}).depth == 300
    monkeypatch.setenv("SQUALL_LIMIT_DEPTH", "501")
    with pytest.raises(InputError, match="cannot be raised above 500"):
        Limits.resolve()
    monkeypatch.setenv("SQUALL_LIMIT_DEPTH", "ten")
    with pytest.raises(InputError, match=r"\$SQUALL_LIMIT_DEPTH must be a positive whole number"):
        Limits.resolve()
    monkeypatch.delenv("SQUALL_LIMIT_DEPTH")
    with pytest.raises(InputError, match="unknown limit deep: "):  # one: no "limit(s)"
        Limits.resolve({"limits": {"deep": 3}})
    with pytest.raises(InputError, match="unknown limits deep, wide: "):
        Limits.resolve({"limits": {"deep": 3, "wide": 4}})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nan", "0 to 31,622,400 seconds"),
        (float("inf"), "0 to 31,622,400"),
        (10**400, "0 to 31,622,400"),
        ("1e999", "0 to 31,622,400"),
        (-1, "0 to 31,622,400"),
        ("soon", 'found "soon"'),
        (True, "found a boolean"),
    ],
)
def test_run_time_durations_are_checked(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        seconds(value)
    assert seconds("2.5") == 2.5 and seconds(MAX_SECONDS) == MAX_SECONDS


def test_durations_above_a_year_are_refused_by_validation() -> None:
    from squall.errors import ValidationError
    from squall.experiment import parse_experiment

    activity = {"type": "action", "name": "a", "provider": {"type": "process", "path": "true"}}
    data = json.loads(HEAD + '"runtime": {"timeout": 1}}')
    data["method"] = [{**activity, "timeout": 10**400, "pauses": {"after": 4e7}}]
    with pytest.raises(ValidationError) as caught:
        parse_experiment(data)
    pointers = sorted(p.pointer for p in caught.value.problems)
    assert pointers == ["/method/0/pauses/after", "/method/0/timeout"]


def test_nesting_position_skips_strings() -> None:
    assert nesting_position('{"a": "[[[[", "b": [[1]]}', 2) == (1, 21)
    assert nesting_position('{"a": "\\"[[["}', 1) == (None, None)


def test_json_positions_do_not_depend_on_yaml() -> None:
    """YAML cannot compose every JSON text (``\\/`` escapes, tabs): JSON is read as JSON."""
    from squall.experiment._jsonpos import json_position

    text = '{"u": "a\\/b",\t"method": [1, {"x": [true, 9' + "9" * 5000 + ', "k"]}]}'
    assert json_position(text, ["method", "1", "x", "2"]) == (1, text.index('"k"') + 1)
    assert json_position(text, ["method", "7"]) == (1, text.index("[1") + 1)  # the parent
    assert json_position(text, ["nope", "x"]) == (1, 1)
    assert json_position('{"a": 1, "a": 2}', ["a"]) == (1, 15)  # the last one, as json.loads
    text = '{"title": "t\\/",\t"method": [], "x": NaN}'
    error = refused(text)
    assert (error.problems[0].line, error.problems[0].column) == (1, text.index("NaN") + 1)


def test_a_control_character_in_yaml_is_located() -> None:
    with pytest.raises(LoadError) as caught:
        parse_text("title: ééé\x00\n", "x.yaml")
    problem = caught.value.problems[0]
    assert (problem.line, problem.column) == (1, 11)
    assert "unacceptable character #x0000" in problem.message


def test_var_files_and_control_files_have_the_same_limits(squall: object, tmp_path: object) -> None:
    from pathlib import Path
    from typing import Any

    run: Any = squall
    folder = Path(str(tmp_path))
    experiment = folder / "e.json"
    experiment.write_text(HEAD.rstrip(", ") + "}")
    laughs = "configuration:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for name, previous in zip("bcdefg", "abcdef", strict=True):
        laughs += f"  {name}: &{name} [{', '.join(['*' + previous] * 10)}]\n"
    (folder / "vars.yaml").write_text(laughs)
    result = run("validate", "--var-file", "vars.yaml", str(experiment))
    assert result.code == 2 and "Traceback" not in result.stderr
    assert "vars.yaml:7:6 at /configuration/f: the document expands to" in result.stderr
    (folder / "controls.json").write_text('{"controls": [{"name": "c", "x": NaN}]}')
    result = run("run", "--control-file", "controls.json", str(experiment))
    assert result.code == 2 and "controls.json:1:34 at /controls/0/x" in result.stderr


def test_fuzz_findings_an_output_index_and_a_repeat_count_too_large() -> None:
    """Two inputs the fuzz campaign found: an ${outputs...} index of 5000 digits crashed
    validate (int() refuses it), and a repeat_count of 10^400 hung the dry run."""
    from squall.api import validate_document
    from squall.errors import ValidationError

    python = {"type": "python", "module": "os", "func": "getpid"}
    repeat = {"name": "r", "provider": {"type": "python", "module": "squall.controls.repeat",
                                        "arguments": {"repeat_count": 10**400}}}  # fmt: skip
    method = [
        {"type": "action", "name": "a", "provider": python, "controls": [repeat]},
        {"type": "action", "name": "b", "provider": {**python, "func": "getenv",
                                                     "arguments": {"key": "${outputs.a[" + "9" * 5000 + "]}"}}},
    ]  # fmt: skip
    text = json.dumps({"title": "t", "description": "d", "method": method})
    with pytest.raises(ValidationError) as caught:
        validate_document(parse_text(text, "x.json"))
    messages = [p.message for p in caught.value.problems]
    assert len(messages) == 2, messages
    assert "'repeat_count' must be a whole number, 0 to 100,000, found 1000000" in messages[0]
    assert "the index 999999999999... is too large" in messages[1]


def test_settings_with_an_alias_bomb_or_a_cycle_are_refused(
    squall: object, tmp_path: object
) -> None:
    """The settings are the user's own, so only their shape is limited (a YAML 1.1 key
    such as ``on:`` there stays accepted); a cycle or a bomb would blow up what walks them."""
    from pathlib import Path
    from typing import Any

    run: Any = squall
    folder = Path(str(tmp_path))
    experiment = folder / "e.json"
    experiment.write_text(HEAD.rstrip(", ") + "}")
    settings = folder / "settings.yaml"
    settings.write_text("on: 1\nauths: {}\n")
    assert run("validate", str(experiment)).code == 0
    settings.write_text("auths: {}\nloop: &a [*a]\n")
    for command in (["validate", str(experiment)], ["settings", "show"]):
        result = run(*command)
        assert result.code == 2 and "Traceback" not in result.stderr
        assert f"settings {settings} at /loop/0: a YAML alias refers to" in result.stderr


def test_a_url_is_not_read_past_the_size_limit() -> None:
    """A server that sends more than the limit (here: without end) is cut off."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Endless(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            try:
                self.wfile.write(b'{"title": "' + b"a" * 4096)
                for _ in range(100_000):  # 400 MB if nobody stopped reading
                    self.wfile.write(b"a" * 4096)
            except OSError:
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endless)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/e.json"
        with pytest.raises(LoadError) as caught:
            load_source(url, limits=Limits(document_bytes=100_000))
        assert "larger than 100,000 bytes" in caught.value.problems[0].message
    finally:
        server.shutdown()
        server.server_close()
