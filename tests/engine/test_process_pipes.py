"""The process provider reads its child's stdout and stderr itself (two pipes, one
``poll``), not through ``Popen.communicate``: what the child writes is all there, in
order, however much and however interleaved; a child that closes its output early is
still waited for; a timeout or a cancelled group kills it and keeps what it wrote; no
descriptor is left open behind an activity."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from squall.errors import ActivityFailed, ActivityTimeout
from squall.experiment.model import ProcessSpec
from squall.providers.base import Call, cancellable
from squall.providers.process import ProcessProvider


def _run(arguments: list[str], *, timeout: float | None = None) -> dict[str, object]:
    spec = ProcessSpec(path=sys.executable, arguments=["-c", *arguments])
    result = ProcessProvider().run(spec, Call(name="p", variables={}, timeout=timeout))
    assert isinstance(result, dict)
    return result


def _open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def test_large_interleaved_output_is_read_whole() -> None:
    """More than a pipe's capacity on both streams, alternately: neither pipe may fill
    and block the child while the other is read."""
    code = (
        "import sys\n"
        "for i in range(4000):\n"
        "    sys.stdout.write(f'out {i:05d} ' + 'x' * 40 + '\\n'); sys.stdout.flush()\n"
        "    sys.stderr.write(f'err {i:05d} ' + 'y' * 40 + '\\n'); sys.stderr.flush()\n"
    )
    result = _run([code])
    assert result["status"] == 0
    out = str(result["stdout"]).splitlines()
    err = str(result["stderr"]).splitlines()
    assert out == [f"out {i:05d} " + "x" * 40 for i in range(4000)]
    assert err == [f"err {i:05d} " + "y" * 40 for i in range(4000)]


def test_a_child_that_closes_its_output_early_is_waited_for(tmp_path: os.PathLike[str]) -> None:
    """End of file on both pipes is not the end of the process: its exit code is the one
    it exits with after closing them."""
    marker = os.path.join(os.fspath(tmp_path), "done")
    code = (
        "import os, sys, time\n"
        "print('bye', flush=True)\n"
        "os.close(1); os.close(2)\n"
        "time.sleep(0.3)\n"
        f"open({marker!r}, 'w').close()\n"
        "sys.exit(7)\n"
    )
    result = _run([code])
    assert result["status"] == 7
    assert result["stdout"] == "bye\n"
    assert os.path.exists(marker)


def test_with_a_timeout_a_child_that_closes_its_output_early_is_waited_for(
    tmp_path: os.PathLike[str],
) -> None:
    """The same under a timeout (the end is then awaited through a pidfd): its exit code,
    and no descriptor left open."""
    marker = os.path.join(os.fspath(tmp_path), "done")
    code = (
        "import os, sys, time\n"
        "os.close(1); os.close(2)\n"
        "time.sleep(0.3)\n"
        f"open({marker!r}, 'w').close()\n"
        "sys.exit(7)\n"
    )
    before = _open_fds()
    assert _run([code], timeout=20)["status"] == 7
    assert os.path.exists(marker)
    assert _open_fds() == before


def test_a_child_that_closes_its_output_and_overruns_its_timeout_is_killed() -> None:
    before = _open_fds()
    started = time.monotonic()
    with pytest.raises(ActivityTimeout, match=r"took longer than 0\.5s"):
        _run(["import os, time; os.close(1); os.close(2); time.sleep(30)"], timeout=0.5)
    assert time.monotonic() - started < 10
    assert _open_fds() == before


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="no pidfd: Popen.wait's sleeps")
def test_an_ended_child_is_collected_without_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a timeout, or in a group that can be cancelled, the child's end wakes squall:
    ``Popen.wait(timeout)`` slept 1, 2, 4 ... ms between ``waitpid`` calls when the
    child had closed its pipes but not quite ended (at load, most /bin/true activities)."""
    slept: list[float] = []
    real = time.sleep

    def counted(seconds: float) -> None:
        slept.append(seconds)
        real(seconds)

    monkeypatch.setattr(time, "sleep", counted)
    provider = ProcessProvider()
    before = _open_fds()
    event = threading.Event()
    for _ in range(20):
        with cancellable(event):
            result = provider.run(ProcessSpec(path="true"), Call(name="p", variables={}))
        assert result["status"] == 0
        result = provider.run(ProcessSpec(path="true"), Call(name="p", variables={}, timeout=30))
        assert result["status"] == 0
    assert slept == []
    assert _open_fds() == before


def test_timeout_kills_and_nothing_is_left_open() -> None:
    before = _open_fds()
    started = time.monotonic()
    with pytest.raises(ActivityTimeout, match=r"took longer than 0\.5s"):
        _run(["import time; print('started', flush=True); time.sleep(30)"], timeout=0.5)
    assert time.monotonic() - started < 10
    assert _open_fds() == before


