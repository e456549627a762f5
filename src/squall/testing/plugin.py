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
    ``squall.run_experiment`` in the test's ``tmp_path`` as working directory (the test's
    own working directory is back when it returns: relative paths mean the same in every
    call); returns a ``JournalAssertions``. Validation problems raise
    ``squall.ValidationError``.

    ``configuration`` and ``secrets`` override the experiment's values as ``--var`` and
    ``--var-file`` do on the command line (``secrets`` is scope -> key -> value). The
    journal is written to ``journal_path`` (default: ``journal.json`` in the test's
    ``tmp_path``), which failed assertions name. ``rollback_strategy`` is
    ``--rollback-strategy`` (``"always"``: the rollbacks play whatever stops the run);
    ``plan_options`` (a ``squall.PlanOptions``) sets it and the command line's other run
    options (``hypothesis_strategy``, ``dry``, ``fail_fast``...). ``history`` records the
    run in a run history (a path or URL; ``True``: the one ``squall run`` uses); by
    default a test's run is not recorded. A run stopped by Ctrl-C (or another signal)
    stops the pytest session too, once the run has ended."""

    def run(
        experiment: Mapping[str, Any] | str | Path,
        *,
        validate: bool = True,
        configuration: Mapping[str, Any] | None = None,
        secrets: Mapping[str, Mapping[str, Any]] | None = None,
        journal_path: str | Path | None = None,
        rollback_strategy: str | None = None,
        plan_options: squall.PlanOptions | None = None,
        history: str | Path | bool | None = None,
    ) -> JournalAssertions:
        overrides, secret_overrides = _overrides(configuration, secrets)
        if rollback_strategy is not None:
            if plan_options is not None:
                raise TypeError("squall_run: give rollback_strategy or plan_options, not both")
            plan_options = squall.PlanOptions(rollback_strategy=rollback_strategy)
        if isinstance(experiment, Mapping):
            path = tmp_path / "experiment.json"
            path.write_text(json.dumps(experiment, indent=2), encoding="utf-8")
        else:
            path = Path(experiment).resolve()
        journal_file = Path(journal_path or tmp_path / "journal.json").resolve()
        shown_as = _shown(journal_file)
        options = squall.RunOptions(
            overrides=overrides,
            secret_overrides=secret_overrides,
            journal_path=journal_file,
            history=history,
        )
        with monkeypatch.context() as here:
            here.chdir(tmp_path)
            journal = squall.run_experiment(
                squall.load_experiment(path),
                validate=validate,
                run_options=options,
                plan_options=plan_options,
            )
        return JournalAssertions(journal, journal_file, shown_as=shown_as)

    return run


def _shown(path: Path) -> str:
    """A journal path as messages give it: relative to where pytest was started when it
    is under it (``chaos-journals/test_x.json``), else absolute."""
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _overrides(
    configuration: Any, secrets: Any
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The overrides as RunOptions wants them; a wrong shape is a TypeError that says
    the right one (not Python's ``dictionary update sequence element #0 ...``)."""
    if configuration is not None and not isinstance(configuration, Mapping):
        raise TypeError(
            "squall_run(configuration=...) takes a dict of configuration keys to values, "
            f"e.g. {{'base_url': 'http://127.0.0.1:8080'}}; got {type(configuration).__name__}"
        )
    if secrets is not None and not isinstance(secrets, Mapping):
        raise TypeError(
            "squall_run(secrets=...) takes a dict of secret scopes, each a dict of keys to "
            f"values, e.g. {{'api': {{'token': '...'}}}}; got {type(secrets).__name__}"
        )
    scopes: dict[str, dict[str, Any]] = {}
    for scope, values in (secrets or {}).items():
        if not isinstance(values, Mapping):
            raise TypeError(
                f"squall_run(secrets=...): scope {scope!r} must be a dict of keys to values "
                f"(secrets are scope -> key -> value, e.g. {{{scope!r}: {{'token': '...'}}}}); "
                f"got {type(values).__name__}"
            )
        scopes[str(scope)] = dict(values)
    return dict(configuration or {}), scopes


@pytest.fixture
def loopback_http_server() -> Iterator[LoopbackHTTPServer]:
    """A real HTTP server on 127.0.0.1 (a free port): ``server.set(path, status, body,
    headers)``, ``server.url(path)``, ``server.requests``."""
    server = LoopbackHTTPServer().start()
    try:
        yield server
    finally:
        server.stop()
