"""The ``squall`` pytest plugin: fixtures for testing drivers and experiments."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import squall
from squall.testing.assertions import JournalAssertions
from squall.testing.http import LoopbackHTTPServer

__all__ = ["loopback_http_server", "squall_run"]

Runner = Callable[..., JournalAssertions]


@pytest.fixture
def squall_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Runner:
    """Run an experiment (a dict, or a path to a JSON/YAML file) through
    ``squall.run_experiment`` with a temporary working directory; returns a
    ``JournalAssertions``. Validation problems raise ``squall.ValidationError``.

    ``configuration`` and ``secrets`` override the experiment's values as ``--var`` and
    ``--var-file`` do on the command line (``secrets`` is scope -> key -> value)."""

    def run(
        experiment: Mapping[str, Any] | str | Path,
        *,
        validate: bool = True,
        configuration: Mapping[str, Any] | None = None,
        secrets: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> JournalAssertions:
        if isinstance(experiment, Mapping):
            path = tmp_path / "experiment.json"
            path.write_text(json.dumps(experiment, indent=2), encoding="utf-8")
        else:
            path = Path(experiment).resolve()
        monkeypatch.chdir(tmp_path)
        options = squall.RunOptions(
            overrides=dict(configuration or {}),
            secret_overrides={scope: dict(values) for scope, values in (secrets or {}).items()},
        )
        journal = squall.run_experiment(
            squall.load_experiment(path), validate=validate, run_options=options
        )
        return JournalAssertions(journal)

    return run


@pytest.fixture
def loopback_http_server() -> Iterator[LoopbackHTTPServer]:
    """A real HTTP server on 127.0.0.1 (a free port): ``server.set(path, status, body,
    headers)``, ``server.url(path)``, ``server.requests``."""
    server = LoopbackHTTPServer().start()
    try:
        yield server
    finally:
        server.stop()
