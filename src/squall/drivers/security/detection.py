"""Detection probes: the security agent is alive, an alert arrives, the audit log keeps growing.

These check the *detection* and *alerting* half of a security experiment: after a fault is
injected, did the watchers notice, and is the telemetry still flowing?
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from squall import ActivityFailed, show_value
from squall.drivers.security._events import Receiver, SinkReader, event_matches, event_time
from squall.drivers.security._net import require_positive, require_target

__all__ = ["agent_alive", "alert_observed", "audit_log_present"]

_DEAD_STATES = {"Z": "zombie", "X": "dead", "T": "stopped", "t": "stopped (traced)"}


def agent_alive(
    pid: int | None = None,
    pidfile: str | None = None,
    name: str | None = None,
    heartbeat_file: str | None = None,
    max_heartbeat_age: float = 30.0,
    proc_root: str = "/proc",
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Check that an agent process runs (not stopped, not a zombie) and its heartbeat is fresh.

    Give at least one of ``pid``, ``pidfile``, ``name`` or ``heartbeat_file``; every one
    given must hold.

    Arguments:
        pid: process id of the agent.
        pidfile: file holding the agent's pid (a missing or unreadable file is a problem).
        name: process name: matches ``/proc/<pid>/comm`` or the base name of any
            command-line word (``agent.py`` matches ``python3 /opt/agent.py``).
        heartbeat_file: a file the agent touches or writes regularly.
        max_heartbeat_age: the heartbeat must have been modified within this many seconds.
        proc_root: mount point of procfs.
        configuration: injected by the engine; ``squall_allowed_networks`` (CIDRs) widens
            the loopback-only rule for every squall driver.
        secrets: injected by the engine; unused.

    Returns:
        ``ok``, ``problems``, ``processes`` (``{"pid", "name", "state", "state_name",
        "alive"}`` for each process found; ``state`` is the kernel's letter, e.g. ``S``,
        ``R``, ``T`` when stopped by SIGSTOP, ``Z`` for a zombie, and ``state_name`` says it
        in words: ``running``, ``stopped``, ``zombie``, ``not running``...), ``running``
        (at least one is alive),
        and ``heartbeat`` (``{"path", "exists", "age_s", "fresh"}`` or ``null``).
    """
    if pid is None and pidfile is None and name is None and heartbeat_file is None:
        raise ActivityFailed("give at least one of pid, pidfile, name or heartbeat_file")
    max_age = require_positive("max_heartbeat_age", max_heartbeat_age)
    proc = Path(proc_root)
    problems: list[str] = []
    pids: list[int] = []
    if pid is not None:
        if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0:
            raise ActivityFailed(f"pid must be a positive integer, not {show_value(pid)}")
        pids.append(pid)
    if pidfile is not None:
        try:
            pids.append(int(Path(pidfile).read_text().split()[0]))
        except (OSError, ValueError, IndexError) as exc:
            problems.append(f"cannot read a pid from {pidfile}: {exc}")
    if name is not None:
        named = _pids_named(proc, name)
        if not named:
            problems.append(f"no process named {show_value(name)}")
        pids.extend(p for p in named if p not in pids)
    processes = [_process(proc, p) for p in dict.fromkeys(pids)]
    for entry in processes:
        if not entry["alive"]:
            problems.append(f"process {entry['pid']} is {entry['state_name']}")
    heartbeat = None
    if heartbeat_file is not None:
        heartbeat = _heartbeat(Path(heartbeat_file), max_age)
        if not heartbeat["fresh"]:
            age = heartbeat["age_s"]
            problems.append(
                f"heartbeat {heartbeat_file} is missing"
                if age is None
                else f"heartbeat {heartbeat_file} is {age:.1f}s old (> {max_age:g}s)"
            )
    return {
        "ok": not problems,
        "problems": problems,
        "processes": processes,
        "running": any(p["alive"] for p in processes),
        "heartbeat": heartbeat,
    }


def _process(proc: Path, pid: int) -> dict[str, Any]:
    entry: dict[str, Any] = {"pid": pid, "name": None, "state": None, "alive": False}
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except FileNotFoundError:
        entry["state_name"] = "not running"
        return entry
    except OSError:  # procfs hidden: fall back to a signal-0 probe
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            entry["state_name"] = "not running"
            return entry
        except PermissionError:
            pass
        entry.update(alive=True, state_name="running")
        return entry
    head, _, rest = stat.rpartition(")")
    state = rest.split()[0] if rest.split() else "?"
    entry.update(name=head.partition("(")[2], state=state, alive=state not in _DEAD_STATES)
    entry["state_name"] = _DEAD_STATES.get(state, "running")
    return entry


