"""The documentation's examples are real.

- Every experiment file under ``docs/examples/`` and every fenced ``json``/``yaml`` block in
  ``docs/**/*.md`` whose top level has a ``method`` list passes ``squall validate`` (exit 0).
  A block preceded by ``<!-- invalid -->`` is meant to be wrong and must exit 2.
- Every file under ``docs/examples/`` whose name does not start with ``needs-`` runs with
  ``squall run`` and exits with the code the documentation gives it (``EXPECTED_EXIT``).
  ``needs-http-server.json`` also runs, against a loopback server started here.
- ``mkdocs build --strict`` succeeds.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from squall.cli import main

from sqharness import run_streams

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"
SUFFIXES = (".json", ".yaml", ".yml")

#: The exit code each runnable example has, as the documentation says.
EXPECTED_EXIT = {
    "activities.json": 0,
    "broken-action.json": 3,
    "builtin-controls.json": 0,
    "configuration-and-secrets.yaml": 0,
    "continuous.json": 0,
    "control-flow.json": 0,
    "control-flow-abort.json": 3,
    "controls.json": 0,
    "first-experiment.json": 0,
    "first-experiment.yaml": 0,
    "gate-not-met.json": 4,
    "lock-file-deviates.json": 1,
    "masked-secrets.json": 4,
    "minimal.json": 0,
    "parallel-and-outputs.json": 0,
    "runtime-always-rollback.json": 4,
    "timeouts.json": 3,
    "tolerances.yaml": 0,
    "watched-file.json": 0,
}

#: Environment variables the examples read; unset so the defaults apply.
EXAMPLE_ENV = ("BILLING_PORT", "HEALTH_BASE_URL")

_FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>[A-Za-z0-9_-]*)\s*$")
_INVALID_MARK = "<!-- invalid -->"


def example_files() -> list[Path]:
    return sorted(p for p in EXAMPLES.iterdir() if p.suffix in SUFFIXES)


def runnable_examples() -> list[Path]:
    return [p for p in example_files() if not p.name.startswith("needs-")]


@dataclass(frozen=True)
class Block:
    """A fenced code block of a markdown page."""

    page: Path
    line: int
    lang: str
    text: str
    invalid: bool

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(DOCS)}:{self.line}"

    @property
    def suffix(self) -> str:
        return ".json" if self.lang == "json" else ".yaml"


def fenced_blocks(page: Path) -> Iterator[Block]:
    """Every fenced block of a page, with whether an ``<!-- invalid -->`` line precedes it."""
    lines = page.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None or not opening.group("lang"):
            index += 1
            continue
        indent = opening.group("indent")
        previous = next((ln.strip() for ln in reversed(lines[:index]) if ln.strip()), "")
        body: list[str] = []
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            line = lines[end]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            end += 1
        yield Block(
            page=page,
            line=index + 1,
            lang=opening.group("lang"),
            text="\n".join(body) + "\n",
            invalid=previous == _INVALID_MARK,
        )
        index = end + 1


def _parse(block: Block) -> Any:
    try:
        return json.loads(block.text) if block.lang == "json" else yaml.safe_load(block.text)
    except (ValueError, yaml.YAMLError):
        return None


def _looks_like_experiment(block: Block) -> bool:
    """A top-level ``method`` list, or text that clearly tries to be one."""
    data = _parse(block)
    if data is not None:
        return isinstance(data, dict) and isinstance(data.get("method"), list)
    if "--8<--" in block.text:
        return False  # a snippet include: the included file is checked on its own
    if block.lang == "json":
        return re.search(r'"method"\s*:\s*\[', block.text) is not None
    return re.search(r"^method:", block.text, re.MULTILINE) is not None


def experiment_blocks() -> list[Block]:
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        for block in fenced_blocks(page):
            if block.lang not in ("json", "yaml", "yml"):
                continue
            if block.invalid or _looks_like_experiment(block):
                found.append(block)
    return found


def squall(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run the squall CLI in-process; returns (exit code, stderr)."""
    code = main(list(args))
    return code, capsys.readouterr().err


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No inherited example variables, no user settings; the cwd is a fresh directory;
    the examples' control module is importable (as with PYTHONPATH=. in docs/examples)."""
    for name in EXAMPLE_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.delenv("SQUALL_SETTINGS", raising=False)
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return tmp_path / "no-settings.yaml"


