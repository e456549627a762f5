"""A worker's ledger of its plays (squall.temporal.plays), on a real event loop: an ended
play's result is kept for a resume while its run goes on, within a byte bound; a play that
Temporal gave up on and that no resume claims in time is stopped, a claimed one is not.
(The plays on real starved workers: tests/temporal/test_starved_steps.py.)"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from squall.temporal import plays
from squall.temporal.plays import Play, Plays


def _play(loop: asyncio.AbstractEventLoop) -> Play:
    return Play(step=cast(Any, None), future=loop.create_future())


def _result(size: int) -> Any:
    return cast(Any, type("Result", (), {"entry": "x" * size})())


def test_ended_plays_are_kept_while_their_run_goes_on_within_a_byte_bound() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        said: list[str] = []
        ledger = Plays(most_bytes=13_000, said=said.append)
        made: dict[int, Play] = {}
        for n in range(3):
            made[n] = _play(loop)
            made[n].holder.append(cast(Any, "context"))
            ledger.add(("run", str(n)), made[n])
            made[n].future.set_result(_result(3000))  # 4 kB each, with its overhead
        await asyncio.sleep(0)  # the done callbacks run
        assert made[0].holder == []  # an ended play keeps no contexts
        assert said == []
        running = _play(loop)
        ledger.add(("run", "running"), running)
        made[3] = _play(loop)
        ledger.add(("other", "0"), made[3])
        made[3].future.set_result(_result(3000))  # beyond 13 kB: the oldest is forgotten
        await asyncio.sleep(0)
        assert ledger.claim(("run", "0")) is None
        assert said and "forgot the result of an ended play" in said[0]
        assert ledger.claim(("run", "1")) is made[1]  # however long ago it ended
        assert ledger.runs() == {"run", "other"}
        ledger.forget_run("run")  # the run ended: its ended plays go, a running one stays
        assert ledger.claim(("run", "2")) is None
        assert ledger.claim(("run", "running")) is running
        assert ledger.claim(("other", "0")) is made[3]
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
