"""Every ``console`` block of the documentation (and of README.md) is run, and what it
shows is what squall prints.

A block is a sequence of ``$ command`` lines, each followed by the output it shows. Each
block runs in a fresh directory holding a copy of ``docs/examples/`` (flat, as the pages
use it) and of the repository's ``examples/``, with this venv's ``squall`` first on
``PATH``, a run history of its own and no user settings; its commands run one after the
other in one ``bash``, so ``cd`` and files carry over. The output shown must match what
the command printed (stdout and stderr together), line by line, with:

- durations (``1.5 ms``), run ids (``run 5f0c8e21a9b4``), the interpreter's path and
  the Python version the demo leaks (``Python/3.11.7``) matching any value;
- a line ``...`` matching any number of lines (none included);
- trailing spaces ignored. A command shown without output may print anything, but
  must succeed (exit 0).

The nearest non-blank line before a block may say how to run it:

- ``<!-- console: demo normal -->`` / ``<!-- console: demo misconfigured -->``: with the
  session's shared demo (``SQUALL_DEMO_DIR`` points at it), so ``squall demo vars`` and
  the workshop's checks work; the block must leave the demo as it found it;
- ``<!-- console: file NAME -->``: the page's fenced block just above the console block
  (the experiment the text shows) is written to NAME first;
- ``<!-- console: in DIR -->``: run in a copy of ``docs/examples/DIR``, a package that
  is installed first (``pip install --target``, once per session) as the page's tutorial
  has it installed. Such a block runs in a throwaway virtual environment of its own that
  sees this venv's packages and the installed package (after its own): what its
  commands install (the tutorial's ``pip install -e .``) lands there, never in the venv
  running the tests (checked after the module's tests: no new ``.pth`` or
  ``.dist-info`` appears in it);
- ``<!-- console: not run: REASON -->``: not run, for REASON (a fresh virtual
  environment, a fixed port, an editor...). The reason is required, and the list of
  such blocks is printed by ``test_blocks_not_run_say_why``.

- ``<!-- console: temporal -->``: with the session's Temporal dev server (tests/support/
  temporal.py) in the environment (``SQUALL_TEMPORAL_ADDRESS``, and the namespace
  ``squall-docs``, which only these blocks use: a block removes what it creates); in what
  it prints, that server's address reads ``localhost:7233`` and its namespace ``default``
  (the defaults a reader has).

Any other block runs with ``SQUALL_DEMO_DIR`` set to a directory of its own; a demo it
starts (on free ports: ``--base-port 0``) is stopped afterwards. Timestamps
(``2026-12-05T03:00:00Z``) match any value.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlock import machine_lock

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
#: the front page, whose first example a newcomer runs before any page of docs/
README = ROOT / "README.md"
FENCE = re.compile(r"^```console\s*$")
MARK = re.compile(r"^<!-- console: (?P<what>.*?) -->$")
SEPARATOR = "@@squall-console-command@@"
#: the Temporal namespace of the ``temporal`` blocks (the dev server creates it at start)
DOCS_NAMESPACE = "squall-docs"
STATUS = "@@squall-console-status@@ "


@dataclass(frozen=True)
class Step:
    command: str
    shown: list[str]


@dataclass(frozen=True)
class ConsoleBlock:
    page: Path
    line: int
    mark: str
    steps: list[Step]
    above: str  # the nearest fenced block above it (for ``file NAME``)

    @property
    def id(self) -> str:
        where = self.page.relative_to(DOCS) if self.page.is_relative_to(DOCS) else self.page.name
        return f"{where}:{self.line}"

    @property
    def not_run(self) -> str | None:
        return self.mark[len("not run:") :].strip() if self.mark.startswith("not run") else None

    @property
    def demo(self) -> str | None:
        return self.mark.split()[1] if self.mark.startswith("demo ") else None

    def _word(self, verb: str) -> str | None:
        return self.mark.split()[1] if self.mark.startswith(f"{verb} ") else None

    @property
    def file(self) -> str | None:
        return self._word("file")

    @property
    def directory(self) -> str | None:
        return self._word("in")


def _steps(lines: list[str]) -> list[Step]:
    steps: list[Step] = []
    for line in lines:
        if line.startswith("$ "):
            command = line[2:]
            if steps and steps[-1].command.endswith("\\") and not steps[-1].shown:
                previous = steps.pop()
                command = previous.command[:-1] + " " + command
            steps.append(Step(command, []))
        elif steps:
            steps[-1].shown.append(line)
    return steps


_ANY_FENCE = re.compile(r"^\s*```[A-Za-z0-9_-]+\s*$")


def _above(lines: list[str], index: int) -> str:
    """The body of the nearest fenced (non-console) block that ends above ``index``."""
    end = index - 1
    while end >= 0 and lines[end].strip() != "```":
        end -= 1
    start = end - 1
    while start >= 0 and not _ANY_FENCE.match(lines[start]):
        start -= 1
    if start < 0:
        return ""
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    body = lines[start + 1 : end]
    return "\n".join(ln[len(indent) :] if ln.startswith(indent) else ln for ln in body) + "\n"


def console_blocks() -> list[ConsoleBlock]:
    found = []
    for page in [*sorted(DOCS.rglob("*.md")), README]:
        lines = page.read_text(encoding="utf-8").splitlines()
        index = 0
        while index < len(lines):
            if not FENCE.match(lines[index].strip()):
                index += 1
                continue
            indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
            previous = next((ln.strip() for ln in reversed(lines[:index]) if ln.strip()), "")
            mark = MARK.match(previous)
            end = index + 1
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            body = [
                ln[len(indent) :] if ln.startswith(indent) else ln for ln in lines[index + 1 : end]
            ]
            what = mark.group("what") if mark else ""
            found.append(ConsoleBlock(page, index + 1, what, _steps(body), _above(lines, index)))
            index = end + 1
    return found


BLOCKS = console_blocks()
RUN = [b for b in BLOCKS if b.not_run is None]


# --- matching --------------------------------------------------------------------------

_NORMALISE = [
    (re.compile(r"\b\d+(\.\d+)? ms\b"), "<N> ms"),
    (re.compile(r"\brun [0-9a-f]{12}\b"), "run <ID>"),
    (re.compile(r"interpreter \S+"), "interpreter <PYTHON>"),
    (re.compile(r"Python/3\.\d+\.\d+"), "Python/<VERSION>"),
    (re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\b"), "<TIME>"),
    (re.compile(r"( passed| failed)(, \d+ \w+)* in \d+(\.\d+)?s$"), r"\1"),
]


def _normal(line: str) -> str:
    line = line.rstrip()
    for pattern, replacement in _NORMALISE:
        line = pattern.sub(replacement, line)
    return line


def matches(shown: list[str], printed: list[str]) -> bool:
    """Whether the lines shown match those printed (``...`` is any run of lines)."""
    want = [_normal(s) for s in shown]
    got = [_normal(p) for p in printed]
    while want and not want[-1]:
        want.pop()
    while got and not got[-1]:
        got.pop()

    def fit(i: int, j: int) -> bool:
        if i == len(want):
            return j == len(got)
        if want[i].strip() == "...":
            return any(fit(i + 1, k) for k in range(j, len(got) + 1))
        return j < len(got) and want[i] == got[j] and fit(i + 1, j + 1)

    return fit(0, 0)


def test_matching_rules() -> None:
    assert matches(["a 1.5 ms", "...", "z"], ["a 0.3 ms", "b", "c", "z"])
    assert matches(["x (f.json, run 0123456789ab)"], ["x (f.json, run fedcba987654)  "])
    assert matches(["a", "...", "b"], ["a", "b"])
    assert not matches(["a", "b"], ["a", "c"])
    assert not matches(["a"], ["a", "extra"])
    assert not matches(["ok before"], ["MISS before"])


# --- running ---------------------------------------------------------------------------


def _workdir(block: ConsoleBlock, tmp_path: Path) -> Path:
    work = tmp_path / "work"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    if block.directory:
        shutil.copytree(DOCS / "examples" / block.directory, work, ignore=ignore)
        return work
    work.mkdir()
    for path in (DOCS / "examples").iterdir():
        if path.is_file():
            shutil.copy(path, work / path.name)
    shutil.copytree(ROOT / "examples", work / "examples", ignore=ignore)
    shutil.copytree(DOCS / "examples", work / "docs" / "examples", ignore=ignore)
    if block.file:
        (work / block.file).write_text(block.above, encoding="utf-8")
    return work


_INSTALLED: dict[str, Path] = {}


def _installed(directory: str) -> Path:
    """``docs/examples/DIRECTORY`` installed into a directory of its own (once)."""
    if directory not in _INSTALLED:
        site = Path(tempfile.mkdtemp(prefix="squall-console-site-"))
        atexit.register(shutil.rmtree, site, ignore_errors=True)
        source = site / "src"
        ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
        shutil.copytree(DOCS / "examples" / directory, source, ignore=ignore)
        done = subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
             str(site / "lib"), str(source)],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        _INSTALLED[directory] = site / "lib"
    return _INSTALLED[directory]


VENV_BIN = Path(sys.executable).parent
VENV_SITE = Path(sysconfig.get_path("purelib"))


def _overlay_venv(where: Path, lib: Path) -> Path:
    """A throwaway virtual environment (no pip of its own) that sees this venv's packages
    and ``lib`` after its own, with this venv's console scripts (``squall``, ``pip``,
    ``pytest``...) pointed at its interpreter: a ``pip install`` run there installs into
    it, not into the venv running the tests. Its ``bin`` directory."""
    root = where / "overlay-venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(root)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = root / "lib" / version / "site-packages"
    (site / "_squall_console_overlay.pth").write_text(
        f"import site; site.addsitedir({str(lib)!r}); site.addsitedir({str(VENV_SITE)!r})\n",
        encoding="utf-8",
    )
    python = root / "bin" / "python"
    for script in VENV_BIN.iterdir():
        target = root / "bin" / script.name
        if target.exists() or not script.is_file():
            continue
        with script.open("rb") as handle:
            first = handle.readline()
        if first.startswith(f"#!{VENV_BIN}/python".encode()):
            target.write_bytes(f"#!{python}\n".encode() + script.read_bytes()[len(first) :])
            target.chmod(0o755)
    return root / "bin"


def _site_packages_entries() -> set[str]:
    """What an install leaves in this venv's site-packages."""
    return {
        p.name
        for pattern in ("*.pth", "*.dist-info", "*.egg-link", "*.egg-info")
        for p in VENV_SITE.glob(pattern)
    }


