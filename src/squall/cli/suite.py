"""Suites: ``squall run a.json b.yaml dir/`` runs several experiments in turn.

The rules (docs/reference/cli.md, "Several experiments"):

- a directory stands for its experiment files (``*.json``, ``*.yaml``, ``*.yml``, not its
  subdirectories), in name order; files and URLs run in the order given;
- every experiment is checked before the first one runs: one invalid experiment means none
  runs (exit 2), as for a single run, nothing is injected before everything was checked;
- each run keeps its own journal, named after its experiment in ``--journal-dir``;
- the suite ends with one summary table and the most severe exit code (``SEVERITY``);
- ``--stop-on-failure`` stops after the first run that did not hold; an interrupted run
  (a signal) always stops the suite.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

from squall.cli._errors import usage_error
from squall.show import counted

__all__ = [
    "SEVERITY",
    "SuiteEntry",
    "expand_sources",
    "journal_paths",
    "print_summary",
    "suite_exit_code",
    "worst_exit_code",
]

#: exit codes from the least to the most severe: held, deviated, broken, not run, bad
#: input, interrupted. The order of the outcomes is the one a single run uses
#: (squall.engine.verdict.decide: interrupted > not run > broken > deviated > held); bad
#: input (2) ranks just below an interruption: the suite did not do what was asked.
SEVERITY: tuple[int, ...] = (0, 1, 3, 4, 2, 130)

_SUFFIXES = (".json", ".yaml", ".yml")
_WORDS = {0: "held", 1: "deviated", 2: "bad input", 3: "broken", 4: "not run", 130: "interrupted"}


class SuiteEntry:
    """One experiment of a suite, once it ran (or was refused). ``stopped``: a run the
    suite itself stopped for ``--stop-on-failure`` (Temporal starts every run at once, so
    the later ones are stopped rather than never started): shown, but its exit code does
    not count, as the runs a local suite leaves out do not."""

    def __init__(
        self,
        source: str,
        exit_code: int,
        seconds: float,
        reason: str,
        journal: str | None,
        *,
        stopped: bool = False,
    ) -> None:
        self.source = source
        self.exit_code = exit_code
        self.seconds = seconds
        self.reason = reason
        self.journal = journal
        self.stopped = stopped


def _is_remote(source: str) -> bool:
    return source == "-" or source.startswith(("http://", "https://"))


def expand_sources(sources: Iterable[str]) -> list[str]:
    """The experiments named by ``sources``: directories stand for their experiment files."""
    expanded: list[str] = []
    for source in sources:
        if not _is_remote(source) and os.path.isdir(source):
            from pathlib import Path

            path = Path(source)
            found = sorted(p for p in path.iterdir() if p.suffix in _SUFFIXES and p.is_file())
            if not found:
                raise usage_error(f"{source}: no experiment files (*.json, *.yaml, *.yml)")
            expanded.extend(str(p) for p in found)
        else:
            expanded.append(source)
    if expanded.count("-") > 1:
        raise usage_error("'-' (standard input) can be read only once")
    return expanded


def journal_paths(sources: list[str], directory: str) -> list[str]:
    """One journal per experiment, named after it: ``DIR/<stem>.journal.json``; a name that
    two experiments share gets ``-2``, ``-3`` ... in the order given."""
    from pathlib import Path

    taken: set[str] = set()
    paths = []
    for source in sources:
        stem = "stdin" if source == "-" else Path(source.rstrip("/").split("?")[0]).stem
        name, n = f"{stem}.journal.json", 1
        while name in taken:
            n += 1
            name = f"{stem}-{n}.journal.json"
        taken.add(name)
        paths.append(str(Path(directory) / name))
    return paths


def worst_exit_code(codes: Iterable[int]) -> int:
    """The most severe of ``codes`` by ``SEVERITY`` (an unknown code counts as broken)."""
    rank = {code: i for i, code in enumerate(SEVERITY)}
    return max(codes, key=lambda code: rank.get(code, rank[3]), default=0)


def suite_exit_code(entries: Iterable[SuiteEntry]) -> int:
    """The suite's exit code: the worst of its runs', but those it stopped itself."""
    return worst_exit_code(e.exit_code for e in entries if not e.stopped)


def print_summary(entries: list[SuiteEntry], skipped: list[str], *, json_lines: bool) -> None:
    """One table on stderr (one JSON line with ``--log-format json``)."""
    code = suite_exit_code(entries)
    if json_lines:
        import json

        record = {
            "event": "suite",
            "exit_code": code,
            "runs": [e.__dict__ for e in entries],
            "skipped": skipped,
        }
        sys.stderr.write(json.dumps(record) + "\n")
        return
    width = max(len(e.source) for e in entries)
    out = [f"squall: {counted(len(entries), 'experiment')}, exit {code} ({_WORDS.get(code, '?')})"]
    for e in entries:
        word = _WORDS.get(e.exit_code, f"exit {e.exit_code}")
        timing = f"{e.exit_code:>3}  {e.seconds:6.1f} s"
        out.append(f"  {e.source:<{width}}  {word:<11} {timing}  {e.reason}")
    out.extend(f"  {source:<{width}}  not run (--stop-on-failure)" for source in skipped)
    sys.stderr.write("\n".join(out) + "\n")
