"""The "Move from the Chaos Toolkit" page (docs/migrating.md) shows every file of its
example, docs/examples/from-chaostoolkit/, whose extension is written the Chaos Toolkit's
way (it imports chaoslib and logzero, and no squall name), and what its commands write is
kept out of git by the example's .gitignore. Its console blocks (drivers and discover, the
settings file, validate and lint, a run with its control, the CI job, a run whose steady
state does not hold) run in tests/docs/test_console_blocks.py on the installed example."""

from __future__ import annotations

import re
from fnmatch import fnmatch
from pathlib import Path

from sqexamples import example_files, ignored

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "migrating.md"
EXAMPLE = ROOT / "docs" / "examples" / "from-chaostoolkit"
SNIPPET = re.compile(r'--8<-- "([^"]+)"')


def test_every_file_of_the_example_is_shown() -> None:
    shown = set(SNIPPET.findall(PAGE.read_text(encoding="utf-8")))
    assert shown == example_files(EXAMPLE, "docs/examples/from-chaostoolkit")
    assert "docs/examples/from-chaostoolkit/.gitignore" in shown


def test_the_extension_is_a_chaos_toolkit_one() -> None:
    """What the page promises: an extension as the team wrote it for chaos, unchanged."""
    package = EXAMPLE / "chaosplatform"
    sources = {p.name: p.read_text(encoding="utf-8") for p in package.glob("*.py")}
    assert set(sources) == {"__init__.py", "probes.py", "actions.py", "control.py"}
    for name, text in sources.items():
        assert not re.search(r"^\s*(from|import) squall", text, re.M), name
        assert re.search(r"^from chaoslib[.\w]* import ", text, re.M), name
    assert "from chaoslib.exceptions import ActivityFailed" in sources["actions.py"]
    assert "def discover(" in sources["__init__.py"]
    pyproject = (EXAMPLE / "pyproject.toml").read_text(encoding="utf-8")
    assert 'name = "chaostoolkit-platform"' in pyproject
    assert "squall.drivers" not in pyproject  # listed as a chaostoolkit-* distribution


def test_what_the_page_writes_is_ignored() -> None:
    """The outputs the page's commands name: journals, the audit log, flags, reports."""
    text = PAGE.read_text(encoding="utf-8") + (EXAMPLE / "ci.sh").read_text(encoding="utf-8")
    written = {"journal.json", "audit.log", "discovery.json", "flags", "ci.log"}
    written |= set(re.findall(r"--journal-dir (\w+)", text))
    written |= {w.split("/")[0] for w in re.findall(r"(?:--junit|:)(out/[\w.]+)", text)}
    assert "out" in written
    patterns = ignored(EXAMPLE)
    assert [w for w in sorted(written) if not any(fnmatch(w, p) for p in patterns)] == []
