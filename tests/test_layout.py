"""The test tree's layout: pytest imports test modules by their base name (the test
folders are not packages), so two modules of one name in two folders stop the whole
suite at collection ("import file mismatch"), even when each folder passes alone."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_no_two_test_modules_share_a_name() -> None:
    names = Counter(path.name for path in TESTS.rglob("test_*.py"))
    assert [name for name, count in names.items() if count > 1] == []
