"""A driver's return value is untrusted: whatever a Python activity returns, the run ends
with its journal written and its rollbacks played, in bounded time.

Each case was an "internal error" (no journal) or a hang before: a circular structure
looped forever in the output limit's measure (and SIGTERM could not stop it), a structure
sharing its parts stands for more values than memory holds, keys JSON cannot have, an
integer longer than Python prints, a text with a lone surrogate (``os.listdir`` of a file
name that is not UTF-8), nesting deeper than the encoder's recursion, an object whose
``str()`` raises.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from odd_outputs import CASES  # tests/support: the driver both engines run

from squall.journal import limits
from squall.journal.limits import cap_output


def _experiment(func: str, uses: bool = False) -> dict[str, Any]:
    def mark(name: str, line: str = "") -> dict[str, Any]:
        # the line is an argument of its own: no quoting of what an output holds
        script = 'printf "%s" "$1" | head -c 100 >> marks; echo >> marks'
        return {
            "type": "action",
            "name": name,
            "provider": {
                "type": "process",
                "path": "sh",
                "arguments": ["-c", script, "sh", line or name],
            },
        }

    odd = {
        "type": "action",
        "name": "odd",
        "provider": {"type": "python", "module": "odd_outputs", "func": func},
    }
    return {
        "title": f"odd output {func}",
        "description": "a driver returns what JSON cannot hold as is",
        "method": [mark("injected"), odd, *([mark("uses", "${outputs.odd}")] if uses else [])],
        "rollbacks": [mark("rolled-back")],
    }


@pytest.mark.parametrize("func", sorted(CASES))
def test_any_return_value_ends_in_a_journal_with_the_rollback_played(
    func: str, squall: Any, tmp_path: Path
) -> None:
    (tmp_path / "e.json").write_text(json.dumps(_experiment(func)))
    result = squall("run", "e.json", "--report", "html:r.html", "--junit", "j.xml", timeout=60)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert (tmp_path / "marks").read_text().split() == ["injected", "rolled-back"]
    assert result.journal is not None, result.stderr
    entry = result.journal["run"][1]
    expected = CASES[func]
    if expected is None:
        assert result.code == 3 and entry["status"] == "failed"
        assert "\ufffd" in "".join(entry["exception"])
    else:
        assert result.code == 0, result.stderr
        assert expected in json.dumps(entry["output"], ensure_ascii=False)
    # every other sink reads it back too
    assert (tmp_path / "r.html").stat().st_size > 0 and (tmp_path / "j.xml").stat().st_size > 0
    runs = squall("runs", "show", result.journal["squall"]["run_id"], "--json")
    assert runs.code == 0, runs.stderr


@pytest.mark.parametrize("func", sorted(f for f, shown in CASES.items() if shown is not None))
def test_a_later_activity_uses_any_return_value_in_bounded_time(
    func: str, squall: Any, tmp_path: Path
) -> None:
    """``${outputs.odd}`` of such a value: the later activity gets the value as the
    journal holds it (as on Temporal, where only that crosses), the run ends with its
    journal and its rollback. Before: an internal error (circular, surrogate, deep), a
    hang (shared), or a run aborted (a long integer). Bounded: 60 s of CPU (the shared
    case's run uses about 14 s: its million values are walked and written out), and 300
    s of wall time, which a loaded machine needs (three times 60 s at load 15-24)."""
    (tmp_path / "e.json").write_text(json.dumps(_experiment(func, uses=True)))
    result = squall("run", "e.json", timeout=300, cpu_seconds=60)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert result.journal is not None, result.stderr
    marks = (tmp_path / "marks").read_text().split("\n")
    assert marks[0] == "injected" and marks[-2] == "rolled-back", marks
    uses = result.journal["run"][2]
    if func == "shared":  # its million values, written out, are too long for argv
        assert uses["status"] == "failed" and "Argument list too long" in uses["exception"][-1]
        assert result.code == 3
        return
    assert uses["status"] == "succeeded", uses
    assert CASES[func] in marks[1] or CASES[func] in json.dumps(uses["squall"]["outputs"])
    assert result.code == 0


def test_the_journal_copy_is_bounded_and_the_common_case_untouched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain = {"status": 0, "stdout": "é ok", "stderr": "", "items": [1, 2.5, None, True]}
    kept, note = cap_output(plain, None)
    assert kept is plain and note is None
    monkeypatch.setattr(limits, "MAX_VALUES", 1000)
    x: list[Any] = ["leaf"]
    for _ in range(100):
        x = [x, x]
    kept, note = cap_output(x, None)  # no limit set: still bounded, and said
    text = json.dumps(kept)
    assert text.count("leaf") < 1000 and "more than 1000 values" in text and note is None
    kept, _ = cap_output(list(range(5000)), 800)  # a limit bounds the walk further
    assert isinstance(kept, str) and kept.startswith("[0, 1, 2") and "more than" not in kept


@pytest.mark.parametrize("func", ["shared", "big_int"])
def test_a_probe_out_of_tolerance_says_what_it_got_in_bounded_text(
    func: str, squall: Any, tmp_path: Path
) -> None:
    experiment = _experiment(func)
    experiment["steady-state-hypothesis"] = {
        "title": "an odd output is not 5",
        "probes": [{**experiment["method"][1], "type": "probe", "tolerance": 5}],
    }
    (tmp_path / "e.json").write_text(json.dumps(experiment))
    result = squall("run", "e.json", timeout=60)
    assert result.code == 4, result.stderr  # not run: the steady state did not hold before
    assert result.journal is not None and not (tmp_path / "marks").exists()
    (reason,) = result.journal["squall"]["reasons"]
    assert "expected 5, got " in reason and len(reason) < 5000
    assert ("integer of" in reason) if func == "big_int" else ("[...]" in reason)
