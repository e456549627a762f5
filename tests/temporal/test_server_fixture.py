"""The dev server fixture itself: it answers on loopback, and nothing outlives it."""

from __future__ import annotations

import subprocess

from temporal import TemporalServer, temporal_binary_or_skip


def test_the_session_server_answers_on_loopback(temporal_server: TemporalServer) -> None:
    assert temporal_server.address.startswith("127.0.0.1:")
    done = temporal_server.cli("operator", "namespace", "list", "-o", "json")
    assert done.returncode == 0, done.stderr
    assert '"default"' in done.stdout


def test_a_stopped_server_leaves_no_process_and_no_files() -> None:
    server = TemporalServer(temporal_binary_or_skip())
    pid, root = server.process.pid, server.root
    assert (root / "temporal.db").exists()
    server.stop()
    assert server.process.returncode is not None
    alive = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    )
    assert alive.stdout.strip() == ""
    assert not root.exists()
