"""Start the demo's processes detached (new session, reparented) and stop exactly those."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

__all__ = [
    "find_processes",
    "free_ports",
    "is_alive",
    "is_ours",
    "port_free",
    "read_pid",
    "spawn",
    "terminate",
]

# A short-lived launcher starts the component in a new session and exits at once, so the
# component is re-parented (no zombie left in the caller, no Popen object to outlive).
_LAUNCHER = (
    "import subprocess,sys\n"
    "log=open(sys.argv[1],'ab')\n"
    "p=subprocess.Popen(sys.argv[3:],stdin=subprocess.DEVNULL,stdout=log,stderr=log,"
    "start_new_session=True,close_fds=True,cwd=sys.argv[2])\n"
    "print(p.pid,flush=True)\n"
)


def spawn(component: str, state_dir: Path, logfile: Path) -> int:
    """Start ``python -m squall.demo.<component> --state-dir DIR`` detached; return its pid."""
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    env.pop("PYTHONWARNINGS", None)
    argv = [sys.executable, "-m", f"squall.demo.{component}", "--state-dir", str(state_dir)]
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, str(logfile), str(state_dir), *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if done.returncode != 0:
        raise OSError(f"cannot start {component}: {done.stderr.strip()}")
    return int(done.stdout.split()[0])


def read_pid(pidfile: Path) -> int | None:
    """The pid in ``pidfile``, or None if it is missing or unreadable."""
    try:
        return int(pidfile.read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return None


def is_alive(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        if sys.platform.startswith("linux"):
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def is_ours(pid: int, component: str, state_dir: Path) -> bool:
    """True if ``pid`` runs ``squall.demo.<component>`` for ``state_dir`` (guards pid reuse)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return is_alive(pid) and not sys.platform.startswith("linux")
    words = [a.decode(errors="replace") for a in argv]
    return f"squall.demo.{component}" in words and str(state_dir) in words


def find_processes(component: str, state_dir: Path) -> list[int]:
    """Live pids running ``squall.demo.<component>`` for ``state_dir`` (a /proc scan)."""
    found: list[int] = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        pid = int(entry.name) if entry.name.isdigit() else 0
        if pid and is_ours(pid, component, state_dir) and is_alive(pid):
            found.append(pid)
    return found


def terminate(pids: list[int], timeout: float = 5.0) -> list[int]:
    """SIGTERM (and SIGCONT, in case they are stopped), wait, then SIGKILL; return survivors."""
    for sig in (signal.SIGTERM, signal.SIGCONT):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while (alive := [p for p in pids if is_alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in alive:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 2.0
    while (alive := [p for p in alive if is_alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


def port_free(port: int) -> bool:
    """True if 127.0.0.1:``port`` can be bound (as the servers do, with SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports the OS reports free right now."""
    socks = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]
    finally:
        for sock in socks:
            sock.close()
