"""``started_run`` (the engine's entry for an activity that starts) is the entry that
``ActivityRun(activity=..., start=...)`` makes: every field at the same value."""

from __future__ import annotations

from squall.journal.model import ActivityRun, started_run


def test_every_field_is_the_constructors() -> None:
    activity = {"type": "probe", "name": "p"}
    made = started_run(activity, "2026-12-05T13:00:00+00:00")
    built = ActivityRun(activity=activity, start="2026-12-05T13:00:00+00:00")
    for name in ActivityRun.__slots__:
        assert getattr(made, name) == getattr(built, name), name
    assert made.activity is activity and made.to_dict() == built.to_dict()
