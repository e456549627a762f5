"""``now_iso`` writes what ``datetime.now(UTC).isoformat()`` writes, faster (two
timestamps per activity): the second's text is formatted once per second."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from squall.engine import context

MOMENTS = [
    datetime(2026, 12, 5, 0, 19, 10, 708928, tzinfo=UTC),
    datetime(2026, 12, 5, 0, 19, 10, 0, tzinfo=UTC),  # no fraction: none written
    datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2027, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    datetime(2028, 2, 29, 12, 0, 0, 500000, tzinfo=UTC),
    datetime(1970, 1, 1, 0, 0, 0, 10, tzinfo=UTC),
]


def _ns(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta // timedelta(microseconds=1)) * 1000 + 999  # sub-microsecond: floored


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_the_text_is_datetimes_isoformat(moment: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(context, "_time_ns", lambda: _ns(moment))
    assert context.now_iso() == moment.isoformat()
    assert context.now_iso() == moment.isoformat()  # the second's text from the cache


def test_the_cache_follows_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    for moment in MOMENTS + MOMENTS[::-1]:
        monkeypatch.setattr(context, "_time_ns", lambda moment=moment: _ns(moment))
        assert context.now_iso() == moment.isoformat()


def test_it_reads_the_real_clock() -> None:
    before = datetime.now(UTC)
    now = datetime.fromisoformat(context.now_iso())
    after = datetime.now(UTC)
    assert before <= now <= after
