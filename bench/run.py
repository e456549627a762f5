#!/usr/bin/env python3
"""squall and the Chaos Toolkit (CTK), measured side by side in the same run.

    python bench/run.py [--runs 7] [--work /tmp/squall-bench] [--out FILE]
                        [--reuse-venv] [--squall-only] [--cases a,b,...]

What it does (stdlib only, Python >= 3.11, nothing imported from outside the repo):

1. Builds the CTK reference venv under WORK/ctk-venv with a Python >= 3.12
   (chaostoolkit 1.20+ requires it), pinned to chaostoolkit==1.21.4 and
   chaostoolkit-lib==1.45.1 (plus chaostoolkit-addons==0.12.0, best effort), the
   same pins as the shared reference measurement.  ``--reuse-venv`` keeps an
   existing venv when its pins match.  No Python >= 3.12: exit 2.
2. Writes the experiments into WORK/experiments (its own copy of the reference
   generator: trivial, python-0, python-1000, python-1000.yaml, process-100,
   http-100) and serves WORK/www on a loopback ``http.server`` for http-100.
3. Times every case for both tools, interleaved (CTK, squall, CTK, squall, ...;
   each round walks every case), after one warm-up of each, and keeps the
   median of ``--runs`` runs: wall time (perf_counter around spawn..reap), CPU
   (user+sys) and peak RSS (``os.wait4`` rusage ru_maxrss).  Every run must exit
   0 and write its journal, or the benchmark stops (exit 1): timing a failing
   run is meaningless.
4. Prints a table (case, CTK median, squall median, squall/CTK), the derived
   per-python-activity overhead ((wall(N=1000) - wall(N=0)) / 1000) and the peak
   memory of the trivial run, checks the ratios against the targets, and writes
   everything as JSON (``--out``, default WORK/results.json).  A missed target
   is marked MISS but the exit code stays 0: a benchmark reports, it does not
   assert.

Commands measured:
    squall:  squall --version | squall run --journal-path J EXP
    CTK:     chaos --version  | chaos --no-version-check --settings <empty file>
             --no-log-file run --journal-path J EXP
(so the CTK never calls releases.chaostoolkit.org and neither tool writes a
log file).  ``--squall-only`` measures squall alone, without any CTK venv (used
by the test suite).

Exit codes: 0 measured (targets met or not), 1 a run failed or the setup did,
2 usage error or no Python >= 3.12 for the CTK.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import http.server
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

SCHEMA = "squall-bench/1"
REPO = Path(__file__).resolve().parent.parent

CTK_PINS = ["chaostoolkit==1.21.4", "chaostoolkit-lib==1.45.1"]
CTK_ADDONS = "chaostoolkit-addons==0.12.0"
PY_CANDIDATES = [
    "python3.12",
    "python3.13",
    "python3.14",
    str(Path.home() / ".pyenv/versions/3.12.1/bin/python3"),
    "python3",
]

SQUALL, CTK = "squall", "ctk"
TOOL_LABEL = {SQUALL: "squall", CTK: "CTK"}

# name -> (experiment file or None for --version, description)
CASES: dict[str, tuple[str | None, str]] = {
    "version": (None, "--version"),
    "trivial": ("trivial.json", "run trivial.json (1 probe x2, 1 action)"),
    "python-0": ("python-0.json", "run python-0.json (empty method)"),
    "python-1000": ("python-1000.json", "run python-1000.json (1000 os.path.exists)"),
    "yaml-1000": ("python-1000.yaml", "run python-1000.yaml (1000 activities, YAML)"),
    "process-100": ("process-100.json", "run process-100.json (100 x /bin/true)"),
    "http-100": ("http-100.json", "run http-100.json (101 GET to loopback http.server)"),
}

# target name -> (metric key, maximum squall/CTK ratio, label)
# (issue 14's targets)
TARGETS: list[tuple[str, str, float, str]] = [
    ("version", "case:version", 0.10, "--version wall"),
    ("trivial", "case:trivial", 0.20, "trivial run wall"),
    ("per-python-activity", "derived:per-python-activity", 0.15, "per python activity (N=1000)"),
    ("yaml-1000", "case:yaml-1000", 0.20, "YAML 1000 activities wall"),
    ("process-100", "case:process-100", 0.40, "process-100 wall"),
    ("http-100", "case:http-100", 0.35, "http-100 wall"),
    ("peak-memory", "derived:peak-memory-trivial", 0.50, "peak RSS, trivial run"),
]


class BenchError(Exception):
    """The benchmark cannot go on (a failed run, a failed setup)."""


def _setup(steps: list[list[str]], env: dict[str, str], what: str) -> None:
    """Run a venv's set-up commands in order; BenchError with the output at the first failure."""
    for cmd in steps:
        res = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if res.returncode != 0:
            raise BenchError(
                f"{what} failed (exit {res.returncode}): {' '.join(cmd)}\n"
                + (res.stderr or res.stdout)[-2000:]
            )


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ experiments
# A copy of the relevant part of the reference generator (gen_experiments.py in
# the shared Chaos Toolkit bench): the same experiments, byte for byte, so the
# figures compare with the reference measurement.

