"""``squall run`` without click (squall.cli.fast): the same parameters as click for every
option, the same outcome and messages, and a trivial run that imports nothing heavy."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import BuiltinFunctionType
from typing import Any

import click
import pytest

from squall.cli import fast
from squall.cli.app import cli
from squall.intervals import MAX_SECONDS, MIN_INTERVAL
from squall.providers.python import _from_signature, _from_text_signature

from sqharness import EXAMPLES


def _declared(command: click.Command) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """option -> (parameter, kind, choices) as click declares it (the defaults are
    compared by parsing, below)."""
    found: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    for param in command.params:
        if not isinstance(param, click.Option) or param.name in ("help", "version"):
            continue
        kind = _kind(param)
        choices = tuple(param.type.choices) if isinstance(param.type, click.Choice) else ()
        for opt in param.opts + param.secondary_opts:
            found[opt] = (str(param.name), kind, choices)
    return found


def _kind(param: click.Option) -> str:
    kind = param.type
    if param.is_flag:
        return "flag"
    if isinstance(kind, click.Path):
        if kind.exists:
            return "existing-file" if not kind.dir_okay else "existing-dir"
        return "file" if not kind.dir_okay else "dir" if not kind.file_okay else "value"
    if isinstance(kind, click.Choice):
        return "choice"
    if isinstance(kind, click.FloatRange):
        if (kind.min, kind.max) == (MIN_INTERVAL, MAX_SECONDS):
            return "interval"  # seconds between checks (squall.intervals)
        assert (kind.min, kind.max) == (0, 100)
        return "percent"
    if kind is click.FLOAT:
        return "float"
    return "multiple" if param.multiple else "value"


@pytest.mark.parametrize(
    ("command", "spec"),
    [(cli, fast.GLOBAL), (cli.commands["run"], fast.RUN)],
    ids=["global", "run"],
)
def test_the_fast_parser_knows_exactly_the_click_options(
    command: click.Command, spec: fast.Spec
) -> None:
    """An option added to click and not here fails this test (at run time the fast
    parser would hand such a command line to click, so nothing breaks meanwhile)."""
    assert _declared(command) == spec
    multiple = {p.name for p in command.params if getattr(p, "multiple", False)}
    assert multiple == set(fast._MULTIPLE) & {p.name for p in command.params}


@pytest.mark.parametrize(
    "args",
    [
        ["run", "a.json"],
        ["-v", "--log-format", "json", "run", "--journal-path=j.json", "a.json", "--var", "x=1"],
        ["run", "--var", "a=1", "--var", "b:int=2", "--no-history", "--fail-fast", "a.json", "b"],
        ["run", "--fail-fast-ratio", "50", "--hypothesis-frequency", "0.5", "--", "-x.json"],
        ["--settings", "s.yaml", "--no-version-check", "run", "--dry", "probes", "a.json"],
        ["run", "--report", "json:r.json", "--junit", "j.xml", "--history", "h.db", "a.json"],
        ["run", "-q", "--journal-dir", "out", "a.json", "dir/"],
    ],
)
def test_the_fast_parser_gives_click_s_parameters(args: list[str]) -> None:
    parsed = fast.parse(args)
    assert parsed is not None
    glob, params, given = parsed
    index = args.index("run")
    parent = cli.make_context("squall", args[:index], resilient_parsing=True)
    sub = cli.commands["run"].make_context("run", args[index + 1 :], parent=parent)
    assert params == sub.params
    assert glob == {k: v for k, v in parent.params.items() if k in fast.GLOBAL_DEFAULTS}
    assert given == {
        name
        for name in ("journal_path", "journal_dir")
        if sub.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT
    }


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--help"],
        ["-h", "run", "a.json"],
        ["run"],
        ["validate", "a.json"],
        ["run", "--dry", "everything", "a.json"],
        ["run", "--fail-fast-ratio", "101", "a.json"],
        ["run", "--hypothesis-frequency", "soon", "a.json"],
        ["run", "--var-file", "/nonexistent.json", "a.json"],
        ["run", "--journal-path", "/", "a.json"],
        ["run", "--no-history=yes", "a.json"],
        ["run", "--unknown", "a.json"],
        ["run", "a.json", "--var"],
        ["--change-dir", "/", "run", "a.json"],
        ["--verbose", "extra", "run", "a.json"],
    ],
)
def test_anything_unusual_is_left_to_click(args: list[str]) -> None:
    assert fast.parse(args) is None


def _both(args: list[str], tmp_path: Path, capfd: Any) -> list[tuple[int, str, str]]:
    """(exit code, stdout, stderr) without click, then through click alone."""
    from squall.cli import main

    results = []
    for through_click in (False, True):
        os.chdir(tmp_path)
        if through_click:
            try:
                code = cli.main(args=args, prog_name="squall", standalone_mode=False)
            except click.ClickException as exc:
                exc.show()
                code = 2
        else:
            code = main(args)
        out, err = capfd.readouterr()
        results.append((int(code or 0), out, err.replace(str(tmp_path), "TMP")))
    return results


def _normal(stderr: str) -> str:
    """Without what differs from run to run: the run id and the timings."""
    stderr = re.sub(r"run [0-9a-f]{12}", "run ID", stderr)
    return re.sub(r"\d+(\.\d+)? ms", "T ms", stderr)


@pytest.mark.parametrize(
    "extra",
    [
        ["--var", "nokey"],
        ["--report", "pdf-ish:x"],
        ["--plan"],
        ["--journal-path", "j.json", "--var", "marker=TMP/m"],
    ],
)
def test_same_outcome_and_messages_with_and_without_click(
    extra: list[str], tmp_path: Path, capfd: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SQUALL_HISTORY", "off")
    extra = [e.replace("TMP", str(tmp_path)) for e in extra]
    args = ["--settings", str(tmp_path / "s.yaml"), "run", str(EXAMPLES / "trivial.json"), *extra]
    fast_result, click_result = _both(args, tmp_path, capfd)
    assert (fast_result[0], fast_result[1]) == (click_result[0], click_result[1])
    assert _normal(fast_result[2]) == _normal(click_result[2])


def test_a_suite_with_journal_path_gets_click_s_usage_message(
    tmp_path: Path, capfd: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SQUALL_HISTORY", "off")
    args = ["run", "--journal-path", "j.json", str(EXAMPLES / "trivial.json")] * 1
    args += [str(EXAMPLES / "trivial.yaml")]
    fast_result, click_result = _both(args, tmp_path, capfd)
    assert fast_result == click_result
    assert fast_result[0] == 2 and "Usage: squall run" in fast_result[2]


def _modules_a_run_imports(tmp_path: Path, experiment: Path) -> tuple[int, set[str]]:
    """The exit code of ``squall run experiment`` through ``main`` in a fresh interpreter,
    and the modules the run imported. What the interpreter imported before squall (site,
    .pth files of the venv) is not squall's doing: only what the run adds counts."""
    code = (
        "import json, sys; before = set(sys.modules); from squall.cli import main; "
        f"rc = main(['--settings', {str(tmp_path / 's.yaml')!r}, 'run', '--journal-path', "
        f"{str(tmp_path / 'j.json')!r}, {str(experiment)!r}]); "
        "print(json.dumps([rc, sorted(set(sys.modules) - before)]))"
    )
    env = {**os.environ, "SQUALL_HISTORY": str(tmp_path / "h.sqlite3")}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    rc, imported = json.loads(done.stdout.splitlines()[-1])
    return rc, set(imported)


