"""Shared fixtures: real loopback servers, CLI runners, and an environment-leak guard."""

from __future__ import annotations

import atexit
import compileall
import contextlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

SUPPORT = Path(__file__).resolve().parent / "support"
if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))

# the hooks that split the suite under ``pytest -n``, longest units first (and relay
# workers' summaries)
from sqxdist import (  # noqa: E402, F401
    add_section,
    pytest_collection_modifyitems,
    pytest_terminal_summary,
    pytest_testnodedown,
    pytest_xdist_make_scheduler,
)

import sqlifeline  # noqa: E402
from pgserver import PostgresServer, postgres_or_skip  # noqa: E402
from sqdemo import running_demo  # noqa: E402
from sqharness import EXAMPLES, CliResult, LocalServer, subprocess_env  # noqa: E402
from temporal import TemporalServer, temporal_binary_or_skip  # noqa: E402

# whatever this pytest process starts (the shared demo's detached components included) is
# ended when it ends, even by kill -9 (and its temporary directories removed)
sqlifeline.hold()

# No process the tests start writes bytecode into the checkout (docs/examples, scripts,
# tests/conformance, tests/support...): other tests copy or walk those folders meanwhile,
# and a .pyc renamed into place mid-copy fails the copy (as .hypothesis failed the wheel
# build in CI). CI now runs the suite as the developers' shells do
# (PYTHONDONTWRITEBYTECODE=1). squall's own sources are compiled once, before any worker
# starts (as ./dev does), so that its many subprocesses do not compile them at each start.
if "PYTEST_XDIST_WORKER" not in os.environ:
    compileall.compile_dir(SUPPORT.parents[1] / "src" / "squall", quiet=1)
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
sys.dont_write_bytecode = True  # this process too (xdist workers inherit the variable)

