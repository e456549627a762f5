"""The registration hooks: what a plugin adds to squall itself (not to one run).

They fire once per process, the first time squall needs what they register, and only
when a package declares a ``squall.plugins`` entry point (a plain run never imports
pluggy)::

    squall run / validate / a program calling squall.run_experiment
      squall_register_tolerances      before the experiment is parsed
      squall_register_providers       when the provider registry is built (validation)
      squall_register_secret_backends when the secrets are resolved
      ... the run and its lifecycle hooks (see specs.py) ...
      squall_register_journal_sinks   once the journal is final and written
    squall <unknown command> / squall --help
      squall_register_commands

Each returns what it registers (or None). A plugin that raises, or returns something
of the wrong shape, is reported with its name and skipped: the others still register.
"""

from __future__ import annotations

from typing import Any

from squall.hooks.markers import hookspec

__all__ = ["RegistrationSpec"]


class RegistrationSpec:
    """Registration hook specifications (names start with ``squall_register_``)."""

    @hookspec
    def squall_register_providers(self) -> Any:
        """Provider types. Return a list of provider objects, each with:

        - ``type``: the name experiments use (``"provider": {"type": "<name>", ...}``);
          ``python``, ``process`` and ``http`` cannot be replaced;
        - ``check(spec, pointer) -> list[squall.Problem]``: problems found before the
          run (``spec.raw`` is the provider mapping, ``pointer`` its JSON pointer);
        - ``run(spec, call) -> output``: execute it; ``call.configuration``,
          ``call.secrets``, ``call.variables``, ``call.timeout`` are the run's. Raise
          ``squall.ActivityFailed`` when it did not work.
        """

    @hookspec
    def squall_register_tolerances(self) -> Any:
        """Tolerance types. Return ``{type: check}``: a hypothesis tolerance
        ``{"type": "<type>", ...}`` is then valid, and ``check(tolerance, value)`` (the
        tolerance mapping, the probe's output) decides it: ``True``/``False``, or
        ``(met, reason)``. The built-in types cannot be replaced.
        """

    @hookspec
    def squall_register_secret_backends(self) -> Any:
        """Secret backends. Return ``{type: fetch}``: a secret declared
        ``{"type": "<type>", ...}`` is resolved by ``fetch(secret, configuration)``
        (its mapping, the run's configuration), which returns the value or raises
        (``squall.InputError`` for a clear message: the run does not start). ``env``
        and ``vault`` cannot be replaced.
        """

    @hookspec
    def squall_register_journal_sinks(self) -> Any:
        """Journal sinks. Return a list of callables ``sink(journal, path)``: each gets
        the final journal (a JSON-ready mapping) and the path it was written to (or
        None) once a run is over, to ship it elsewhere. A sink that raises is logged;
        the run's outcome does not change.
        """

    @hookspec
    def squall_register_commands(self) -> Any:
        """CLI commands. Return a list of ``click.Command``: each becomes
        ``squall <command.name>``. Consulted only for a command squall does not know and
        for ``squall --help`` (``squall --version`` never loads plugins). A built-in
        command's name cannot be taken.
        """