PORT_CFG = {"type": "env", "key": "CTK_HTTP_PORT", "default": "8765"}


def _py(name: str, module: str, func: str, kind: str = "action", arguments=None, **extra):
    act: dict[str, Any] = {
        "type": kind,
        "name": name,
        "provider": {"type": "python", "module": module, "func": func},
    }
    if arguments is not None:
        act["provider"]["arguments"] = arguments
    act.update(extra)
    return act


def _proc(name: str, path: str, arguments=None, kind: str = "action", **extra):
    act: dict[str, Any] = {
        "type": kind,
        "name": name,
        "provider": {"type": "process", "path": path},
    }
    if arguments is not None:
        act["provider"]["arguments"] = arguments
    act.update(extra)
    return act


def _exists_probe(name: str, path: str, tolerance: Any):
    return _py(
        name, "os.path", "exists", kind="probe", arguments={"path": path}, tolerance=tolerance
    )


def _base(title: str, **extra: Any) -> dict[str, Any]:
    exp: dict[str, Any] = {
        "version": "1.0.0",
        "title": title,
        "description": f"ctk benchmark: {title}",
        "tags": ["ctk-bench"],
    }
    exp.update(extra)
    exp.setdefault("method", [])
    return exp


def exp_trivial() -> dict[str, Any]:
    return _base(
        "trivial",
        **{
            "steady-state-hypothesis": {
                "title": "root exists",
                "probes": [_exists_probe("root-exists", "/", True)],
            },
            "method": [_py("get-pid", "os", "getpid")],
        },
    )


def exp_python_n(n: int) -> dict[str, Any]:
    # alternate probe/action; os.path.exists is a cheap stdlib call
    method = [
        _py(
            f"exists-{i}",
            "os.path",
            "exists",
            kind="probe" if i % 2 == 0 else "action",
            arguments={"path": "/"},
        )
        for i in range(n)
    ]
    return _base(f"python activities x{n}", method=method)


def exp_process_n(n: int) -> dict[str, Any]:
    return _base(
        f"process activities x{n}", method=[_proc(f"true-{i}", "/bin/true") for i in range(n)]
    )


def exp_http_n(n: int) -> dict[str, Any]:
    url = "http://127.0.0.1:${http_port}/index.html"
    hypo = {
        "title": "local server answers 200",
        "probes": [
            {
                "type": "probe",
                "name": "server-up",
                "tolerance": 200,
                "provider": {"type": "http", "url": url, "timeout": 3},
            }
        ],
    }
    method = [
        {
            "type": "probe",
            "name": f"get-{i}",
            "provider": {"type": "http", "url": url, "timeout": 3},
        }
        for i in range(n)
    ]
    return _base(
        f"http activities x{n}",
        configuration={"http_port": PORT_CFG},
        **{"steady-state-hypothesis": hypo, "method": method},
    )


def to_yaml(obj: Any, indent: int = 0) -> str:
    """Minimal block-style YAML emitter (dicts, lists, scalars)."""
    pad = "  " * indent
    lines = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, dict | list) and v:
                lines.append(f"{pad}{k}:")
                lines.append(to_yaml(v, indent + 1))
            else:
                lines.append(f"{pad}{k}: {_scalar(v)}")
    elif isinstance(obj, list):
        for item in obj:
            if isinstance(item, dict | list) and item:
                sub = to_yaml(item, indent + 1).lstrip()
                lines.append(f"{pad}- {sub}")
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    return "\n".join(lines)


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, int | float):
        return str(v)
    if isinstance(v, dict | list):
        return "{}" if isinstance(v, dict) else "[]"
    return json.dumps(v)  # a JSON string is a valid YAML double-quoted scalar