# --- the inventory ---------------------------------------------------------------------------


def test_there_are_examples_and_blocks() -> None:
    assert len(example_files()) >= 10
    blocks = experiment_blocks()
    assert any(b.invalid for b in blocks), "the invalid example of getting-started.md"


def test_every_runnable_example_has_a_documented_exit_code() -> None:
    assert sorted(EXPECTED_EXIT) == [p.name for p in runnable_examples()]


def test_every_example_is_shown_in_the_docs() -> None:
    pages = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.rglob("*.md"))
    for path in example_files():
        assert f"docs/examples/{path.name}" in pages, f"{path.name} is not included anywhere"


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.name)
def test_example_file_validates(
    path: Path, clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = squall(capsys, "--settings", str(clean_env), "validate", str(path))
    assert code == 0, err


@pytest.mark.parametrize("block", experiment_blocks(), ids=lambda b: b.id)
def test_fenced_experiment_validates(
    block: Block, clean_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / f"block{block.suffix}"
    path.write_text(block.text, encoding="utf-8")
    code, err = squall(capsys, "--settings", str(clean_env), "validate", str(path))
    if block.invalid:
        assert code == 2, f"{block.id} is marked invalid but validates:\n{err}"
        assert "Traceback" not in err
    else:
        assert code == 0, f"{block.id}:\n{err}"


# --- runs ------------------------------------------------------------------------------------


def _run(
    capsys: pytest.CaptureFixture[str], settings: Path, tmp_path: Path, path: Path, *extra: str
) -> tuple[int, str, dict[str, Any]]:
    journal = tmp_path / "journal.json"
    code, err = squall(
        capsys,
        "--settings",
        str(settings),
        "run",
        "--journal-path",
        str(journal),
        str(path),
        *extra,
    )
    assert journal.exists(), f"no journal:\n{err}"
    assert not Path(f"{journal}.events.jsonl").exists(), "the event file is removed at the end"
    assert run_streams() == [], "nothing is left to recover"
    return code, err, json.loads(journal.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", runnable_examples(), ids=lambda p: p.name)
def test_example_runs_with_its_documented_exit_code(
    path: Path, clean_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = EXPECTED_EXIT[path.name]
    code, err, journal = _run(capsys, clean_env, tmp_path, path)
    assert code == expected, err
    assert journal["squall"]["exit_code"] == expected
    assert list(Path.cwd().iterdir()) == [], "examples clean up after themselves"


def test_first_experiment_cleans_up(
    clean_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("first-experiment.json", "first-experiment.yaml", "lock-file-deviates.json"):
        _run(capsys, clean_env, tmp_path, EXAMPLES / name)
        assert not (Path.cwd() / "squall-tutorial.lock").exists(), name


def test_deviation_plays_the_rollback(
    clean_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err, journal = _run(capsys, clean_env, tmp_path, EXAMPLES / "lock-file-deviates.json")
    assert code == 1
    assert journal["deviated"] is True
    assert [r["activity"]["name"] for r in journal["rollbacks"]] == ["remove-lock-file"]
    assert "DEVIATED (exit 1)" in err


def test_gate_not_met_injects_nothing(
    clean_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, journal = _run(capsys, clean_env, tmp_path, EXAMPLES / "gate-not-met.json")
    assert journal["run"] == [] and journal["rollbacks"] == []
    _, _, journal = _run(capsys, clean_env, tmp_path, EXAMPLES / "runtime-always-rollback.json")
    assert [r["activity"]["name"] for r in journal["rollbacks"]] == ["always-played"]


def test_timeouts_are_activity_timeouts(
    clean_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, journal = _run(capsys, clean_env, tmp_path, EXAMPLES / "timeouts.json")
    for entry in journal["run"]:
        assert entry["status"] == "failed"
        assert "ActivityTimeout" in "".join(entry["exception"])
        assert entry["duration"] < 2


def test_activities_example_runs_background_ref_and_dry(
    clean_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, journal = _run(capsys, clean_env, tmp_path, EXAMPLES / "activities.json")
    names = [r["activity"]["name"] for r in journal["run"]]
    assert names == [
        "load-in-background-1",
        "load-in-background-2",
        "read-clock",
        "read-clock",
        "not-executed",
    ]
    assert journal["run"][-1]["output"] is None


def test_stop_file_control_interrupts_the_run(
    clean_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (Path.cwd() / "STOP").touch()
    code, err, journal = _run(capsys, clean_env, tmp_path, EXAMPLES / "controls.json")
    assert code == 130, err
    assert journal["status"] == "interrupted"
    assert journal["interruption"]["name"] == "stop-file"
    assert journal["run"] == []
    assert "stop-file control: the run ended interrupted" in err


def test_stop_file_control_as_a_control_file(
    clean_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    control_file = tmp_path / "stop-file.yaml"
    control_file.write_text(
        "stop-file:\n"
        "  provider:\n"
        "    type: python\n"
        "    module: stop_file_control\n"
        "    arguments:\n"
        "      stop_file: STOP\n",
        encoding="utf-8",
    )
    (Path.cwd() / "STOP").touch()
    path = EXAMPLES / "first-experiment.json"
    code, err, journal = _run(
        capsys, clean_env, tmp_path, path, "--control-file", str(control_file)
    )
    assert code == 130, err
    assert journal["interruption"]["name"] == "stop-file"


@pytest.fixture
def health_server(tmp_path: Path) -> Iterator[str]:
    """A loopback HTTP server serving health.json, as the providers page describes."""
    www = tmp_path / "www"
    www.mkdir()
    (www / "health.json").write_text('{"status": "ok", "replicas": 3}\n', encoding="utf-8")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(www))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_http_example_runs_against_a_loopback_server(
    health_server: str, clean_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = EXAMPLES / "needs-http-server.json"
    code, err, journal = _run(
        capsys, clean_env, tmp_path, path, "--var", f"base_url={health_server}"
    )
    assert code == 0, err
    probes = journal["steady_states"]["before"]["probes"]
    assert probes[1]["output"]["body"] == {"status": "ok", "replicas": 3}
    assert journal["run"][0]["output"]["status"] == 404


# --- the site --------------------------------------------------------------------------------


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    mkdocs = Path(sys.executable).parent / "mkdocs"
    assert mkdocs.exists(), f"mkdocs is not installed beside {sys.executable}"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [str(mkdocs), "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "index.html").exists()


def test_control_flow_example_retries_waits_and_kills(
    clean_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err, journal = _run(capsys, clean_env, tmp_path, EXAMPLES / "control-flow.json")
    assert code == 0, err
    runs = {r["activity"]["name"]: r for r in journal["run"]}
    collect = runs["collect-job-result"]
    assert collect["status"] == "succeeded"
    assert len(collect["squall"]["attempts"]) > 1
    assert "FileNotFoundError" in collect["squall"]["attempts"][0]["error"]
    alert = runs["alert-appears-within-10s"]["squall"]["wait_until"]
    assert alert["held"] is True and alert["polls"] > 1
    hung = runs["hung-driver-call"]
    assert hung["status"] == "failed" and hung["squall"]["excused"] is True
    assert "was killed" in hung["exception"][0]


def test_control_flow_abort_example_stops_the_method(
    clean_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err, journal = _run(capsys, clean_env, tmp_path, EXAMPLES / "control-flow-abort.json")
    assert code == 3, err
    assert journal["status"] == "aborted"
    assert [r["activity"]["name"] for r in journal["run"]] == ["inject-the-fault"]
    assert journal["steady_states"]["after"] is None
    assert [r["activity"]["name"] for r in journal["rollbacks"]] == ["undo-the-fault"]
