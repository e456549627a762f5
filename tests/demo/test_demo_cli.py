"""The ``demo`` click group and ``python -m squall.demo``; up/down leave nothing behind."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from demo_support import private_dir

from squall.demo import down, status, up
from squall.demo.cli import default_state_dir, demo
from squall.demo.procs import is_alive


def test_up_status_reload_down() -> None:
    with private_dir() as tmp_path:
        _up_status_reload_down(str(tmp_path / "state"))


def _up_status_reload_down(state: str) -> None:
    runner = CliRunner()
    pids: list[int] = []
    try:
        result = runner.invoke(demo, ["up", "--base-port", "0", "--state-dir", state, "--json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        pids = list(data["pids"].values())
        assert all(is_alive(pid) for pid in pids)

        result = runner.invoke(demo, ["status", "--json", "--state-dir", state])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["healthy"] is True

        again = runner.invoke(demo, ["up", "--base-port", "0", "--state-dir", state])
        assert again.exit_code == 3 and "already running" in again.output

        result = runner.invoke(demo, ["reload", "--state-dir", state])
        assert result.exit_code == 0 and "api" in result.output

        _vars_are_made_from_the_running_demo(runner, state, data)
    finally:
        result = runner.invoke(demo, ["down", "--state-dir", state])
    assert result.exit_code == 0, result.output
    assert not [pid for pid in pids if is_alive(pid)]
    assert not list(Path(state).glob("*.pid"))
    result = runner.invoke(demo, ["status", "--state-dir", state])
    assert result.exit_code == 1 and "stopped" in result.output
    assert runner.invoke(demo, ["down", "--state-dir", state]).exit_code == 0


def _vars_are_made_from_the_running_demo(
    runner: CliRunner, state: str, data: dict[str, object]
) -> None:
    """``squall demo vars`` prints the var file; ``--output`` writes it with mode 0600."""
    printed = runner.invoke(demo, ["vars", "--state-dir", state])
    assert printed.exit_code == 0, printed.output
    variables = json.loads(printed.stdout)
    assert set(variables) == {"configuration", "secrets"}
    configuration = variables["configuration"]
    assert configuration["api_url"] == data["api_url"]
    assert configuration["api_port"] == data["ports"]["api"]  # type: ignore[index]
    assert configuration["python"] == sys.executable
    assert configuration["unexpected_port"] != configuration["auth_proxy_port"]
    tokens = variables["secrets"]
    assert tokens["demo"]["valid_token"].startswith("sq1.")
    assert tokens["revocable"]["token"] != tokens["demo"]["valid_token"]
    out = Path(state).parent / "demo-vars.json"
    written = runner.invoke(demo, ["vars", "--state-dir", state, "--output", str(out)])
    assert written.exit_code == 0, written.output
    assert out.stat().st_mode & 0o777 == 0o600
    assert json.loads(out.read_text())["configuration"]["api_url"] == data["api_url"]


def test_vars_without_a_demo_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(demo, ["vars", "--state-dir", str(tmp_path)])
    assert result.exit_code == 3
    assert "run `squall demo up` first" in result.output
    assert "Traceback" not in result.output


def test_taken_port_gives_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = CliRunner().invoke(
            demo, ["up", "--base-port", str(port), "--state-dir", str(tmp_path)]
        )
    assert result.exit_code == 3
    found = re.search(
        r"(ports?) ((?:\d+ \(\w+\)(?:, )?)+) on 127.0.0.1 already in use", result.output
    )
    assert found is not None, result.output
    noun, taken = found.groups()  # a port after ours may be taken too: the noun agrees
    assert f"{port} (api)" in taken and noun == ("port" if taken.count("(") == 1 else "ports")
    assert not status(tmp_path).components
    down(tmp_path)


def test_default_state_dir_honours_the_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SQUALL_DEMO_DIR", str(tmp_path))
    assert default_state_dir() == tmp_path
    monkeypatch.delenv("SQUALL_DEMO_DIR")
    assert default_state_dir().name == "demo"


def test_python_dash_m(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "squall.demo", "status", "--state-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 1 and "no demo" in done.stdout
    helped = subprocess.run(
        [sys.executable, "-m", "squall.demo", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert helped.returncode == 0
    assert all(word in helped.stdout for word in ("up", "down", "status"))


def test_down_finds_processes_even_without_pidfiles() -> None:
    with private_dir() as tmp_path:
        info = up(tmp_path / "state")
        try:
            for pidfile in info.data["pidfiles"].values():
                Path(pidfile).unlink()
            (info.state_dir / "demo.json").unlink()
        finally:
            down(info.state_dir)
        assert not [pid for pid in info.pids.values() if is_alive(pid)]