def write_experiments(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "trivial.json": exp_trivial(),
        "python-0.json": exp_python_n(0),
        "python-1000.json": exp_python_n(1000),
        "process-100.json": exp_process_n(100),
        "http-100.json": exp_http_n(100),
    }
    for name, exp in files.items():
        (out / name).write_text(json.dumps(exp, indent=2) + "\n")
    (out / "python-1000.yaml").write_text(to_yaml(exp_python_n(1000)) + "\n")


# ------------------------------------------------------------------ http server
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def start_http_server(root: Path) -> http.server.ThreadingHTTPServer:
    """A loopback http.server on a free port, served from a daemon thread."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "index.html").write_text("<html>ok</html>\n")
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="bench-http", daemon=True).start()
    return server


# ------------------------------------------------------------------ CTK venv
def python_version_of(exe: str) -> tuple[tuple[int, int], str, str] | None:
    """((major, minor), 'X.Y.Z', real executable) of an interpreter, or None."""
    try:
        res = subprocess.run(
            [
                exe,
                "-c",
                "import sys, platform; print(sys.version_info[0], sys.version_info[1], "
                "platform.python_version(), sys.executable)",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if res.returncode != 0:
        return None
    major, minor, full, real = res.stdout.strip().split(" ", 3)
    return (int(major), int(minor)), full, real


def find_python_312(explicit: str | None) -> tuple[str, str] | None:
    """(real executable, version) of a Python >= 3.12, searched like run_ctk.sh."""
    candidates = [explicit] if explicit else PY_CANDIDATES
    for cand in candidates:
        exe = cand if os.sep in cand else shutil.which(cand)
        if not exe or not os.path.exists(exe):
            continue
        info = python_version_of(exe)
        if info and info[0] >= (3, 12):
            return info[2], info[1]
    return None


def installed_pins(venv: Path) -> list[str] | None:
    py = venv / "bin" / "python"
    if not (venv / "bin" / "chaos").exists() or not py.exists():
        return None
    res = subprocess.run(
        [
            str(py),
            "-c",
            "import importlib.metadata as m\n"
            "for d in ('chaostoolkit', 'chaostoolkit-lib'): print(f'{d}=={m.version(d)}')",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return res.stdout.split() if res.returncode == 0 else None


def ensure_ctk_venv(work: Path, reuse: bool, explicit_python: str | None) -> Path:
    venv = work / "ctk-venv"
    if reuse:
        pins = installed_pins(venv)
        if pins == CTK_PINS:
            log(f"reusing the CTK venv {venv} ({' '.join(pins)})")
            return venv
        log(f"--reuse-venv: {venv} has {pins or 'no usable CTK'}; rebuilding it")
    found = find_python_312(explicit_python or os.environ.get("PY"))
    if found is None:
        tried = explicit_python or ", ".join(PY_CANDIDATES)
        print(
            "bench: no Python >= 3.12 found (tried: "
            f"{tried}).\nThe Chaos Toolkit {CTK_PINS[0]} requires Python >= 3.12; install one "
            "(e.g. `pyenv install 3.12.1`) or pass --ctk-python PATH, or use --squall-only.",
            file=sys.stderr,
        )
        raise SystemExit(2)
    exe, version = found
    log(f"building the CTK venv {venv} with Python {version} ({exe})")
    if venv.exists():
        shutil.rmtree(venv)
    env = dict(os.environ, PIP_CACHE_DIR=str(work / "pip-cache"), PIP_DISABLE_PIP_VERSION_CHECK="1")
    steps = [
        [exe, "-m", "venv", str(venv)],
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *CTK_PINS],
    ]
    t0 = time.perf_counter()
    _setup(steps, env, "CTK venv setup")
    log(f"  pip install {' '.join(CTK_PINS)}: {time.perf_counter() - t0:.1f} s")
    res = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", CTK_ADDONS],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        log(f"  {CTK_ADDONS} did not install (not needed for the measured cases)")
    if installed_pins(venv) != CTK_PINS:
        raise BenchError(f"CTK venv {venv}: expected {CTK_PINS}, got {installed_pins(venv)}")
    return venv


# ------------------------------------------------------------------ timing
# The runs are started by a small helper process, not by this harness.  Linux records the
# RSS high-water mark of the memory a process had before exec into its ru_maxrss, and a
# child forked (or vforked) by this harness starts with the harness's memory (Python, the
# http server thread, the results so far: about 26 MiB): every peak would read at least
# that.  The helper is a bare ``python -I -S`` (about 9 MiB) that forks, execs, reaps with
# os.wait4 and reports wall, CPU and peak; its own peak is recorded as the floor below
# which no peak can be read.
SPAWNER = r"""
import json, os, signal, sys, time
inp, out = sys.stdin.buffer, sys.stdout.buffer
env = json.loads(inp.readline())
devnull = os.open(os.devnull, os.O_RDWR)
state = {"pid": 0, "timed_out": False}
def on_alarm(signum, frame):
    if state["pid"]:
        state["timed_out"] = True
        os.kill(state["pid"], signal.SIGKILL)
