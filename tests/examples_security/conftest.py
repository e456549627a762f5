"""A real demo per module for the examples/security tests (see security_support)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from security_support import Demo, start


@pytest.fixture(scope="module")
def normal_demo() -> Iterator[Demo]:
    yield from start(misconfigured=False)


@pytest.fixture(scope="module")
def misconfigured_demo() -> Iterator[Demo]:
    yield from start(misconfigured=True)