@pytest.fixture(autouse=True, scope="module")
def _venv_is_left_alone() -> Iterator[None]:
    """No block (the tutorial's ``pip install -e .``) installs into the venv running the
    tests: an editable install there changed every later interpreter start."""
    before = _site_packages_entries()
    yield
    added = _site_packages_entries() - before
    assert not added, f"the console blocks installed into the test venv {VENV_SITE}: {added}"


def _environment(tmp_path: Path, demo_dir: Path, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SQUALL_SETTINGS", "PYTHONPATH")}
    env.update(
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        SQUALL_HISTORY=str(tmp_path / "history.sqlite3"),
        SQUALL_DEMO_DIR=str(demo_dir),
        HOME=str(tmp_path / "home"),
        COLUMNS="80",
        NO_COLOR="1",
    )
    return env


#: the fixed port of the write-a-driver tutorial's driver (docs/examples/first-driver)
TUTORIAL_PORT = "47123"


#: a step that runs activities or tests (what may open the port), not one that only
#: installs, discovers, validates or writes an experiment
RUNS_CODE = re.compile(r"\bsquall run\b|\bpytest\b")


def _uses_tutorial_port(block: ConsoleBlock) -> bool:
    """Whether the block may open the tutorial's port: one of its steps runs activities
    or tests, and its commands or its directory's files name the port. (The blocks that
    only discover, install or validate the tutorial's driver took the lock too, and
    waited 46-146 s behind other checkouts' tutorial runs on a shared machine.)"""
    if not any(RUNS_CODE.search(step.command) for step in block.steps):
        return False
    if any(TUTORIAL_PORT in step.command for step in block.steps):
        return True
    folder = DOCS / "examples" / (block.directory or "")
    return block.directory is not None and any(
        TUTORIAL_PORT.encode() in path.read_bytes() for path in folder.rglob("*") if path.is_file()
    )


def run_block(
    block: ConsoleBlock, tmp_path: Path, demo_dir: Path, extra_env: dict[str, str] | None = None
) -> list[list[str]]:
    """Run the block's commands in one bash; the output of each, as lines. The tutorial's
    driver listens on a fixed port (47123): the blocks that use it run one at a time on
    this machine (the others, from-chaostoolkit's, waited their turn too, behind other
    checkouts' tutorial tests: 60-100 s each under a shared machine's load)."""
    if _uses_tutorial_port(block):
        with machine_lock(f"port-{TUTORIAL_PORT}"):
            return _run_block(block, tmp_path, demo_dir, extra_env or {})
    return _run_block(block, tmp_path, demo_dir, extra_env or {})


def _run_block(
    block: ConsoleBlock, tmp_path: Path, demo_dir: Path, extra_env: dict[str, str]
) -> list[list[str]]:
    script = "__status=0\n" + "\n".join(
        f"echo {SEPARATOR}\n(exit $__status)\n{step.command} 2>&1\n__status=$?\n"
        f"echo {STATUS}$__status"
        for step in block.steps
    )
    work = _workdir(block, tmp_path)
    env = {**_environment(tmp_path, demo_dir, work), **extra_env}
    if block.directory:
        overlay = _overlay_venv(tmp_path, _installed(block.directory))
        env["PATH"] = os.pathsep.join([str(overlay), env["PATH"]])
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    parts = done.stdout.split(SEPARATOR + "\n")[1:]
    return [part.splitlines() for part in parts]


def split_status(printed: list[str]) -> tuple[list[str], int | None]:
    """The output of a step without its status line, and the exit status."""
    if printed and printed[-1].startswith(STATUS):
        return printed[:-1], int(printed[-1][len(STATUS) :])
    return printed, None


@pytest.mark.parametrize("block", RUN, ids=lambda b: b.id)
def test_console_block_shows_what_squall_prints(
    block: ConsoleBlock, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    assert block.steps, f"{block.id}: a console block without a `$ command`"
    own_demo = tmp_path / "demo-state"
    demo_dir = own_demo
    if block.demo is not None:
        assert block.demo in ("normal", "misconfigured"), block.id
        name = "shared_demo" if block.demo == "normal" else "shared_misconfigured_demo"
        demo_dir = request.getfixturevalue(name).state_dir
    extra_env, seen_as = {}, {}
    if block.mark == "temporal":
        server = request.getfixturevalue("temporal_server")
        extra_env = {
            "SQUALL_TEMPORAL_ADDRESS": server.address,
            "SQUALL_TEMPORAL_NAMESPACE": DOCS_NAMESPACE,
        }
        seen_as = {
            server.address: "localhost:7233",
            f"namespace {DOCS_NAMESPACE}": "namespace default",
            # the block's directory (_workdir), as scale-out.md names it: a schedule
            # names its experiment file by its absolute path
            str(tmp_path / "work"): "/home/me/chaos",
        }
    try:
        outputs = run_block(block, tmp_path, demo_dir, extra_env)
    finally:
        subprocess.run(
            [sys.executable, "-m", "squall", "demo", "down", "--state-dir", str(own_demo)],
            capture_output=True, timeout=60, check=False,
        )  # fmt: skip
    assert len(outputs) == len(block.steps), f"{block.id}: the block stopped early: {outputs}"
    for step, raw in zip(block.steps, outputs, strict=True):
        printed, status = split_status(raw)
        for real, shown_as in seen_as.items():
            printed = [line.replace(real, shown_as) for line in printed]
        if not step.shown:
            assert status == 0, (
                f"{block.id}: `{step.command}` shows no output, so it must succeed, but it "
                f"exits {status}:\n" + "\n".join(printed)
            )
            continue
        shown = "\n".join(step.shown)
        got = "\n".join(printed)
        assert matches(step.shown, printed), (
            f"{block.id}: `{step.command}` shows\n{shown}\n--- but prints ---\n{got}"
        )


def test_blocks_not_run_say_why() -> None:
    skipped = [b for b in BLOCKS if b.not_run is not None]
    for block in skipped:
        assert len(block.not_run or "") >= 10, f"{block.id}: say why it is not run"
    known = ("demo ", "file ", "in ")
    unknown = [
        b.id
        for b in BLOCKS
        if b.mark and b.not_run is None and not b.mark.startswith(known) and b.mark != "temporal"
    ]
    assert not unknown, f"unknown console marks: {unknown}"
    assert len(RUN) > len(skipped), "most console blocks are run"
    print(f"{len(RUN)} console blocks run, {len(skipped)} not run:")
    for block in skipped:
        print(f"  {block.id}: {block.not_run}")
