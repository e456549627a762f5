"""Fixtures of the shop's resilience tests: the service runs for real, on 127.0.0.1."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from shop.running import running_shop


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The shop (with its cache, unless ``SHOP_CACHE=off``); the experiment's
    configuration for it."""
    with running_shop(tmp_path, cache=os.environ.get("SHOP_CACHE") != "off") as configuration:
        yield configuration


@pytest.fixture
def shop_without_cache(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with running_shop(tmp_path, cache=False) as configuration:
        yield configuration


@pytest.fixture
def journal_path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Where a test's journal goes: ``$CHAOS_JOURNALS/<test>.json`` when CI sets
    ``CHAOS_JOURNALS`` (to make reports of every run), else the test's tmp_path."""
    folder = os.environ.get("CHAOS_JOURNALS")
    if not folder:
        return tmp_path / "journal.json"
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder) / f"{request.node.name}.json"