def _pids_named(proc: Path, name: str) -> list[int]:
    found = []
    me = os.getpid()
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            comm = (entry / "comm").read_text().strip()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = {os.path.basename(w.decode(errors="replace")) for w in argv if w}
        if comm == name[:15] or name in words:
            found.append(int(entry.name))
    return sorted(found)


def _heartbeat(path: Path, max_age: float) -> dict[str, Any]:
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        return {"path": str(path), "exists": False, "age_s": None, "fresh": False}
    return {"path": str(path), "exists": True, "age_s": round(age, 3), "fresh": age <= max_age}


def alert_observed(
    match: dict[str, Any],
    sink: str | None = None,
    webhook_port: int | None = None,
    webhook_host: str = "127.0.0.1",
    deadline: float = 10.0,
    poll_interval: float = 0.2,
    start_offset: int = 0,
    not_before: float | None = None,
    time_field: str = "time",
    allow_non_loopback: bool = False,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Wait until an event matching ``match`` shows up in a JSONL sink or at a webhook.

    The probe returns as soon as a matching event is seen, or when ``deadline`` seconds
    have passed. With a ``sink`` it reads new lines every ``poll_interval``; with a
    ``webhook_port`` it listens on ``webhook_host`` for POSTed JSON for the whole wait (so
    run it as a background activity, or before the action, if the alert may come fast).

    Arguments:
        match: fields the event must have: ``{"rule": "port-opened", "labels.experiment":
            "exp-42"}``. Keys are dotted paths into the event; a list value means "any of".
        sink: a JSON Lines file the detector appends events to (lines that are not JSON
            objects are skipped). A file that does not exist yet is waited for.
        webhook_port: port of a loopback webhook receiver the probe runs while it waits.
        webhook_host: address the receiver binds (loopback unless ``allow_non_loopback``).
        deadline: seconds to wait for a matching event.
        poll_interval: seconds between reads of the sink.
        start_offset: byte offset of the sink to start reading at (e.g. the
            ``end_offset`` of an earlier call), to ignore older events.
        not_before: only count events whose ``time_field`` (epoch seconds or ISO 8601) is
            at or after this epoch time; events without a readable time are not counted.
        time_field: dotted path of the event's time.
        allow_non_loopback: allow a ``webhook_host`` that is neither loopback nor in the
            configuration's ``squall_allowed_networks``.
        configuration: injected by the engine; ``squall_allowed_networks`` (CIDRs) widens
            the loopback-only rule for every squall driver.
        secrets: injected by the engine; unused.

    Returns:
        ``ok`` and ``observed`` (a matching event arrived in time), ``problems``,
        ``event`` (the first matching event), ``source`` (``sink`` or ``webhook``),
        ``waited_s`` (seconds until it was seen, or the whole wait), ``events_seen``
        (events read, matching or not) and ``end_offset`` (where the sink reading stopped).
    """
    if not isinstance(match, dict) or not match:
        raise ActivityFailed("match must be a non-empty mapping of event fields to values")
    if sink is None and webhook_port is None:
        raise ActivityFailed("give a sink file, a webhook_port, or both")
    wait = require_positive("deadline", deadline)
    interval = require_positive("poll_interval", poll_interval)
    receiver = None
    if webhook_port is not None:
        _, address = require_target(webhook_host, allow_non_loopback, configuration)
        receiver = Receiver(address, webhook_port)  # binds the checked address
    reader = SinkReader(Path(sink), start_offset) if sink is not None else None
    started = time.monotonic()
    found: tuple[str, dict[str, Any]] | None = None
    seen = 0

    def accept(event: dict[str, Any]) -> bool:
        if not event_matches(event, match):
            return False
        if not_before is None:
            return True
        when = event_time(event, time_field)
        return when is not None and when >= not_before

    try:
        while found is None:
            for source, events in (
                ("sink", reader.read() if reader else []),
                ("webhook", receiver.drain() if receiver else []),
            ):
                seen += len(events)
                hit = next((e for e in events if accept(e)), None)
                if hit is not None and found is None:
                    found = (source, hit)
            remaining = started + wait - time.monotonic()
            if found is not None or remaining <= 0:
                break
            time.sleep(min(interval, remaining))
    finally:
        if receiver is not None:
            receiver.close()
    waited = round(time.monotonic() - started, 3)
    problems = [] if found else [f"no event matching {show_value(match)} within {wait:g}s"]
    return {
        "ok": found is not None,
        "observed": found is not None,
        "problems": problems,
        "event": found[1] if found else None,
        "source": found[0] if found else None,
        "waited_s": waited,
        "events_seen": seen,
        "end_offset": reader.offset if reader else None,
    }


def audit_log_present(
    path: str,
    previous: dict[str, Any] | None = None,
    state_file: str | None = None,
    must_grow: bool = True,
    max_age: float | None = None,
    record: bool = True,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Check that an audit log exists, keeps growing, and was not truncated or rotated away.

    The comparison baseline is ``previous`` if given, otherwise what an earlier call
    recorded in ``state_file``. Without a baseline the call only records one (and checks
    existence and age). Typical use: call it in the steady-state hypothesis before the
    method (records), and again after (compares).

    Arguments:
        path: the log file.
        previous: a baseline ``{"size": ..., "inode": ...}`` (an earlier result works).
        state_file: a JSON file where the current size and inode are recorded after each
            call and read back as the baseline by the next one.
        must_grow: with a baseline, the log must have grown since.
        max_age: the log must have been written within this many seconds.
        record: write the current state to ``state_file`` (when one is given).
        configuration: injected by the engine; ``squall_allowed_networks`` (CIDRs) widens
            the loopback-only rule for every squall driver.
        secrets: injected by the engine; unused.

    Returns:
        ``ok``, ``problems``, ``path``, ``exists``, ``size``, ``inode``, ``device``,
        ``mtime`` (epoch), ``age_s``, ``baseline`` (the state compared with, or ``null``),
        ``grew``, ``growth_bytes``, ``truncated`` (same file, now smaller), ``rotated``
        (another file, i.e. another inode or device, now has the name) and ``recorded``
        (the state file written, if any).
    """
    log = Path(path)
    baseline = previous if previous is not None else _read_state(state_file)
    if baseline is not None and not isinstance(baseline.get("size"), int):
        raise ActivityFailed(f'the baseline needs an integer "size", got {show_value(baseline)}')
    result: dict[str, Any] = {"ok": False, "problems": [], "path": str(log), "exists": False}
    result.update(size=None, inode=None, device=None, mtime=None, age_s=None)
    result.update(baseline=baseline, grew=None, growth_bytes=None, truncated=None, rotated=None)
    result["recorded"] = None
    problems: list[str] = result["problems"]
    try:
        info = log.stat()
    except OSError as exc:
        problems.append(f"audit log {log} is missing ({exc.strerror or exc})")
        return result
    age = time.time() - info.st_mtime
    result.update(exists=True, size=info.st_size, inode=info.st_ino, device=info.st_dev)
    result.update(mtime=info.st_mtime, age_s=round(age, 3))
    if max_age is not None and age > require_positive("max_age", max_age):
        problems.append(f"audit log not written for {age:.1f}s (> {max_age:g}s)")
    if baseline is not None:
        same_inode = baseline.get("inode") in (None, info.st_ino)
        rotated = not same_inode or baseline.get("device") not in (None, info.st_dev)
        growth = info.st_size - int(baseline["size"])
        truncated = not rotated and growth < 0
        result.update(rotated=rotated, truncated=truncated, growth_bytes=growth)
        result["grew"] = not rotated and growth > 0
        if rotated:
            problems.append(
                f"audit log was rotated or replaced (inode {baseline['inode']} → {info.st_ino})"
            )
        elif truncated:
            problems.append(f"audit log was truncated ({baseline['size']} → {info.st_size} bytes)")
        elif must_grow and growth == 0:
            problems.append(f"audit log did not grow (still {info.st_size} bytes)")
    if state_file is not None and record:
        state = {"path": str(log), "size": info.st_size, "inode": info.st_ino}
        state.update(device=info.st_dev, recorded_at=time.time())
        _write_state(Path(state_file), state)
        result["recorded"] = state_file
    result["ok"] = not problems
    return result


def _read_state(state_file: str | None) -> dict[str, Any] | None:
    if state_file is None:
        return None
    try:
        state = json.loads(Path(state_file).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ActivityFailed(f"cannot read state file {state_file}: {exc}") from exc
    return state if isinstance(state, dict) else None


def _write_state(path: Path, state: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(state))
        os.replace(temporary, path)
    except OSError as exc:
        raise ActivityFailed(f"cannot record state in {path}: {exc}") from exc
