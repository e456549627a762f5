"""The Temporal engine's tests share one bed per session: the session's dev server (root
conftest) and two real ``squall worker`` subprocesses (queues ``main`` and ``b``); tests
that kill workers start their own."""

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
