"""A worker's ledger of its plays (squall.temporal.plays), on a real event loop: an ended
play's result is kept for a resume a while, no more than so many of them; a play that
Temporal gave up on and that no resume claims in time is stopped, a claimed one is not.
(The plays on real starved workers: tests/temporal/test_starved_steps.py.)"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from squall.temporal import plays
from squall.temporal.plays import Play, Plays


def _play(loop: asyncio.AbstractEventLoop) -> Play:
    return Play(step=cast(Any, None), future=loop.create_future())


def test_ended_plays_are_kept_a_while_and_a_few_at_most() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        ledger = Plays(keep=0.2, most=2)
        made: dict[int, Play] = {}
        for n in range(3):
            made[n] = _play(loop)
            made[n].holder.append(cast(Any, "context"))
            ledger.add(("run", str(n)), made[n])
            made[n].future.set_result(n)
        await asyncio.sleep(0)  # the done callbacks run
        assert made[0].holder == []  # an ended play keeps no contexts
        running = _play(loop)
        ledger.add(("run", "running"), running)  # forgets the oldest beyond two
        assert ledger.claim(("run", "0")) is None
        assert ledger.claim(("run", "2")) is made[2]
        await asyncio.sleep(0.3)
        ledger.add(("run", "late"), _play(loop))  # forgets those ended too long ago
        assert ledger.claim(("run", "1")) is None and ledger.claim(("run", "2")) is None
        assert ledger.claim(("run", "running")) is running  # a running play stays
        assert ledger.claim(("other", "running")) is None

    asyncio.run(scenario())


def test_a_play_given_up_is_stopped_unless_a_resume_claims_it(monkeypatch: Any) -> None:
    monkeypatch.setattr(plays, "MARGIN", 0.0)

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        ledger = Plays()
        stopped: list[Play] = []
        orphan, claimed = _play(loop), _play(loop)
        ledger.add(("run", "orphan"), orphan)
        ledger.add(("run", "claimed"), claimed)
        ledger.orphaned(orphan, 0.05, stopped.append)
        ledger.orphaned(claimed, 0.05, stopped.append)
        assert ledger.claim(("run", "claimed")) is claimed
        await asyncio.sleep(0.2)
        assert stopped == [orphan]

    asyncio.run(scenario())
