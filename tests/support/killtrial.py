"""One random kill trial, shared by tests/engine/test_kill_random.py and a longer campaign:

    .venv/bin/python tests/support/killtrial.py 300        # 300 trials, figures at the end

A real ``squall run`` of tests/examples/kill-random.json (three rollbacks: python
in-process, process, isolated python; each appends ``name <squall pid> <time>`` to a
marker file when it completes) gets SIGKILL, SIGTERM or SIGINT at a random moment
(before, during the method, during the rollbacks; sometimes a second signal), under the
``default`` or ``always`` strategy; sometimes a second run of the same experiment
follows; then every unrecovered run is recovered by run id from another directory
(sometimes that recovery is itself killed, and recovered again). The markers must show:

- every rollback owed played **exactly once**: all three once, or (the ``default``
  strategy after a signal during the method, or a kill before the method) none;
- no marker from a squall process after it died (an orphan child finishing its work);
- nothing left to recover.

One ambiguity is inherent and allowed: a rollback that completed its effect in the
last instant before its process was killed, before the event stream recorded it, is
played again (rollbacks must be idempotent). Such an extra marker is excused only when
it was written within ``WINDOW`` seconds of a signal to the process that wrote it; the
trial counts it.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqharness import catches

SUPPORT = Path(__file__).resolve().parent
EXPERIMENT = SUPPORT.parent / "examples" / "kill-random.json"
ROLLBACKS = ("undo-py", "undo-proc", "undo-iso")
#: seconds around a signal within which a completed-but-unrecorded rollback is excused
WINDOW = 0.05
#: an orphan's reaper needs a moment after squall's death (its pipe closes, it kills)
GRACE = 0.05


@dataclass
class Proc:
    """A squall process the trial started, and the signals it sent to it."""

    pid: int
    signals: list[float] = field(default_factory=list)
    died: float | None = None


@dataclass
class Outcome:
    """What one trial saw."""

    description: str
    played: dict[str, int]
    excused: int = 0  # extra markers excused by WINDOW
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _env(recovery: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SUPPORT), env.get("PYTHONPATH", "")]).strip(os.pathsep)
    env.pop("SQUALL_RUN_ID", None)
    env["SQUALL_RECOVERY_DIR"] = str(recovery)
    env["SQUALL_HISTORY"] = "off"
    return env


def _squall(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "squall", "--settings", str(cwd / "s.yaml"), *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        # a child of a non-interactive shell may inherit SIGINT as ignored: restore it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _signal(proc: subprocess.Popen[str], record: Proc, sig: signal.Signals) -> None:
    record.signals.append(time.time())
    proc.send_signal(sig)


def _markers(path: Path) -> list[tuple[str, int, float]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        name, pid, when = line.split()
        out.append((name, int(pid), float(when)))
    return out


#: when the first signal lands: before the run's event stream exists (squall starting),
#: during the method, during the rollbacks (seconds after the stream appeared)
MOMENTS = {"start": (0.0, 0.6), "method": (0.0, 0.4), "rollbacks": (0.45, 1.3)}


def trial(
    seed: int,
    base: Path,
    *,
    strategy: str | None = None,
    sig: signal.Signals | None = None,
    moment: str | None = None,
    second: bool | None = None,
    again: bool | None = None,
    kill_recovery: bool | None = None,
) -> Outcome:
    """Run one trial in a fresh directory under ``base``; what is not given is drawn."""
    rng = random.Random(seed)
    started = time.monotonic()
    work = base / f"trial-{seed}"
    elsewhere = work / "elsewhere"
    elsewhere.mkdir(parents=True)
    recovery = work / "recovery"
    env = _env(recovery)
    markers = work / "markers.txt"
    strategy = strategy or rng.choice(["default", "always"])
    sig = sig or rng.choice([signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
    moment = moment or rng.choice(["start", "method", "rollbacks", "rollbacks"])
    delay = rng.uniform(*MOMENTS[moment])
    if second is None:
        second = sig is not signal.SIGKILL and rng.random() < 0.3
    again = rng.random() < 0.3 if again is None else again
    kill_recovery = rng.random() < 0.2 if kill_recovery is None else kill_recovery
    described = (
        f"seed={seed} strategy={strategy} signal={sig.name} {moment}+{delay:.3f}s"
        f"{' +second signal' if second else ''}{' +second run' if again else ''}"
        f"{' +killed recovery' if kill_recovery else ''}"
    )
    run_args = ["run", "--rollback-strategy", strategy, "experiment.json"]
    (work / "experiment.json").write_text(EXPERIMENT.read_text())
    common = ["--var", f"markers={markers}"]
    procs: dict[int, Proc] = {}

    proc = _squall([*run_args, *common], work, env)
    first = procs[proc.pid] = Proc(proc.pid)
    if moment != "start":  # wait for the run's event stream
        deadline = time.monotonic() + 60
        while not list(recovery.glob("*.events.jsonl")) and proc.poll() is None:
            assert time.monotonic() < deadline, "the run never started"
            time.sleep(0.005)
    time.sleep(delay)
    # squall's own code runs once it catches SIGTERM (before, Python is starting: a
    # SIGINT there is a KeyboardInterrupt in Python's own import machinery)
    caught = sig is not signal.SIGKILL and catches(proc.pid, signal.SIGTERM)
    _signal(proc, first, sig)
    if second:
        time.sleep(rng.uniform(0.05, 0.3))
        if proc.poll() is None:
            _signal(proc, first, sig)
    _, stderr = proc.communicate(timeout=60)
    first.died = time.time()
    problems = []
    if caught and proc.returncode not in (130, 0):
        problems.append(f"the run exited {proc.returncode}: {stderr[-500:]}")

    others: set[int] = set()
    if again:  # a second run of the same experiment, same ./journal.json
        other = _squall([*run_args, *common, "--var", "method_time:float=0"], work, env)
        others.add(other.pid)
        _, stderr = other.communicate(timeout=60)
        if other.returncode != 0:
            problems.append(f"the second run exited {other.returncode}: {stderr[-500:]}")

    def listed() -> list[dict[str, Any]]:
        out = subprocess.run(
            [sys.executable, "-m", "squall", "recover", "--list", "--json"],
            cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        runs: list[dict[str, Any]] = json.loads(out.stdout)["runs"]
        return runs

    for round_ in range(3):
        for run in listed():
            recover = _squall(["recover", run["run_id"]], elsewhere, env)
            record = procs[recover.pid] = Proc(recover.pid)
            if kill_recovery and round_ == 0:
                time.sleep(rng.uniform(0.0, 1.0))
                _signal(recover, record, signal.SIGKILL)
            _, stderr = recover.communicate(timeout=60)
            record.died = time.time() if record.signals else None
            if not record.signals and recover.returncode != 0:
                problems.append(f"recover exited {recover.returncode}: {stderr[-500:]}")
    if listed():
        problems.append(f"still listed after recovery: {listed()}")
    time.sleep(GRACE + 0.3)  # an orphan would have written by now
    return _judge(described, markers, procs, others, problems, started)


def _judge(
    described: str,
    markers: Path,
    procs: dict[int, Proc],
    others: set[int],
    problems: list[str],
    started: float,
) -> Outcome:
    seen = _markers(markers)
    mine = [m for m in seen if m[1] not in others]
    for name, pid, when in mine:
        record = procs.get(pid)
        if record is None:
            problems.append(f"{name} written by pid {pid}, not a squall process: an orphan")
        elif record.died is not None and when > record.died + GRACE:
            problems.append(f"{name} written {when - record.died:.3f}s after squall {pid} died")
    for name in ROLLBACKS if others else ():
        if sum(1 for m in seen if m[0] == name and m[1] in others) != 1:
            problems.append(f"the second run did not play {name} exactly once")
    played = {name: sum(1 for m in mine if m[0] == name) for name in ROLLBACKS}
    excused = 0
    for name in ROLLBACKS:
        near = [
            m for m in mine
            if m[0] == name and m[1] in procs
            and any(abs(m[2] - t) <= WINDOW for t in procs[m[1]].signals)
        ]  # fmt: skip
        extra = min(len(near), max(played[name] - 1, 0))
        excused += extra
        played[name] -= extra
    counts = set(played.values())
    if len(counts) != 1 or counts - {0, 1}:
        problems.append(f"rollbacks not played exactly once each: {played}")
    injected = any(m[0] == "inject" for m in mine)
    if "always" in described and injected and counts != {1}:
        problems.append(f"the always strategy owed every rollback: {played}")
    if "SIGKILL" in described and injected and counts != {1}:
        problems.append(f"killed after the method started, every rollback was owed: {played}")
    return Outcome(described, played, excused, problems, time.monotonic() - started)


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    seed0 = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    base = Path(tempfile.mkdtemp(prefix="squall-kill-campaign-"))
    print(f"work dir {base}", flush=True)
    failed, excused, seconds = 0, 0, 0.0
    by_signal: dict[str, int] = {}
    played_none = 0
    for seed in range(seed0, seed0 + count):
        outcome = trial(seed, base)
        excused += outcome.excused
        seconds += outcome.seconds
        name = outcome.description.split("signal=")[1].split()[0]
        name += " " + outcome.description.split()[3].split("+")[0]
        by_signal[name] = by_signal.get(name, 0) + 1
        played_none += set(outcome.played.values()) == {0}
        if outcome.problems:
            failed += 1
            print(f"FAIL {outcome.description}: {outcome.problems}", flush=True)
    print(
        f"{count} trials ({by_signal}), {failed} failed, {played_none} with nothing owed, "
        f"{excused} extra marker(s) excused by the {WINDOW}s window, {seconds:.0f}s; "
        f"work dir {base}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