def test_cancel_kills_the_group() -> None:
    event = threading.Event()
    timer = threading.Timer(0.3, event.set)
    timer.start()
    try:
        started = time.monotonic()
        with cancellable(event), pytest.raises(ActivityFailed, match="was cancelled and killed"):
            spec = ProcessSpec(path="/bin/sh", arguments="-c 'sleep 30 & sleep 30'")
            ProcessProvider().run(spec, Call(name="p", variables={}))
        assert time.monotonic() - started < 10
    finally:
        timer.cancel()


def test_many_activities_leave_no_descriptor_behind() -> None:
    provider = ProcessProvider()
    before = _open_fds()
    for _ in range(20):
        result = provider.run(ProcessSpec(path="true"), Call(name="p", variables={}))
        assert result == {"status": 0, "stdout": "", "stderr": ""}
    assert _open_fds() == before


def test_a_program_that_cannot_start_leaves_nothing_open(tmp_path: os.PathLike[str]) -> None:
    """exec fails after the checks (the file stops being executable): an activity error,
    and the pipes made for it are closed."""
    program = os.path.join(os.fspath(tmp_path), "tool")
    with open(program, "w") as handle:
        handle.write("#!/nonexistent/interpreter\n")
    os.chmod(program, 0o755)
    provider = ProcessProvider()
    before = _open_fds()
    with pytest.raises(ActivityFailed, match="cannot run"):
        provider.run(ProcessSpec(path=program), Call(name="p", variables={}))
    assert _open_fds() == before


def _escaped_daemon(pid_file: str) -> str:
    """A child that starts a grandchild in a session of its own (out of reach of the
    group kill), which keeps the child's stdout and stderr open for 60 s."""
    daemon = f"import os, time; os.setsid(); open({pid_file!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    return (
        "import subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-c', {daemon!r}])\n"
        "print('started', flush=True)\n"
        "time.sleep(60)\n"
    )


def _kill_daemon(pid_file: str) -> None:
    deadline = time.monotonic() + 5
    while not os.path.exists(pid_file) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        with open(pid_file) as handle:
            os.kill(int(handle.read()), 9)
    except (OSError, ValueError):
        pass


def test_a_timeout_is_kept_when_an_escaped_grandchild_holds_the_output(
    tmp_path: os.PathLike[str],
) -> None:
    """A grandchild that left the process group (``setsid``: a daemon the command
    started) survives the kill and holds the pipes open: the activity still ends soon
    after its timeout, with what was written, instead of when the grandchild ends."""
    pid_file = os.path.join(os.fspath(tmp_path), "daemon.pid")
    before = _open_fds()
    started = time.monotonic()
    try:
        with pytest.raises(ActivityTimeout, match=r"took longer than 0\.5s"):
            _run([_escaped_daemon(pid_file)], timeout=0.5)
        assert time.monotonic() - started < 10
        assert _open_fds() == before
    finally:
        _kill_daemon(pid_file)


def test_a_cancel_is_kept_when_an_escaped_grandchild_holds_the_output(
    tmp_path: os.PathLike[str],
) -> None:
    pid_file = os.path.join(os.fspath(tmp_path), "daemon.pid")
    event = threading.Event()
    timer = threading.Timer(0.5, event.set)
    timer.start()
    started = time.monotonic()
    try:
        with cancellable(event), pytest.raises(ActivityFailed, match="was cancelled and killed"):
            _run([_escaped_daemon(pid_file)])
        assert time.monotonic() - started < 10
    finally:
        timer.cancel()
        _kill_daemon(pid_file)


def test_output_past_the_capture_limit_is_read_but_not_kept() -> None:
    """A process that writes without end (``yes``) cannot take squall's memory: past
    MAX_CAPTURE a stream is still read (the child never blocks on a full pipe) but not
    kept, and what was left out is said at its end; the other stream is whole."""
    from squall.providers._pipes import MAX_CAPTURE

    extra = 3 * 65536 + 5
    code = (
        "import sys\n"
        f"sys.stdout.buffer.write(b'x' * {MAX_CAPTURE + extra}); sys.stdout.flush()\n"
        "sys.stderr.write('short')\n"
    )
    result = _run([code])
    assert result["status"] == 0
    assert result["stderr"] == "short"
    stdout = str(result["stdout"])
    kept, _, note = stdout.partition("[")
    assert kept == "x" * MAX_CAPTURE
    assert note == f"... squall: output cut at {MAX_CAPTURE} bytes, {extra} more bytes not kept]"