# Property tests judge behaviour, not speed: hypothesis' default deadline (200 ms per
# example) fails them on a loaded 2-core machine (a CI box running three workers), as it
# did test_interpolate_is_template_safe_substitute and test_encode_entry_equals_encoding_
# the_mapping in session 8. A test's own @settings may still set a deadline.
settings.register_profile("squall", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("squall")

# No test writes to the real run history in the user's data directory: every squall run
# (in-process or in a subprocess, which inherits the environment) records into a file
# under a temporary directory unless a test chooses another place.
_HISTORY_DIR = tempfile.mkdtemp(prefix="squall-test-history-")
atexit.register(shutil.rmtree, _HISTORY_DIR, ignore_errors=True)
sqlifeline.remove_at_end(_HISTORY_DIR)
os.environ["SQUALL_HISTORY"] = os.path.join(_HISTORY_DIR, "history.sqlite3")


CONFORMANCE = Path(__file__).resolve().parent / "conformance"
_CTK_PREBUILD = pytest.StashKey[subprocess.Popen[bytes]]()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under ``-n``, the controller (it runs no test) builds the Chaos Toolkit reference
    venvs of tests/conformance in the background (ctkenv.py; at once when up to date)
    while the workers run other tests: the worker that runs tests/conformance finds them
    built, or waits on ctkenv's lock for the build under way, instead of starting it then
    (in a clean clone, the run venv took 2 of that unit's minutes at load ~30). A build
    that fails is tried again, and reported, by the worker that needs it."""
    config = session.config
    if hasattr(config, "workerinput") or not config.getoption("numprocesses", None):
        return
    if not any(_within(arg, CONFORMANCE) for arg in config.args):
        return
    config.stash[_CTK_PREBUILD] = subprocess.Popen(
        [sys.executable, str(CONFORMANCE / "ctkenv.py"), "run", "report"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _within(arg: str, folder: Path) -> bool:
    """Whether the command-line path ``arg`` (maybe ``path::test``) selects tests in
    ``folder`` (it is the folder, a parent of it, or in it)."""
    path = Path(arg.split("::", 1)[0]).resolve()
    return path == folder or folder.is_relative_to(path) or path.is_relative_to(folder)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The background build of ``pytest_sessionstart``, if still going, is stopped (a
    selection without tests/conformance may not need it; a half-built venv is removed
    by the next build)."""
    build = session.config.stash.get(_CTK_PREBUILD, None)
    if build is not None and build.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(build.pid, signal.SIGTERM)
        build.wait()


@pytest.fixture(autouse=True)
def _no_env_leak() -> Iterator[None]:
    """Fail a test that leaves os.environ changed (squall sets SQUALL_RUN_ID on purpose)."""
    before = dict(os.environ)
    yield
    volatile = ("SQUALL_RUN_ID", "PYTEST_CURRENT_TEST")
    after = {k: v for k, v in os.environ.items() if k not in volatile}
    before = {k: v for k, v in before.items() if k not in volatile}
    for key in set(after) - set(before):
        del os.environ[key]
    os.environ.update(before)
    assert after == before, "the test leaked environment changes"


#: stop signals a test must not leave ignored in the pytest process: every later child
#: inherits an ignore (a full run once had SIGINT and SIGQUIT ignored in an xdist worker,
#: as a C ``system()`` leaves them while it runs, and a test's SIGINT did not stop squall)
_STOP_SIGNALS = (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM)


def _ignored_stop_signals() -> set[signal.Signals]:
    """The stop signals this process ignores, as the kernel has them (/proc/self/status:
    Python's own table does not see a disposition changed in C)."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return set()
    found = re.search(r"^SigIgn:\s*([0-9a-f]+)$", status, re.M)
    mask = int(found.group(1), 16) if found else 0
    return {sig for sig in _STOP_SIGNALS if mask >> (sig - 1) & 1}


#: the stop signals this process ignored when it started (a caller's choice, kept)
_IGNORED_AT_START = _ignored_stop_signals()


def _put_back_stop_signals(config: pytest.Config, where: str) -> None:
    """Stop signals ignored now and not at the start are put back to their default, and
    ``where`` (a test, or the fixtures before it) is named in the summary."""
    leaked = _ignored_stop_signals() - _IGNORED_AT_START
    for sig in leaked:
        signal.signal(sig, signal.default_int_handler if sig == signal.SIGINT else signal.SIG_DFL)
    if leaked:
        names = ", ".join(sorted(sig.name for sig in leaked))
        add_section(config, "stop signals left ignored", f"{where}: {names}")


@pytest.fixture(autouse=True)
def _no_ignored_stop_signal(request: pytest.FixtureRequest) -> Iterator[None]:
    """A stop signal left ignored, by a test or by a fixture (found before the next test),
    is put back to its default (so later tests' children get it), and who left it is
    named at the end of the run's summary."""
    _put_back_stop_signals(request.config, f"before {request.node.nodeid} (a fixture?)")
    yield
    _put_back_stop_signals(request.config, request.node.nodeid)


@pytest.fixture(scope="session")
def shared_demo() -> Iterator[Any]:
    """The demo (healthy), started once per session (per xdist worker); a test that
    changes it must put it back (rollbacks), as every experiment does."""
    yield from running_demo(misconfigured=False)


@pytest.fixture(scope="session")
def shared_misconfigured_demo() -> Iterator[Any]:
    """The misconfigured demo, started once per session (per xdist worker)."""
    yield from running_demo(misconfigured=True)


_RECOVERY_DIRS = iter(range(1 << 30))


#: the test experiments' scratch files named by environment variable (tests/examples:
#: ``{"type": "env", "key": ..., "default": "/tmp/squall-test-..."}``)
SCRATCH_VARIABLES = {
    "SQUALL_TEST_MARKER": "marker",
    "SQUALL_TEST_LOG": "log",
    "SQUALL_TEST_POINTS": "points",
    "SQUALL_TEST_EFFECTS": "effects",
}


@pytest.fixture(autouse=True)
def _own_recovery_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test has its own recovery directory (the runs' event streams), so a run one
    test leaves unrecovered is not listed, nor warned about, in another; and its own
    scratch files for the experiments whose defaults are machine-wide /tmp paths: two
    pytest processes (xdist workers, two checkouts) running deviated.json at once shared
    /tmp/squall-test-marker, and one's marker made the other's run 'not-run'."""
    number = next(_RECOVERY_DIRS)
    monkeypatch.setenv("SQUALL_RECOVERY_DIR", os.path.join(_HISTORY_DIR, f"recovery-{number}"))
    scratch = os.path.join(_HISTORY_DIR, f"scratch-{number}")
    os.mkdir(scratch)
    for variable, name in SCRATCH_VARIABLES.items():
        monkeypatch.setenv(variable, os.path.join(scratch, name))


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


@pytest.fixture
def squall(tmp_path: Path) -> Any:
    """Run the real ``squall`` console script in a subprocess; returns CliResult.
    ``timeout``: seconds of wall time; ``cpu_seconds``: seconds of CPU time the squall
    process may use (``RLIMIT_CPU``: the kernel ends it with SIGXCPU), the bound to give a
    run that must end in bounded time but does seconds of work, which a loaded machine
    stretches past any wall-time bound."""

    def run(
        *args: str,
        env: dict[str, str] | None = None,
        timeout: float = 60,
        cpu_seconds: int | None = None,
    ) -> CliResult:
        journal = tmp_path / "journal.json"
        argv = [
            sys.executable,
            "-m",
            "squall",
            "--settings",
            str(tmp_path / "settings.yaml"),
            *args,
        ]
        if args and args[0] == "run" and "--journal-path" not in args:
            argv[6:6] = ["--journal-path", str(journal)]
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=tmp_path,
            env=subprocess_env(**(env or {})),
            stdin=subprocess.DEVNULL,
            check=False,
            preexec_fn=None if cpu_seconds is None else _cpu_limit(cpu_seconds),
        )
        data = json.loads(journal.read_text()) if journal.exists() else None
        return CliResult(done.returncode, done.stdout, done.stderr, data)

    return run


def _cpu_limit(seconds: int) -> Callable[[], None]:
    """A ``preexec_fn`` setting the child's ``RLIMIT_CPU`` to ``seconds``."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))

    return limit


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    server = LocalServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server on loopback for the session (skips when not installed;
    fails instead under CI=true)."""
    server = PostgresServer(postgres_or_skip())
    yield server
    server.stop()


@pytest.fixture(scope="session")
def temporal_server() -> Iterator[TemporalServer]:
    """A real Temporal dev server on loopback for the session, one per xdist worker
    (``.address`` is "127.0.0.1:PORT", ``.namespace`` "default", ``.env()`` the variables a
    squall subprocess needs), its database in memory (a test that restarts a server or
    reads what it stored starts its own, ``persist=True``); skips when the binary is
    missing, fails instead under CI=true."""
    server = TemporalServer(temporal_binary_or_skip(), persist=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def squall_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """squall's wheel, built from this checkout once for the whole run (xdist workers
    share their base temp directory's parent), for the tests that install squall into a
    fresh venv (tests/support/sqvenv.py)."""
    from sqvenv import squall_wheel as build

    base = tmp_path_factory.getbasetemp()
    return build(base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of a fresh, empty database on the test server."""
    return postgres_server.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def history_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """An empty run store of each kind (SQLite file; database on a real PostgreSQL)."""
    from squall.journal.history import open_history

    if request.param == "postgresql":
        target = request.getfixturevalue("postgres_url")
    else:
        target = str(tmp_path / "history.sqlite3")
    store = open_history(target)
    yield store
    store.close()
