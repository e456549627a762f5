"""What a driver returns is untrusted on the Temporal engine too: every value of the
odd-output driver (tests/support/odd_outputs.py: circular, shared parts, odd keys, an
integer over 4300 digits, lone surrogates, nesting 100 000 deep, an object whose
``str()`` raises) crosses Temporal's payloads (the worker's step result, the progress
the command line reads, a later activity's ``${outputs...}``, the journal) and the run
ends as a local run of it ends: its journal written, its rollback played, the same
entry, no traceback, no stuck workflow task. Real dev server and worker."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from odd_outputs import CASES

from sqengine import Bed, normal

pytestmark = pytest.mark.slow


def _experiment(func: str, marks: Path, uses: bool) -> dict[str, Any]:
    def mark(name: str, line: str = "") -> dict[str, Any]:
        script = f"echo '{line or name}' >> {marks}"
        return {"type": "action", "name": name,
                "provider": {"type": "process", "path": "sh", "arguments": ["-c", script]}}  # fmt: skip

    odd = {
        "type": "action",
        "name": "odd",
        "provider": {"type": "python", "module": "odd_outputs", "func": func},
    }
    later = [mark("uses", "${outputs.odd}")] if uses else []
    return {
        "title": f"odd output {func}",
        "description": "a driver returns what JSON cannot hold as is",
        "method": [mark("injected"), odd, *later],
        "rollbacks": [mark("rolled-back")],
    }


def _run(bed: Bed, where: Path, engine: str, func: str, uses: bool) -> tuple[int, Any]:
    """The run's exit code and journal, once it ended with its rollback played."""
    where.mkdir()
    marks = where / "marks"
    path = where / "e.json"
    path.write_text(json.dumps(_experiment(func, marks, uses)))
    journal = where / "journal.json"
    done = bed.squall("run", "--engine", engine, str(path), "--journal-path", str(journal),
                      cwd=where, timeout=120)  # fmt: skip
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert journal.exists(), done.stderr
    lines = marks.read_text(errors="replace").splitlines()
    assert lines[0] == "injected" and lines[-1] == "rolled-back", lines
    return done.returncode, json.loads(journal.read_text())


@pytest.mark.parametrize("func", sorted(CASES))
def test_any_return_value_crosses_temporal_as_it_ends_a_local_run(
    func: str, bed: Bed, tmp_path: Path
) -> None:
    local_code, local = _run(bed, tmp_path / "local", "local", func, uses=False)
    code, temporal = _run(bed, tmp_path / "temporal", "temporal", func, uses=False)
    assert code == local_code, temporal["squall"]["reasons"]
    entry = temporal["run"][1]
    expected = CASES[func]
    if expected is None:
        assert entry["status"] == "failed" and "\ufffd" in "".join(entry["exception"])
    else:
        assert expected in json.dumps(entry["output"], ensure_ascii=False)
    assert normal(temporal) == normal(local)


@pytest.mark.parametrize("func", sorted(CASES))
def test_a_later_activity_given_an_odd_output_on_temporal(
    func: str, bed: Bed, tmp_path: Path
) -> None:
    """``${outputs.odd}`` in a later activity: the value travels to its worker."""
    code, journal = _run(bed, tmp_path / "temporal", "temporal", func, uses=True)
    assert code in (0, 3), journal["squall"]["reasons"]


def test_outputs_that_outgrow_one_temporal_payload_together(bed: Bed, tmp_path: Path) -> None:
    """Each output under the journal's limit (1 MiB), together past Temporal's limit for
    one payload (2 MiB): the journal is the workflow's result, and the run hung at its
    end (the workflow task completing it was refused, and offered again for ever). Now
    the outputs are cut to fit, each to the same share, and the entries say so."""
    big = [{"type": "action", "name": f"big-{n}", "provider": {
        "type": "python", "module": "odd_outputs", "func": "large",
        "arguments": {"size": 900_000}}} for n in range(3)]  # fmt: skip
    experiment = {"title": "large outputs", "description": "3 x 900 kB", "method": big}
    path = tmp_path / "large.json"
    path.write_text(json.dumps(experiment))
    journal = tmp_path / "journal.json"
    done = bed.squall("run", "--engine", "temporal", str(path), "--journal-path", str(journal),
                      timeout=180)  # fmt: skip
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr
    document = json.loads(journal.read_text())
    sizes = [len(e["output"]) for e in document["run"]]
    assert all(100_000 < size < 900_000 for size in sizes), sizes
    assert len(set(sizes)) == 1, sizes  # one share each
    for entry in document["run"]:
        assert entry["output"].startswith("xxxx") and "output truncated" in entry["output"]
        assert "Temporal payload" in entry["squall"]["output_truncated"]["why"]
    assert journal.stat().st_size < 2 * 1024 * 1024


def test_a_journal_that_fits_is_untouched_and_one_that_cannot_keeps_its_entries() -> None:
    from squall.journal.store import format_journal
    from squall.temporal.payloads import fitted_journal

    def document() -> dict[str, Any]:
        entry = {"activity": {"name": "a"}, "output": {"text": "y" * 5000, "n": 1}}
        probe = {"activity": {"name": "p"}, "output": "z" * 5000}
        return {"run": [entry, dict(entry)], "steady_states": {"before": {"probes": [probe]}}}

    assert fitted_journal(document()) == format_journal(document())
    cut = json.loads(fitted_journal(document(), room=8000))
    outputs = [*cut["run"], cut["steady_states"]["before"]["probes"][0]]
    assert all("output truncated" in json.dumps(e["output"]) for e in outputs), outputs
    assert all(e["squall"]["output_truncated"]["size"] > 5000 for e in outputs)
    bare = json.loads(fitted_journal(document(), room=600))  # not even the notes fit
    assert [e["output"] for e in bare["run"]] == [bare["run"][0]["output"]] * 2
    assert "not recorded" in bare["run"][0]["output"]