def test_a_run_imports_neither_click_nor_other_heavy_modules(tmp_path: Path) -> None:
    rc, imported = _modules_a_run_imports(tmp_path, EXAMPLES / "trivial.json")
    heavy = {"click", "inspect", "dataclasses", "pathlib", "httpx", "yaml", "uuid", "typing"}
    # the run history without the sqlite3 package's datetime adapters; notifications and
    # kept reports only when the settings or the command line ask for them
    heavy |= {"sqlite3", "datetime", "squall.notifications", "squall.cli.reports_kept"}
    # parallel groups, background and continuous activities, controls' probes: when used
    heavy |= {"squall.engine.parallel", "squall.engine.background", "squall.engine.sideprobe"}
    assert (rc, heavy & imported) == (0, set())
    assert "_sqlite3" in imported  # the run was recorded in the history
    journal = json.loads((tmp_path / "j.json").read_text())
    assert journal["status"] == "completed"


def test_the_python_api_imports_no_more_than_the_command(tmp_path: Path) -> None:
    """An in-process run through the Python API (``squall.run_experiment``, recorded in a
    history) imports nothing heavy either: session 9 saw in-process runs import click,
    typing, inspect, uuid and platform, which the command did not."""
    code = (
        "import json, sys; before = set(sys.modules); import squall; "
        f"j = squall.run_experiment({str(EXAMPLES / 'trivial.json')!r}, "
        f"run_options=squall.RunOptions(history={str(tmp_path / 'h.sqlite3')!r})); "
        "print(json.dumps([j.outcome, sorted(set(sys.modules) - before)]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    outcome, imported = json.loads(done.stdout.splitlines()[-1])
    heavy = {"click", "inspect", "dataclasses", "pathlib", "uuid", "typing", "platform", "yaml"}
    assert (outcome, heavy & set(imported)) == ("held", set())
    assert "_sqlite3" in imported  # the run was recorded


@pytest.mark.parametrize("kwargs", ["", ", **kwargs"])
def test_a_run_with_a_control_imports_no_chaoslib_stand_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kwargs: str
) -> None:
    """A control costs no uuid, platform, hashlib, logging or json (about 30 ms at load):
    one that asks for no event registry (no ``configure_control`` taking
    ``event_registry`` or ``**kwargs``) not even the stand-in chaoslib; one that does gets
    the registry without them. Its hooks run."""
    (tmp_path / "ctl_marker.py").write_text(
        "import os\n"
        f"def configure_control(configuration=None, settings=None{kwargs}):\n"
        "    os.environ['CTL_SEEN'] = '1'\n"
        "def after_experiment_control(context, state, **kwargs):\n"
        "    open(os.environ['CTL_OUT'], 'w').write(os.environ.get('CTL_SEEN', ''))\n"
    )
    experiment = json.loads((EXAMPLES / "trivial.json").read_text())
    experiment["controls"] = [
        {"name": "marker", "provider": {"type": "python", "module": "ctl_marker"}}
    ]
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    monkeypatch.setenv("CTL_OUT", str(tmp_path / "seen.txt"))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    rc, imported = _modules_a_run_imports(tmp_path, tmp_path / "e.json")
    heavy = {"uuid", "platform", "hashlib", "logging", "json"}
    assert (rc, heavy & imported) == (0, set())
    assert ("squall.compat.chaoslib" in imported) == bool(kwargs)
    assert (tmp_path / "seen.txt").read_text() == "1"  # both hooks ran


