"""The top-level conveniences behind ``squall.load_experiment``, ``check_experiment`` and
``run_experiment``: thin calls into the layers, as a program would use them."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from squall.engine import Engine, RunOptions
from squall.errors import LoadError, Problem, RunInterrupted, ValidationError
from squall.experiment import Document, load_source, parse_experiment, parse_text
from squall.experiment.model import Experiment
from squall.experiment.parse import parse_experiment_partial
from squall.hooks.registration import registrations
from squall.journal.model import Journal
from squall.plan import PlanOptions, make_plan
from squall.providers import ProviderRegistry, default_registry
from squall.validate import check_experiment as _check

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from squall.engine import Listener

__all__ = [
    "check_experiment",
    "document_problems",
    "load_experiment",
    "parse_document",
    "plugin_registry",
    "run_experiment",
    "sorted_problems",
    "validate_document",
]


def plugin_registry() -> ProviderRegistry:
    """The built-in providers plus those installed plugins register."""
    return registrations().add_providers(default_registry())  # type: ignore[no-any-return]


def parse_document(document: Document) -> Experiment:
    """Parse a loaded document; problems carry file:line:column.

    Raises:
        ValidationError: every problem found.
    """
    registrations()  # plugins' tolerance types must be known to the parser
    try:
        return parse_experiment(document.data, document.name, placeholders=document.may_hold("$"))
    except ValidationError as exc:
        raise ValidationError(sorted_problems(document, exc.problems), document.name) from None


def document_problems(
    document: Document,
    *,
    registry: ProviderRegistry | None = None,
    overrides: Mapping[str, Any] | None = None,
    secret_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    shared_keys: Collection[str] = (),
) -> tuple[Experiment, list[Problem]]:
    """Parse and check a loaded document in one pass: the experiment as far as it parses
    (never to be run when there are problems) and every problem, those of the format and
    those that need the world (unknown provider types, imports, signatures, executables,
    references, environment variables) together; not yet located."""
    registrations()  # plugins' tolerance types must be known to the parser
    experiment, problems, incomplete = parse_experiment_partial(
        document.data, document.name, placeholders=document.may_hold("$")
    )
    problems = problems + _check(
        experiment,
        registry or plugin_registry(),
        overrides=overrides,
        secret_overrides=secret_overrides,
        incomplete=incomplete,
        shared_keys=shared_keys,
    )
    return experiment, problems


def sorted_problems(document: Document, problems: list[Problem]) -> list[Problem]:
    """The problems located (file:line:column), in the document's order."""
    located = document.located(problems)
    located.sort(key=lambda p: (p.line or 0, p.column or 0))
    return located


def validate_document(
    document: Document,
    *,
    registry: ProviderRegistry | None = None,
    overrides: Mapping[str, Any] | None = None,
    secret_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    shared_keys: Collection[str] = (),
) -> Experiment:
    """``document_problems``, raising when there are any.

    Raises:
        ValidationError: every problem found, located, in the document's order.
    """
    experiment, problems = document_problems(
        document,
        registry=registry,
        overrides=overrides,
        secret_overrides=secret_overrides,
        shared_keys=shared_keys,
    )
    if problems:
        raise ValidationError(sorted_problems(document, problems), document.name)
    return experiment


