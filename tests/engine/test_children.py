"""The orphan guard's structure and its one delicate moment (``providers/children.py``).

``test_orphans.py`` kills squall while its children run; here: a process activity
starts its program directly (no gate shell), one reaper serves a whole run, and a
squall killed between a child's start and its registration still leaves no orphan
(the lifeline), while a process that left its group on purpose is not hunted down
when no start was in flight.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqharness import subprocess_env

#: Runs squall in-process (``main(argv)``: the command itself would leave at its end
#: without returning, squall.cli.leave) and prints the argv of every subprocess.Popen
#: it made.
AUDITED_RUN = """
import json, sys
from squall.cli import main
made = []
sys.addaudithook(lambda event, args: made.append(list(map(str, args[1])))
                 if event == "subprocess.Popen" else None)
code = main(["run", "--no-history", "--journal-path", sys.argv[2], sys.argv[1]])
print(json.dumps({"code": code, "made": made}), file=sys.stderr)
"""

#: Starts a child through the real spawn() and dies by SIGKILL right after its exec
#: before the child is registered. ``argv[1]`` = "announced" keeps spawn's own order;
#: "left" first lets a child start a process that leaves its group, then dies idle.
DIES = """
import os, signal, subprocess, sys, time
from squall.providers import children
if sys.argv[1] == "announced":
    real = subprocess._fork_exec
    def dying(*args):
        pid = real(*args)
        if args[0][0] == "sleep":
            print(pid, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        return pid
    subprocess._fork_exec = dying
    children.spawn(["sleep", "30"], shell=False)
else:
    line = "exec 3<&0; setsid sleep 30 <&3 3<&- >/dev/null 2>&1 & echo $!"
    with children.spawn(line, shell=True) as child:
        out, _ = child.communicate()
    children.forget(child.pid)
    print(int(out), flush=True)
    time.sleep(0.3)  # the reaper has read the lines
    os.kill(os.getpid(), signal.SIGKILL)
"""


#: A signal's exception raised inside Popen right after the child exists (the moment
#: Popen waits for its exec): spawn must kill that child, whose pid the caller never gets.
INTERRUPTED = """
import subprocess, sys
from squall.providers import children
real = subprocess._fork_exec
started = []
def interrupted(*args):
    pid = real(*args)
    if args[0][0] == "sleep":
        started.append(pid)
        print(pid, flush=True)
        raise KeyboardInterrupt
    return pid
subprocess._fork_exec = interrupted
try:
    children.spawn(["sleep", "30"], shell=False)
except KeyboardInterrupt:
    import os
    try:
        os.waitpid(started[0], os.WNOHANG)  # reaped already if it was killed
        print("running", flush=True)
    except ChildProcessError:
        print("killed", flush=True)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_process_activity_starts_its_program_directly_and_one_reaper_serves_the_run(
    tmp_path: Path,
) -> None:
    method = [
        {"type": "action", "name": f"true-{i}", "provider": {"type": "process", "path": "true"}}
        for i in range(3)
    ] + [
        {
            "type": "action",
            "name": "shell",
            "provider": {"type": "process", "path": "echo", "arguments": "hello"},
        }
    ]
    experiment = tmp_path / "e.json"
    experiment.write_text(json.dumps({"title": "t", "description": "d", "method": method}))
    done = _python(AUDITED_RUN, str(experiment), str(tmp_path / "j.json"))
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, done.stderr
    made = report["made"]
    reapers = [argv for argv in made if argv[1:3] == ["-I", "-S"]]
    programs = [argv[-1] if argv[0] == "/bin/sh" else argv[0] for argv in made]
    assert len(reapers) == 1, made
    assert len(made) == 5, made  # the reaper, 3 x true, 1 shell line: no gate per child
    assert sum(p.endswith("/true") for p in programs) == 3, made
    assert [argv for argv in made if argv[0] == "/bin/sh"] == [
        ["/bin/sh", "-c", f"{programs[-1].split()[0]} hello"]
    ]
    journal = json.loads((tmp_path / "j.json").read_text())
    assert journal["run"][-1]["output"]["stdout"] == "hello\n"


def test_squall_killed_between_a_start_and_its_registration_leaves_no_orphan() -> None:
    done = _python(DIES, "announced")
    assert done.returncode == -signal.SIGKILL, done.stderr
    child = int(done.stdout)
    try:
        assert _gone_within(child, 10), "the unregistered child outlived squall"
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)