def test_a_process_activity_imports_neither_typing_nor_shutil(tmp_path: Path) -> None:
    experiment = {
        "title": "a process",
        "description": "one process activity",
        "method": [
            {
                "type": "action",
                "name": "true",
                "provider": {"type": "process", "path": "true", "arguments": []},
            }
        ],
    }
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    rc, imported = _modules_a_run_imports(tmp_path, tmp_path / "e.json")
    heavy = {"click", "typing", "shutil", "bz2", "lzma", "subprocess"}
    assert (rc, heavy & imported) == (0, {"subprocess"})
    journal = json.loads((tmp_path / "j.json").read_text())
    assert journal["run"][0]["output"]["status"] == 0


def test_builtin_signatures_read_without_inspect_agree_with_inspect() -> None:
    import math
    import os as os_module
    import select
    import signal
    import time

    compared = 0
    for module in (os_module, time, math, signal, select, __builtins__):
        names = module if isinstance(module, dict) else vars(module)
        for func in list(names.values()):
            if type(func) is not BuiltinFunctionType:
                continue
            quick = _from_text_signature(func)
            if quick is None:
                continue
            full = _from_signature(func)
            compared += 1
            assert (quick.params, quick.required) == (full.params, full.required), func
            assert quick.wants_configuration == full.wants_configuration
    assert compared > 100


def test_control_parameters_read_without_inspect_agree_with_inspect() -> None:
    import functools
    import inspect

    from squall.hooks.controls import _parameters

    def plain(a, b=1, *, c, d=2): ...  # type: ignore[no-untyped-def]
    def varargs(a, /, b, *args, c=3, **kwargs): ...  # type: ignore[no-untyped-def]
    def nothing(): ...  # type: ignore[no-untyped-def]

    @functools.wraps(plain)
    def wrapped(*args, **kwargs): ...  # type: ignore[no-untyped-def]

    for func in (plain, varargs, nothing, wrapped, print, functools.partial(plain, 1)):
        params = inspect.signature(func).parameters
        expected = frozenset(params), any(p.kind is p.VAR_KEYWORD for p in params.values())
        assert _parameters(func) == expected, func