def _source(
    source: str | Path | Mapping[str, Any],
    *,
    verify_tls: bool = True,
    auths: Mapping[str, Any] | None = None,
) -> Document:
    """A path, URL or ``-`` is read; a mapping is the document itself (a program's dict,
    as the pytest plugin's ``squall_run`` takes), checked as if read from a JSON file."""
    if not isinstance(source, Mapping):
        return load_source(str(source), verify_tls=verify_tls, auths=auths)
    import json

    try:
        text = json.dumps(source, indent=2, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise LoadError(f"the experiment given as a mapping is not JSON data: {exc}") from None
    return parse_text(text, "<mapping>", fmt="json")


def load_experiment(
    source: str | Path | Mapping[str, Any],
    *,
    verify_tls: bool = True,
    auths: Mapping[str, Any] | None = None,
) -> Experiment:
    """Load and parse an experiment from a path, URL or ``-``, or the document itself as
    a mapping (a dict).

    Raises:
        LoadError: the source cannot be read or parsed.
        ValidationError: the document is not a valid experiment.
    """
    return parse_document(_source(source, verify_tls=verify_tls, auths=auths))


def check_experiment(
    experiment: Experiment,
    *,
    registry: ProviderRegistry | None = None,
    overrides: Mapping[str, Any] | None = None,
    secret_overrides: Mapping[str, Mapping[str, Any]] | None = None,
    shared_keys: Collection[str] = (),
) -> list[Problem]:
    """Problems found without running anything (imports, signatures, paths, refs, env).

    An override key that is a near miss of the experiment's (``shop_ulr``) is one,
    unless it is in ``shared_keys`` (keys read from a var file that several experiments
    share: ``key``, ``scope.key`` for a secret)."""
    return _check(
        experiment,
        registry or plugin_registry(),
        overrides=overrides,
        secret_overrides=secret_overrides,
        shared_keys=shared_keys,
    )


def run_experiment(
    experiment: Experiment | str | Path | Mapping[str, Any],
    *,
    plan_options: PlanOptions | None = None,
    run_options: RunOptions | None = None,
    validate: bool = True,
    registry: ProviderRegistry | None = None,
    listener: Listener | None = None,
) -> Journal:
    """Validate (unless told not to), plan and run an experiment (a path, URL, mapping
    or ``load_experiment``'s result); returns its journal.

    The run has a secret scope of its own (``squall.masking.secret_scope``, inside the
    caller's current one): its secrets are masked in what it writes and in the returned
    journal, and stay masked outside any scope, but not in the next run of the process.
    ``sys.stdout`` and ``sys.stderr`` are masked while it runs (``masked_streams``).

    ``run_options.history`` records the run in a run history (not recorded by default).

    A signal stops the run as on the command line (the rollbacks its strategy owes are
    played, the journal is written); then Ctrl-C (SIGINT) raises ``RunInterrupted`` (a
    ``KeyboardInterrupt`` holding the journal), and SIGTERM or SIGHUP is delivered again
    to the program's own handler (by default it ends the program).

    Raises:
        LoadError, ValidationError: the experiment cannot be used (nothing was run).
        InputError: configuration or secrets cannot be resolved, or the run history
            cannot be opened (nothing was run).
        RunInterrupted: Ctrl-C stopped the run, once it has ended.
    """
    from squall.masking import masked_streams, secret_scope

    with secret_scope(), masked_streams():  # what its activities print is masked too
        journal = _run_experiment(
            experiment, plan_options, run_options, validate, registry, listener
        )
    _pass_on_signal(journal)
    return journal


def _pass_on_signal(journal: Journal) -> None:
    """The run turned a signal into an orderly stop and returned: now that its handlers
    are gone, do what the signal asks of the program (Ctrl-C: KeyboardInterrupt)."""
    stop = journal.interruption or {}
    name = stop.get("name")
    if stop.get("kind") != "signal" or name not in ("SIGINT", "SIGTERM", "SIGHUP"):
        return
    if name == "SIGINT":
        raise RunInterrupted(str(stop.get("reason") or "interrupted by SIGINT (Ctrl-C)"), journal)
    import os
    import signal

    os.kill(os.getpid(), getattr(signal, str(name)))


def _run_experiment(
    experiment: Experiment | str | Path | Mapping[str, Any],
    plan_options: PlanOptions | None,
    run_options: RunOptions | None,
    validate: bool,
    registry: ProviderRegistry | None,
    listener: Listener | None,
) -> Journal:
    registry = registry or plugin_registry()
    run_options = run_options or RunOptions()
    if not isinstance(experiment, Experiment):
        document = _source(experiment)
        if not validate:
            experiment = parse_document(document)
        else:  # one pass: every problem at once
            experiment = validate_document(
                document,
                registry=registry,
                overrides=run_options.overrides,
                secret_overrides=run_options.secret_overrides,
                shared_keys=run_options.shared_keys,
            )
    elif validate:
        problems = check_experiment(
            experiment,
            registry=registry,
            overrides=run_options.overrides,
            secret_overrides=run_options.secret_overrides,
            shared_keys=run_options.shared_keys,
        )
        if problems:
            raise ValidationError(_locate(experiment, problems), experiment.source)
    plan = make_plan(experiment, plan_options or PlanOptions())
    return Engine(registry, listener).run(plan, run_options)


def _locate(experiment: Experiment, problems: list[Problem]) -> list[Problem]:
    """Add line:column when the experiment came from a file we can read again."""
    if not experiment.source or experiment.source.startswith(("http://", "https://", "<")):
        return problems
    try:
        document = load_source(experiment.source)
    except Exception:
        return [p.located(experiment.source, None, None) for p in problems]
    return document.located(problems)