def test_a_signal_while_a_child_starts_kills_that_child() -> None:
    done = _python(INTERRUPTED)
    pid, outcome = done.stdout.split()
    assert outcome == "killed", (done.stderr, "the child of an interrupted start kept running")
    assert not _alive(int(pid))


def test_without_a_start_in_flight_a_process_that_left_its_group_is_left_alone() -> None:
    """The lifeline search runs only for a start squall died in: a process that left its
    group on purpose (documented to escape) is not killed by it."""
    done = _python(DIES, "left")
    assert done.returncode == -signal.SIGKILL, done.stderr
    daemon = int(done.stdout)
    try:
        assert os.readlink(f"/proc/{daemon}/fd/0").startswith("pipe:")  # the lifeline
        time.sleep(1.0)  # the reaper has had its end-of-file
        assert _alive(daemon)
    finally:
        if _alive(daemon):
            os.kill(daemon, signal.SIGKILL)


#: Starts a child, kills the reaper (as someone might), starts a second child, prints
#: both pids and both reapers' pids, then dies by SIGKILL with both children running.
REAPER_KILLED = """
import os, signal, sys, time
from squall.providers import children
first = children.spawn(["sleep", "30"], shell=False)
old = children._reaper
os.kill(old.pid, signal.SIGKILL)
while open(f"/proc/{old.pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z":
    time.sleep(0.01)  # dead, not reaped: only the next line to it can tell
second = children.spawn(["sleep", "30"], shell=False)
print(first.pid, second.pid, old.pid, children._reaper.pid, flush=True)
time.sleep(0.3)  # the new reaper has read the lines
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_reaper_is_replaced_and_the_replacement_knows_every_child() -> None:
    done = _python(REAPER_KILLED)
    assert done.returncode == -signal.SIGKILL, done.stderr
    first, second, old, new = (int(n) for n in done.stdout.split())
    try:
        assert new != old  # the dead reaper was noticed at the next line and replaced
        assert _gone_within(second, 10), "a child started after the reaper died survived"
        assert _gone_within(first, 10), "a child registered with the dead reaper survived"
    finally:
        for pid in (first, second):
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


#: A normal exit (end of script) with one child still running and registered, after an
#: other child that ended and was forgotten. An exit handler registered before the
#: reaper's (so it runs after it) prints whether the running child was killed by then.
NORMAL_EXIT = """
import atexit
from squall.providers import children
def state():
    with open(f"/proc/{running.pid}/status") as handle:
        fields = dict(line.split(":", 1) for line in handle)
    pending = int(fields["SigPnd"], 16) | int(fields["ShdPnd"], 16)
    killed = fields["State"].split()[0] == "Z" or pending & (1 << (9 - 1))  # SIGKILL
    print("killed" if killed else fields["State"].split()[0], flush=True)
atexit.register(state)
ended = children.spawn(["true"], shell=False)
ended.wait()
children.forget(ended.pid)
running = children.spawn(["sleep", "30"], shell=False)
print(running.pid, flush=True)
"""


def test_a_normal_exit_waits_for_the_reaper_while_a_child_is_registered() -> None:
    done = _python(NORMAL_EXIT)
    assert done.returncode == 0, done.stderr
    pid, state = done.stdout.split()
    try:
        # the reaper had killed the registered group before squall's exit went on: the
        # child is dead, or its SIGKILL is pending (on a busy machine it may not have
        # been given the CPU to die yet: seen as 'R')
        assert state == "killed"
    finally:
        if _alive(int(pid)):
            os.kill(int(pid), signal.SIGKILL)


#: A normal exit once every child ended and was forgotten, ResourceWarnings shown.
IDLE_EXIT = """
import warnings
warnings.simplefilter("always", ResourceWarning)
from squall.providers import children
ended = children.spawn(["true"], shell=False)
ended.communicate()
children.forget(ended.pid)
"""


def test_a_normal_exit_reaps_the_reaper() -> None:
    done = _python(IDLE_EXIT)
    assert done.returncode == 0, done.stderr
    assert "still running" not in done.stderr  # ResourceWarning: subprocess N is still running
