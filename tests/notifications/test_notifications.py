"""The settings' ``notifications`` channels (the Chaos Toolkit's format): a real webhook
on 127.0.0.1 and a plugin function, called by the real ``squall`` CLI."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import yaml

from sqharness import EXAMPLES, LocalServer

PLUGIN = """
import json

def notify(channel, event):
    with open(channel["path"], "a") as out:
        out.write(json.dumps({"channel": channel["module"], "event": event}) + "\\n")

def broken(channel, event):
    raise RuntimeError("the plugin is broken")
"""


def settings(tmp_path: Path, channels: list[dict[str, Any]]) -> None:
    (tmp_path / "settings.yaml").write_text(yaml.safe_dump({"notifications": channels}))


def posted(server: LocalServer, path: str = "/echo") -> list[dict[str, Any]]:
    return [json.loads(body) for method, p, _, body in server.requests if p == path]


def test_webhook_receives_run_started_and_completed(
    squall: Any, tmp_path: Path, http_server: LocalServer
) -> None:
    settings(
        tmp_path,
        [{"type": "http", "url": f"{http_server.url}/echo", "headers": {"X-Token": "t0k"}}],
    )
    result = squall("run", str(EXAMPLES / "trivial.json"))
    assert result.code == 0, result.stderr
    events = posted(http_server)
    assert [e["name"] for e in events] == ["run-started", "run-completed"]
    started, completed = events
    assert started["phase"] == "run" and isinstance(started["ts"], float)
    assert started["payload"]["title"] == result.journal["experiment"]["title"]
    assert completed["payload"]["status"] == "completed"
    assert (
        completed["payload"]["run"][0]["activity"]["name"]
        == (result.journal["run"][0]["activity"]["name"])
    )
    assert "error" not in completed
    headers = {k.lower(): v for k, v in http_server.requests[0][2].items()}
    assert headers["x-token"] == "t0k"
    assert headers["content-type"] == "application/json"
    assert [r[0] for r in http_server.requests] == ["POST", "POST"]


def test_deviated_run_sends_completed_and_deviated_only_where_asked(
    squall: Any, tmp_path: Path, http_server: LocalServer
) -> None:
    settings(
        tmp_path,
        [
            {"type": "http", "url": f"{http_server.url}/echo", "events": ["run-deviated"]},
            {
                "type": "http",
                "url": f"{http_server.url}/get-only",
                "forward_event_payload": False,
                "events": ["run-completed", "run-failed"],
            },
        ],
    )
    result = squall("run", str(EXAMPLES / "deviated.json"))
    assert result.code == 1, result.stderr
    # as the reference: a deviated run completed (no run-failed), and it deviated
    assert result.journal["status"] == "completed"
    assert [e["name"] for e in posted(http_server)] == ["run-deviated"]
    assert posted(http_server)[0]["payload"]["deviated"] is True
    get = [r for r in http_server.requests if r[1] == "/get-only"]
    assert [(r[0], r[3]) for r in get] == [("GET", "")]


def test_broken_channels_never_break_the_run_and_are_logged(
    squall: Any, tmp_path: Path, http_server: LocalServer
) -> None:
    with socket.socket() as sock:  # a port with nothing listening
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    (tmp_path / "notifyplug.py").write_text(PLUGIN)
    settings(
        tmp_path,
        [
            {"type": "http", "url": f"http://127.0.0.1:{closed}/hook"},
            {"type": "http", "url": f"{http_server.url}/not-found"},
            {"type": "plugin", "module": "notifyplug", "func": "broken"},
            {"type": "plugin", "module": "notifyplug", "path": str(tmp_path / "events.jsonl")},
        ],
    )
    result = squall("run", str(EXAMPLES / "trivial.json"), env={"PYTHONPATH": str(tmp_path)})
    assert result.code == 0, result.stderr
    assert result.journal["status"] == "completed"
    # a webhook's path may hold its token: the channel is named by its scheme and host
    assert f"notification run-started to http://127.0.0.1:{closed}/… failed" in result.stderr
    assert "404" in result.stderr
    assert (
        "notification run-completed to notifyplug failed: RuntimeError: the plugin is broken"
        in (result.stderr)
    )
    lines = (tmp_path / "events.jsonl").read_text().splitlines()
    events = [json.loads(line)["event"] for line in lines]
    assert [e["name"] for e in events] == ["run-started", "run-completed"]
    assert events[1]["payload"]["status"] == "completed"


def test_validate_sends_validate_events_with_the_error(
    squall: Any, tmp_path: Path, http_server: LocalServer
) -> None:
    settings(tmp_path, [{"type": "http", "url": f"{http_server.url}/echo"}])
    bad = tmp_path / "bad.json"
    bad.write_text('{"title": "t", "description": "d", "method": [{"type": "action"}]}')
    assert squall("validate", str(EXAMPLES / "trivial.json")).code == 0
    assert squall("validate", str(bad)).code == 2
    events = posted(http_server)
    assert [e["name"] for e in events] == [
        "validate-started",
        "validate-completed",
        "validate-started",
        "validate-failed",
    ]
    assert all(e["phase"] == "validate" for e in events)
    assert 'requires "name"' in events[3]["error"]


def test_discover_sends_discovery_events(
    squall: Any, tmp_path: Path, http_server: LocalServer
) -> None:
    settings(tmp_path, [{"type": "http", "url": f"{http_server.url}/echo"}])
    assert squall("discover", "--no-system-info", "sqtest").code == 0
    assert squall("discover", "no_such_driver_module").code == 2
    events = posted(http_server)
    assert [e["name"] for e in events] == [
        "discovery-started",
        "discovery-completed",
        "discovery-started",
        "discovery-failed",
    ]
    assert events[0]["payload"] == "sqtest"
    assert events[1]["payload"]["extension"]["name"] == "sqtest"
    assert "no_such_driver_module" in events[3]["error"]


def test_a_run_that_cannot_start_sends_run_failed(
    squall: Any, tmp_path: Path, http_server: LocalServer
) -> None:
    settings(tmp_path, [{"type": "http", "url": f"{http_server.url}/echo"}])
    experiment = tmp_path / "needs-env.json"
    experiment.write_text(
        '{"title": "t", "description": "d", "secrets": {"s": {"k": {"type": "env", '
        '"key": "SQUALL_TEST_UNSET_VARIABLE"}}}, "method": [{"type": "action", "name": "a", '
        '"provider": {"type": "python", "module": "sqtest", "func": "echo"}}]}'
    )
    # validation would catch it first (validate-failed); without it the engine does
    result = squall("run", "--no-validation", str(experiment))
    assert result.code == 2, result.stderr
    events = posted(http_server)
    assert [e["name"] for e in events] == ["run-started", "run-failed"]
    assert "SQUALL_TEST_UNSET_VARIABLE" in events[1]["error"]
    assert events[1]["payload"]["title"] == "t"


def test_init_sends_init_events(squall: Any, tmp_path: Path, http_server: LocalServer) -> None:
    settings(tmp_path, [{"type": "http", "url": f"{http_server.url}/echo"}])
    assert squall("discover", "--no-system-info", "sqtest").code == 0
    good = {"title": "t", "description": "d", "method": [{"activity": "echo"}]}
    (tmp_path / "good.yaml").write_text(yaml.safe_dump(good))
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump({**good, "method": [{"activity": "nope"}]}))
    assert squall("init", "--answers", "good.yaml").code == 0
    assert squall("init", "--answers", "bad.yaml", "--experiment-path", "x.json").code == 2
    events = [e for e in posted(http_server) if e["phase"] == "init"]
    assert [e["name"] for e in events] == [
        "init-started",
        "init-completed",
        "init-started",
        "init-failed",
    ]
    assert events[1]["payload"] == json.loads((tmp_path / "experiment.json").read_text())
    assert "nope" in events[3]["error"]
