"""The Temporal engine's tests share one bed per session: the session's dev server (root
conftest) and two real ``squall worker`` subprocesses (queues ``main`` and ``b``); tests
that kill workers start their own, and those are stopped when their test ends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sqengine import Bed
from temporal import TemporalServer


@pytest.fixture(scope="session")
def bed(temporal_server: TemporalServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bed]:
    shared = Bed(temporal_server, tmp_path_factory.mktemp("temporal-engine"))
    try:
        shared.worker("main")
        shared.worker("b")
        yield shared
    finally:
        shared.stop()


@pytest.fixture(autouse=True)
def _own_workers_stop(request: pytest.FixtureRequest) -> Iterator[None]:
    """The workers a test starts with ``bed.worker`` are stopped when it ends (they
    polled the server, and used CPU, until the session's end); the bed's own two stay."""
    if "bed" not in request.fixturenames:
        yield
        return
    shared: Bed = request.getfixturevalue("bed")
    before = len(shared.workers)
    yield
    shared.stop_from(before)
