"""The Temporal engine reaches the same verdict, exit code and (normalised) journal as
the local engine: the repository's example experiments, run both ways by real ``squall``
processes against the session's dev server and real ``squall worker`` processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sqengine import Bed, normal
from sqharness import EXAMPLES

pytestmark = pytest.mark.slow

#: examples whose runs both engines must agree on: what the conformance corpus
#: (test_corpus_parity.py) does not cover: parallel groups, the continuous
#: hypothesis, timeouts, the run's deadline, retries, pauses, dynamic configuration (the
#: wait-until examples are left out: their verdict depends on timing)
CASES = [
    ("action-fails.yaml", ()),
    ("parallel.json", ()),
    ("continuous.json", ()),
    ("timeouts.json", ()),
    ("deadline.json", ("--var", "log=LOG")),
    ("tolerances.yaml", ()),
    ("dynamic-config.json", ()),
    ("flow/retry.json", ()),
    ("pauses.json", ()),
    ("pauses.json", ("--dry", "pause")),
]


def _both(bed: Bed, tmp_path: Path, source: str, args: tuple[str, ...]) -> list[dict[str, object]]:
    out = []
    for engine in ("local", "temporal"):
        journal = tmp_path / f"{engine}.json"
        own = [a.replace("LOG", str(tmp_path / f"{engine}.log")) for a in args]
        done = bed.squall(
            "run", "--engine", engine, "--journal-path", str(journal), *own, str(EXAMPLES / source)
        )
        assert journal.exists(), f"{engine}: no journal\n{done.stderr}"
        document = json.loads(journal.read_text())
        assert done.returncode == document["squall"]["exit_code"], done.stderr
        out.append({"stderr": done.stderr, "journal": document, "normal": normal(document)})
    return out


@pytest.mark.parametrize(("source", "args"), CASES, ids=[f"{s}{''.join(a)}" for s, a in CASES])
def test_same_verdict_and_journal_as_the_local_engine(
    bed: Bed, tmp_path: Path, source: str, args: tuple[str, ...]
) -> None:
    local, temporal = _both(bed, tmp_path, source, args)
    assert temporal["normal"] == local["normal"], temporal["stderr"]
    # the same shape: the same keys, in the same order, at the top of the document
    assert list(temporal["journal"]) == list(local["journal"])  # type: ignore[arg-type]


def test_progress_lines_are_the_local_ones(bed: Bed, tmp_path: Path) -> None:
    local, temporal = _both(bed, tmp_path, "deviated.json", ())

    def lines(stderr: object) -> list[str]:
        return [
            " ".join(line.split()[:4])
            for line in str(stderr).splitlines()
            if line.startswith("  ") and " ms" in line
        ]

    assert lines(temporal["stderr"]) == lines(local["stderr"])
    assert len(lines(local["stderr"])) >= 3