signal.signal(signal.SIGALRM, on_alarm)
floor = None  # this helper's own high-water RSS (VmHWM): a child forked from it starts there
try:
    with open("/proc/self/status") as f:
        floor = next(int(ln.split()[1]) / 1024.0 for ln in f if ln.startswith("VmHWM:"))
except (OSError, StopIteration, ValueError):
    pass
out.write(json.dumps({"floor_mib": floor}).encode() + b"\n")
out.flush()
for line in inp:
    req = json.loads(line)
    cmd = req["cmd"]
    state["timed_out"] = False
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.chdir(req["cwd"])
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            os.execve(cmd[0], cmd, env)
        finally:
            os._exit(127)
    state["pid"] = pid
    signal.setitimer(signal.ITIMER_REAL, req["timeout"])
    _, status, ru = os.wait4(pid, 0)
    signal.setitimer(signal.ITIMER_REAL, 0)
    state["pid"] = 0
    wall = time.perf_counter() - t0
    res = {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "peak_mib": ru.ru_maxrss / 1024.0,
           "rc": os.waitstatus_to_exitcode(status)}
    if state["timed_out"]:
        res["timed_out"] = True
    out.write(json.dumps(res).encode() + b"\n")
    out.flush()
"""


class Spawner:
    """Runs commands from a small helper process; see SPAWNER."""

    def __init__(self, env: dict[str, str]):
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", SPAWNER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self.proc.stdin and self.proc.stdout
        self._in, self._out = self.proc.stdin, self.proc.stdout
        self._send(env)
        self.floor_mib: float | None = self._receive()["floor_mib"]

    def _send(self, obj: Any) -> None:
        self._in.write(json.dumps(obj).encode() + b"\n")
        self._in.flush()

    def _receive(self) -> dict[str, Any]:
        line = self._out.readline()
        if not line:
            raise BenchError(f"the spawner helper died (exit {self.proc.wait()})")
        return json.loads(line)

    def run(self, cmd: list[str], cwd: Path, timeout: float) -> dict[str, Any]:
        """Spawn, reap with os.wait4: wall, user+sys CPU, peak RSS (MiB), exit code."""
        exe = cmd[0] if os.sep in cmd[0] else shutil.which(cmd[0]) or cmd[0]
        self._send({"cmd": [exe, *cmd[1:]], "cwd": str(cwd), "timeout": timeout})
        return self._receive()

    def close(self) -> None:
        if self.proc.poll() is None:
            self._in.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()


def explain_failure(cmd: list[str], env: dict[str, str], cwd: Path, timeout: float) -> str:
    """Run the failing command once more, capturing its output for the message."""
    try:
        res = subprocess.run(
            cmd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"(timed out again after {timeout:.0f} s)"
    tail = (res.stderr or res.stdout or "").strip().splitlines()[-15:]
    return f"(re-run exit {res.returncode}); last output lines:\n    " + "\n    ".join(tail)


class Bench:
    def __init__(
        self, args: argparse.Namespace, tools: dict[str, list[str]], work: Path, port: int
    ):
        self.args = args
        self.tools = tools  # tool -> argv prefix (the executable)
        self.work = work
        self.exp_dir = work / "experiments"
        self.journals = work / "journals"
        self.journals.mkdir(parents=True, exist_ok=True)
        self.settings = work / "ctk-settings.yaml"
        self.settings.write_text("")  # an empty settings file for the CTK
        self.env = dict(os.environ, CTK_HTTP_PORT=str(port))
        self.env.pop("PYTHONPATH", None)
        # squall records every run in its run history (on by default, as for users): a
        # fresh history under WORK, so the figures do not depend on the size of the
        # user's own history (which the benchmark would otherwise grow by ~1 MB a round)
        history = work / "history.sqlite3"
        for leftover in work.glob("history.sqlite3*"):
            leftover.unlink()
        self.env["SQUALL_HISTORY"] = str(history)
        # and a recovery directory of its own: a run that was stopped and never recovered
        # in the user's directory makes every ``squall run`` read it and hash the
        # experiment to warn about it (the CTK has no such check)
        recovery = work / "runs"
        shutil.rmtree(recovery, ignore_errors=True)
        self.env["SQUALL_RECOVERY_DIR"] = str(recovery)
        if not args.inherit_pyc_env:
            # Both tools run from cached bytecode, as after a normal install: an editable
            # squall has no .pyc of its own and PYTHONDONTWRITEBYTECODE=1 (set in some
            # sandboxes and CI images) would make every squall run compile its sources,
            # while pip precompiled the CTK.  The cache goes under WORK, not the repo.
            self.env.pop("PYTHONDONTWRITEBYTECODE", None)
            self.env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        self.spawner = Spawner(self.env)

    def bytecode_env(self) -> dict[str, str | None]:
        return {k: self.env.get(k) for k in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}

    def command(self, tool: str, case: str) -> tuple[list[str], Path | None]:
        exe = self.tools[tool]  # an argv prefix
        exp_name = CASES[case][0]
        if exp_name is None:
            return [*exe, "--version"], None
        journal = self.journals / f"{tool}-{case}.json"
        exp = str(self.exp_dir / exp_name)
        if tool == SQUALL:
            cmd = [*exe, "run", "--journal-path", str(journal), exp]
        else:
            cmd = [
                *exe,
                "--no-version-check",
                "--settings",
                str(self.settings),
                "--no-log-file",
                "run",
                "--journal-path",
                str(journal),
                exp,
            ]
        return cmd, journal

    def run_checked(self, tool: str, case: str, check_journal: bool) -> dict[str, Any]:
        cmd, journal = self.command(tool, case)
        if journal is not None and journal.exists():
            journal.unlink()
        r = self.spawner.run(cmd, self.work, self.args.timeout)
        what = f"{TOOL_LABEL[tool]} {case}"
        if r.get("timed_out"):
            raise BenchError(
                f"{what}: still running after --timeout {self.args.timeout:g} s, killed.\n"
                f"  command: {' '.join(cmd)}"
            )
        if r["rc"] != 0:
            why = explain_failure(cmd, self.env, self.work, self.args.timeout)
            raise BenchError(
                f"{what}: exit code {r['rc']}, expected 0 -- a benchmark of a failing run "
                f"is meaningless.\n  command: {' '.join(cmd)}\n  {why}"
            )
        if journal is not None:
            if not journal.exists():
                raise BenchError(f"{what}: exit 0 but no journal at {journal}")
            if check_journal:
                status = json.loads(journal.read_text()).get("status")
                if status != "completed":
                    raise BenchError(f"{what}: journal status {status!r}, expected 'completed'")
        return r

    def measure(self, cases: list[str], order: list[str]) -> dict[str, dict[str, list]]:
        """warm-up, then rounds: every case, each tool in turn (A B A B ...)."""
        runs: dict[str, dict[str, list]] = {c: {t: [] for t in order} for c in cases}
        for _ in range(self.args.warmup):
            for case in cases:
                for tool in order:
                    self.run_checked(tool, case, check_journal=True)
        for rnd in range(self.args.runs):
            t0 = time.perf_counter()
            for case in cases:
                for tool in order:
                    first = not self.args.warmup and rnd == 0
                    runs[case][tool].append(self.run_checked(tool, case, check_journal=first))
            log(f"  round {rnd + 1}/{self.args.runs} done ({time.perf_counter() - t0:.1f} s)")
        return runs


# ------------------------------------------------------------------ results
def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("wall", "cpu", "peak_mib"):
        vals = [r[key] for r in runs]
        out[key] = {"median": statistics.median(vals), "min": min(vals), "max": max(vals)}
    out["n"] = len(runs)
    out["runs"] = runs
    return out


def ratio(a: float | None, b: float | None) -> float | None:
    """b / a (squall / CTK), or None when a side is missing."""
    if a is None or b is None or a == 0:
        return None
    return b / a


def build_results(
    raw: dict[str, dict[str, list]], tools: list[str], meta: dict[str, Any]
) -> dict[str, Any]:
    cases = []
    by_name: dict[str, dict[str, Any]] = {}
    for name, per_tool in raw.items():
        entry: dict[str, Any] = {
            "name": name,
            "description": CASES[name][1],
            "unit": "s",
        }
        for tool in (CTK, SQUALL):
            entry[tool] = summarize(per_tool[tool]) if tool in tools else None
        c = entry[CTK]["wall"]["median"] if entry[CTK] else None
        s = entry[SQUALL]["wall"]["median"] if entry[SQUALL] else None
        entry["ratio"] = ratio(c, s)
        # the median of the per-round ratios: each pair ran back to back, so slow drift
        # of the machine cancels out (a check on the ratio of the medians)
        entry["paired_ratio"] = (
            statistics.median(
                b["wall"] / a["wall"] for a, b in zip(per_tool[CTK], per_tool[SQUALL], strict=True)
            )
            if CTK in tools and SQUALL in tools
            else None
        )
        # user+sys CPU: barely moved by other load on the machine, unlike the wall time
        entry["cpu_ratio"] = ratio(
            entry[CTK]["cpu"]["median"] if entry[CTK] else None,
            entry[SQUALL]["cpu"]["median"] if entry[SQUALL] else None,
        )
        cases.append(entry)
        by_name[name] = entry

    derived = []
    if "python-0" in by_name and "python-1000" in by_name:
        d: dict[str, Any] = {
            "name": "per-python-activity",
            "description": "(wall(python-1000) - wall(python-0)) / 1000: the median over the "
            "rounds of each round's difference (both ran in the same round); "
            "from_medians is the same from the two medians",
            "unit": "us",
        }
        for tool in (CTK, SQUALL):
            if tool not in tools:
                d[tool] = None
                continue
            w0 = by_name["python-0"][tool]["wall"]["median"]
            w1 = by_name["python-1000"][tool]["wall"]["median"]
            paired = [
                (b["wall"] - a["wall"]) / 1000 * 1e6
                for a, b in zip(raw["python-0"][tool], raw["python-1000"][tool], strict=True)
            ]
            d[tool] = {
                "value": statistics.median(paired),
                "from_medians": (w1 - w0) / 1000 * 1e6,
            }
        d["ratio"] = ratio(
            d[CTK]["value"] if d[CTK] else None, d[SQUALL]["value"] if d[SQUALL] else None
        )
        derived.append(d)
    if "trivial" in by_name:
        d = {
            "name": "peak-memory-trivial",
            "description": "median peak RSS (max RSS via os.wait4) of the trivial run",
            "unit": "MiB",
        }
        for tool in (CTK, SQUALL):
            entry = by_name["trivial"][tool]
            d[tool] = {"value": entry["peak_mib"]["median"]} if entry else None
        d["ratio"] = ratio(
            d[CTK]["value"] if d[CTK] else None, d[SQUALL]["value"] if d[SQUALL] else None
        )
        derived.append(d)

    metrics = {f"case:{c['name']}": c for c in cases}
    metrics.update({f"derived:{d['name']}": d for d in derived})
    targets = []
    for name, key, limit, label in TARGETS:
        if key not in metrics:
            continue
        r = metrics[key]["ratio"]
        targets.append(
            {
                "name": name,
                "metric": key,
                "label": label,
                "max_ratio": limit,
                "ratio": r,
                "met": None if r is None else r <= limit,
            }
        )
    return {**meta, "cases": cases, "derived": derived, "targets": targets}


def _ms(entry: dict[str, Any] | None) -> str:
    return "-" if entry is None else f"{entry['wall']['median'] * 1e3:.1f} ms"


def _r(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _verdict(t: dict[str, Any] | None) -> str:
    if t is None:
        return ""
    if t["met"] is None:
        return f"<= {t['max_ratio']}: n/a"
    return f"<= {t['max_ratio']}: {'ok' if t['met'] else 'MISS'}"


def format_table(res: dict[str, Any]) -> str:
    tmap = {t["metric"]: t for t in res["targets"]}
    lines = [
        "| case | CTK median | squall median | squall/CTK | paired | cpu | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in res["cases"]:
        t = tmap.get(f"case:{c['name']}")
        lines.append(
            f"| {c['name']} | {_ms(c[CTK])} | {_ms(c[SQUALL])} | {_r(c['ratio'])} "
            f"| {_r(c['paired_ratio'])} | {_r(c['cpu_ratio'])} | {_verdict(t)} |"
        )
    for d in res["derived"]:
        t = tmap.get(f"derived:{d['name']}")
        vc, vs = (
            "-" if d[t] is None else f"{d[t]['value']:.1f} {d['unit']}" for t in (CTK, SQUALL)
        )
        lines.append(f"| {d['name']} | {vc} | {vs} | {_r(d['ratio'])} | | | {_verdict(t)} |")
    misses = [t["label"] for t in res["targets"] if t["met"] is False]
    met = [t for t in res["targets"] if t["met"] is not None]
    if met:
        lines.append("")
        lines.append(
            f"targets met: {len(met) - len(misses)}/{len(met)}"
            + (f"; MISSED: {', '.join(misses)}" if misses else "")
        )
    return "\n".join(lines)


# ------------------------------------------------------------------ metadata
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def shebang_python(script: str) -> str | None:
    try:
        with open(script, "rb") as f:
            first = f.readline().decode(errors="replace").strip()
    except OSError:
        return None
    if first.startswith("#!"):
        return first[2:].split()[0]
    return None


def tool_info(exe: list[str]) -> dict[str, Any]:
    info: dict[str, Any] = {"command": exe}
    res = subprocess.run([*exe, "--version"], capture_output=True, text=True, check=False)
    info["version"] = (res.stdout or res.stderr).strip()
    py = exe[0] if len(exe) > 1 else shebang_python(exe[0])
    if py:
        v = python_version_of(py)
        info["python"] = v[1] if v else None
        info["python_executable"] = v[2] if v else py
    return info


def git_state() -> dict[str, Any] | None:
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return {"commit": head, "src_dirty": bool(dirty)}


def ensure_squall_venv(work: Path, reuse: bool, python: str | None) -> Path:
    """squall as users install it, like the CTK: a regular (not editable) ``pip install``
    of this repository into a venv of its own, WORK/squall-venv, made with ``python``
    (default: the interpreter running the benchmark); returns its ``squall`` script.

    The venv holds squall and its dependencies only: no pip, no setuptools (pip runs from
    the harness with ``--python``). The developer's venv has setuptools, whose
    ``distutils-precedence.pth`` imports a module at every interpreter start (3.7 M
    instructions, about 2.5 % of a trivial run) and whose editable install adds a path
    entry; the CTK's venv (Python >= 3.12) has neither. ``--reuse-venv`` keeps the venv
    and its dependencies and reinstalls only squall, so the current tree is measured.
    """
    venv = work / "squall-venv"
    py = venv / "bin" / "python"
    fresh = not (reuse and py.exists())
    env = dict(os.environ, PIP_CACHE_DIR=str(work / "pip-cache"), PIP_DISABLE_PIP_VERSION_CHECK="1")
    steps: list[list[str]] = []
    if fresh:
        if venv.exists():
            shutil.rmtree(venv)
        base = python or getattr(sys, "_base_executable", sys.executable)
        steps.append([base, "-m", "venv", "--without-pip", str(venv)])
    pip = [sys.executable, "-m", "pip", "--python", str(py), "install", "-q"]
    steps.append([*pip, *([] if fresh else ["--no-deps", "--force-reinstall"]), str(REPO)])
    t0 = time.perf_counter()
    log(f"installing squall from {REPO} into {venv} ({'new venv' if fresh else 'squall only'})")
    _setup(steps, env, "squall venv setup")
    log(f"  pip install squall: {time.perf_counter() - t0:.1f} s")
    return venv / "bin" / "squall"


def default_squall() -> list[str]:
    """The squall script beside this interpreter, else on PATH, else `python -m squall`."""
    beside = Path(sys.executable).parent / "squall"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("squall")
    return [found] if found else [sys.executable, "-m", "squall"]


# ------------------------------------------------------------------ main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="bench/run.py",
        description="squall vs the Chaos Toolkit, interleaved, same run.",
    )
    ap.add_argument("--work", type=Path, default=Path("/tmp/squall-bench"), help="work dir")
    ap.add_argument("--runs", type=int, default=7, help="timed runs per case and tool (7)")
    ap.add_argument("--warmup", type=int, default=1, help="warm-up runs per case and tool (1)")
    ap.add_argument("--out", type=Path, default=None, help="JSON result (WORK/results.json)")
    ap.add_argument(
        "--reuse-venv",
        action="store_true",
        help="keep WORK/ctk-venv if its pins match, and WORK/squall-venv's dependencies",
    )
    ap.add_argument("--ctk-python", default=None, help="Python >= 3.12 for the CTK venv")
    ap.add_argument(
        "--squall",
        default=None,
        help="squall executable (default: side by side, WORK/squall-venv, a regular pip "
        "install of this repository; --squall-only: beside this python, else on PATH, "
        "else -m squall)",
    )
    ap.add_argument(
        "--squall-python",
        default=None,
        help="the Python of WORK/squall-venv (default: the one running the benchmark)",
    )
    ap.add_argument(
        "--squall-only", action="store_true", help="measure squall only (no CTK venv needed)"
    )
    ap.add_argument(
        "--cases",
        default=",".join(CASES),
        help=f"comma-separated subset of: {', '.join(CASES)}",
    )
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per run (300)")
    ap.add_argument(
        "--inherit-pyc-env",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE / PYTHONPYCACHEPREFIX from the environment "
        "(default: bytecode cached under WORK/pycache for both tools)",
    )
    a = ap.parse_args(argv)
    a.case_list = [c.strip() for c in a.cases.split(",") if c.strip()]
    unknown = [c for c in a.case_list if c not in CASES]
    if unknown or not a.case_list:
        ap.error(f"unknown case(s) {unknown}; choose from {', '.join(CASES)}")
    if a.runs < 1 or a.warmup < 0:
        ap.error("--runs must be >= 1 and --warmup >= 0")
    return a


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work: Path = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    out: Path = (args.out or work / "results.json").resolve()

    squall: list[str] = []  # side by side without --squall: WORK/squall-venv, below
    if args.squall:
        if not os.path.exists(args.squall):
            print(f"bench: squall executable {args.squall} not found", file=sys.stderr)
            return 2
        squall = [os.path.abspath(args.squall)]
    elif args.squall_only:
        squall = default_squall()
    tools = {SQUALL: squall}
    server = None
    bench: Bench | None = None
    try:
        if not args.squall_only:
            venv = ensure_ctk_venv(work, args.reuse_venv, args.ctk_python)
            tools[CTK] = [str(venv / "bin" / "chaos")]
        if not squall:
            tools[SQUALL] = [str(ensure_squall_venv(work, args.reuse_venv, args.squall_python))]
        order = [t for t in (CTK, SQUALL) if t in tools]  # A = CTK, B = squall

        write_experiments(work / "experiments")
        server = start_http_server(work / "www")
        port = server.server_address[1]
        bench = Bench(args, tools, work, port)

        meta = {
            "schema": SCHEMA,
            "mode": "squall-only" if args.squall_only else "side-by-side",
            "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "argv": [sys.executable, *sys.argv] if argv is None else argv,
            "runs": args.runs,
            "warmup": args.warmup,
            "order": order,
            "machine": {
                "nproc": os.cpu_count(),
                "affinity": len(os.sched_getaffinity(0))
                if hasattr(os, "sched_getaffinity")
                else None,
                "cpu_model": cpu_model(),
                "platform": platform.platform(),
                "harness_python": platform.python_version(),
            },
            "tools": {t: tool_info(exe) for t, exe in tools.items()},
            "squall_git": git_state(),
            "http_port": port,
            "bytecode_env": bench.bytecode_env(),
            "peak_floor_mib": bench.spawner.floor_mib,
            "work": str(work),
        }
        log(
            f"measuring {', '.join(args.case_list)}: {args.warmup} warm-up + {args.runs} runs "
            f"each, tools {' / '.join(TOOL_LABEL[t] for t in order)}, interleaved"
        )
        t0 = time.perf_counter()
        raw = bench.measure(args.case_list, order)
        meta["elapsed_s"] = round(time.perf_counter() - t0, 2)
    except BenchError as exc:
        print(f"bench: ABORTED: {exc}", file=sys.stderr)
        return 1
    finally:
        if bench is not None:
            bench.spawner.close()
        if server is not None:
            server.shutdown()
            server.server_close()

    res = build_results(raw, order, meta)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1) + "\n")
    print(format_table(res))
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
