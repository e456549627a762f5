"""Engine.run(plan) -> Journal: the order of phases, and nothing else."""

from __future__ import annotations

import os
import time
from collections.abc import Collection, Mapping

from squall._log import get_logger
from squall._record import Record
from squall._version import __version__
from squall.engine.configuration import (
    check_overrides,
    load_configuration,
    load_secrets,
    run_dynamic_configuration,
    variables_of,
)
from squall.engine.context import Interruption, LoggingListener, RunContext, now_iso
from squall.engine.local import LocalSteps
from squall.engine.machine import recover_steps, run_steps
from squall.engine.rules import (
    declares_controls,
    journal_experiment,
    platform_name,
    played_names,
)
from squall.engine.signals import handle_signals, request_stop_now
from squall.engine.snapshot import new_recorder, start_facts
from squall.engine.verdict import RunFacts, journal_lost
from squall.experiment.model import Activity, ControlDecl
from squall.hooks.discovery import installed_entry_points
from squall.hooks.names import ENTRY_POINT_GROUP
from squall.hooks.view import RunView
from squall.journal.limits import DEFAULT_MAX_OUTPUT
from squall.journal.model import Journal
from squall.journal.recorder import Recorder
from squall.journal.store import EventStream, events_path_for, format_journal, write_journal_text
from squall.plan import Plan
from squall.providers import Call, ProviderRegistry, default_registry
from squall.show import show_value

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost

if TYPE_CHECKING:
    from typing import Any

    from squall.engine.context import Listener
    from squall.hooks.manager import HookCaller
    from squall.journal.history import RunHistory, RunRecord

__all__ = ["Engine", "RunOptions"]

log = get_logger(__name__)


class RunOptions(Record):
    """Run-time inputs that are not part of the plan."""

    __slots__ = (
        "events",
        "global_controls",
        "history",
        "journal_path",
        "keep_events",
        "max_output",
        "overrides",
        "run_id",
        "secret_overrides",
        "settings",
        "shared_keys",
    )

    def __init__(
        self,
        *,
        overrides: Mapping[str, Any] | None = None,
        secret_overrides: Mapping[str, Mapping[str, Any]] | None = None,
        journal_path: str | os.PathLike[str] | None = None,
        keep_events: bool = False,
        run_id: str | None = None,
        settings: Mapping[str, Any] | None = None,
        global_controls: tuple[ControlDecl, ...] = (),
        history: RunHistory | str | os.PathLike[str] | bool | None = None,
        events: bool = True,
        max_output: int | None = DEFAULT_MAX_OUTPUT,
        shared_keys: Collection[str] = (),
    ) -> None:
        self.overrides: Mapping[str, Any] = overrides or {}
        self.secret_overrides: Mapping[str, Mapping[str, Any]] = secret_overrides or {}
        self.journal_path = journal_path
        self.keep_events = keep_events
        self.run_id = run_id
        self.settings: Mapping[str, Any] = settings or {}
        self.global_controls = global_controls
        #: the run history to record the run in: an opened store, or one named (a path,
        #: a postgresql:// URL; True: $SQUALL_HISTORY, else the ``history`` setting,
        #: else the default file) that ``Engine.run`` opens and closes; None or False:
        #: not recorded
        self.history = history
        #: stream the journal to JOURNAL.events.jsonl as the run goes (False: the run
        #: cannot be recovered after a crash; for measuring the stream's cost)
        self.events = events
        #: the most characters of output an activity's journal entry keeps (None: all)
        self.max_output = max_output
        #: override keys read from a var file several experiments share (``key``;
        #: ``scope.key`` for a secret): a near miss among them is warned about, not
        #: refused (``squall.experiment.overrides``)
        self.shared_keys = frozenset(shared_keys)

    @property
    def store(self) -> RunHistory | None:
        """The opened run history (None: the run is not recorded, or its store is
        named and not yet opened)."""
        history = self.history
        if history is None or isinstance(history, str | bool | os.PathLike):
            return None
        return history


def _side_probe(ctx: RunContext, raw: Any) -> Any:
    """A control's probe (``run_side_probe``, imported when a control asks for one)."""
    from squall.engine.sideprobe import run_side_probe

    return run_side_probe(ctx, raw)


def _add_repeat(ctx: RunContext, activity: Mapping[str, Any], times: int) -> None:
    with ctx.lock:
        ctx.repeats[id(activity)] = ctx.repeats.get(id(activity), 0) + times


class Engine:
    """Runs plans; owns the provider registry (and so its caches)."""

    def __init__(
        self,
        registry: ProviderRegistry | None = None,
        listener: Listener | None = None,
        plugins: tuple[object, ...] = (),
        *,
        entry_points: bool = True,
    ) -> None:
        self.registry = registry or default_registry()
        self.listener: Listener = listener or LoggingListener()
        self.plugins = plugins
        self.entry_points = entry_points

    def run(self, plan: Plan, options: RunOptions | None = None) -> Journal:
        """Run the plan and return its journal (also written to ``journal_path`` if given).

        Raises:
            InputError: configuration, secrets or controls cannot be resolved (nothing ran).
        """
        options = options or RunOptions()
        named = options.history
        if isinstance(named, str | os.PathLike) or named is True:
            return self._run_named_history(plan, options, named)
        ctx = self._prepare(plan, options)
        journal = ctx.recorder.journal
        record = self._record_start(ctx, options)
        self.listener.run_started(str(journal.experiment.get("title", "")), journal.run_id)
        local = LocalSteps(ctx, RunFacts(), started=time.perf_counter())
        with handle_signals(ctx, plan.experiment.runtime.timeout):
            local.drive(run_steps(plan, ctx, local.facts))
        self.registry.close()  # kept-alive connections end with the run
        self._write(ctx, options, record, owed=bool(local.owed))
        return journal

    def _note_played(self, ctx: RunContext, played: list[str]) -> None:
        """Note the rollbacks played on the stream cut short; say when it cannot be."""
        if played and not ctx.recorder.note_played(played):
            from squall.show import counted

            unique = list(dict.fromkeys(played))
            names = ", ".join(show_value(name) for name in unique)
            self.listener.warning(
                f"{counted(len(unique), 'rollback')} played ({names}) could not be noted "
                "on the event stream that the full disk cut short (its file system keeps "
                "no user extended attributes): `squall recover` will play them again"
            )

    def _run_named_history(
        self, plan: Plan, options: RunOptions, named: str | os.PathLike[str] | bool
    ) -> Journal:
        """Open the run history ``options`` name, run, close it.

        Raises:
            HistoryError: it cannot be opened (nothing ran).
        """
        from squall.engine.history import open_named

        store = open_named(named, options.settings)
        try:
            return self.run(plan, options.replace(history=store))
        finally:
            if store is not None:
                store.close()

    def _prepare(self, plan: Plan, options: RunOptions) -> RunContext:
        """Resolve configuration, secrets and controls; create the journal and recorder."""
        run_id = options.run_id or os.urandom(6).hex()
        configuration, secrets, variables = self._resolve(plan, options, run_id)
        journal = Journal(
            experiment=journal_experiment(plan, variables),
            start=now_iso(),
            platform=platform_name(),
            node=os.uname().nodename,
            squall_version=__version__,
            run_id=run_id,
        )
        start = start_facts(plan, options.overrides, options.journal_path, options.secret_overrides)
        journal.experiment_hash = start["experiment_hash"]
        return self._context(plan, options, journal, (configuration, secrets, variables), start)

    def _resolve(
        self, plan: Plan, options: RunOptions, run_id: str
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any]], Mapping[str, Any]]:
        """Configuration (static, then secrets, then dynamic) and the ${} lookup."""
        os.environ["SQUALL_RUN_ID"] = run_id
        experiment, overrides = plan.experiment, options.overrides
        check_overrides(
            experiment,
            overrides,
            options.secret_overrides,
            options.global_controls,
            shared=options.shared_keys,
            warn=self.listener.warning,
        )
        configuration, dynamic = load_configuration(experiment, overrides)
        secrets = load_secrets(plan.experiment, options.secret_overrides, configuration)
        run_dynamic_configuration(configuration, dynamic, secrets, self._config_probe)
        configuration.setdefault("squall_run_id", run_id)
        return configuration, secrets, variables_of(configuration, secrets)

    def _context(
        self,
        plan: Plan,
        options: RunOptions,
        journal: Journal,
        resolved: tuple[dict[str, Any], dict[str, dict[str, Any]], Mapping[str, Any]],
        start: dict[str, Any] | EventStream,
    ) -> RunContext:
        """The run's context; ``start`` is the new stream's facts, or the stream a
        recovery continues."""
        configuration, secrets, variables = resolved
        hooks = self._hooks(plan, options)
        if isinstance(start, EventStream):
            recorder = Recorder(journal, None, stream=start, max_output=options.max_output)
        else:
            events = options.events and options.journal_path is not None
            recorder = new_recorder(
                journal, options.journal_path, start, events=events, max_output=options.max_output
            )
        ctx = RunContext(
            plan=plan,
            registry=self.registry,
            recorder=recorder,
            listener=self.listener,
            configuration=configuration,
            secrets=secrets,
            variables=variables,
            hooks=hooks,
        )
        ctx.view = RunView(
            experiment=plan.experiment,
            journal=journal,
            configuration=configuration,
            secrets=secrets,
            settings=options.settings,
            stop=lambda name, reason, kind: request_stop_now(
                ctx, Interruption(name, reason, kind=kind)
            ),
            probe=lambda raw: _side_probe(ctx, raw),
            repeat=lambda activity, times: _add_repeat(ctx, activity, times),
        )
        return ctx

    def recover(
        self,
        plan: Plan,
        journal: Journal,
        owed: tuple[Activity, ...],
        options: RunOptions,
        stream: EventStream,
        *,
        interrupted: bool = True,
    ) -> Journal:
        """Play the rollbacks a stopped run still owes, append them to its event
        ``stream`` (opened, and locked, by the caller), and write its final journal (the
        stream is then removed)."""
        resolved = self._resolve(plan, options, journal.run_id)
        ctx = self._context(plan, options, journal, resolved, stream)
        record = self._record_start(ctx, options, recovering=True)
        ctx.outputs.seed(journal)  # rollbacks may use ${outputs...} of the stopped run
        local = LocalSteps(ctx, RunFacts())
        local.facts.method_started = True
        if interrupted:
            ctx.interruption = Interruption(
                "recovered",
                "the run stopped before it finished (killed or crashed); "
                "squall recover played the rollbacks it owed",
                kind="crash",
            )
        with handle_signals(ctx):
            local.drive(recover_steps(plan, ctx, owed))
        self.registry.close()  # kept-alive connections end with the recovery
        self._write(ctx, options, record, owed=bool(local.owed))
        return journal

    def _record_start(
        self, ctx: RunContext, options: RunOptions, *, recovering: bool = False
    ) -> RunRecord | None:
        """Record the run in the history as it starts (a recovery keeps the first record
        and only says how the run ended)."""
        if options.store is None:
            return None
        from squall.engine.history import record_start, start_record

        record = start_record(
            ctx.plan, ctx.recorder.journal, options.journal_path, ctx.recorder.events_path
        )
        if recovering:
            return record.replace(recovered=True)
        record_start(options.store, record, self.listener)
        return record

    def _write(
        self, ctx: RunContext, options: RunOptions, record: RunRecord | None, *, owed: bool
    ) -> None:
        """Write the final journal (and its copy in the history); keep the event stream
        when the file cannot be written (nothing lost) or rollbacks are still ``owed``
        (the stream then does not end: ``squall recover`` plays them)."""
        journal = ctx.recorder.journal
        keep_events = options.keep_events or options.journal_path is None or owed
        text = None
        if options.journal_path is not None or record is not None:
            text = _journal_text(ctx)
        if options.journal_path is not None and text is not None:
            try:
                write_journal_text(text, options.journal_path)
            except OSError as exc:  # nothing is lost: the event stream stays
                keep_events = True
                journal_lost(
                    journal,
                    f"the journal could not be written ({exc}); the event stream "
                    f"{ctx.recorder.events_path} holds the run"
                    if ctx.recorder.stream_complete
                    else f"the journal could not be written ({exc})",
                )
                text = _journal_text(ctx)
                log.error("cannot write the journal %s: %s", options.journal_path, exc)
        if not owed and not options.keep_events and not ctx.recorder.stream_complete:
            keep_events = False  # a full disk cut it short: a recovery would replay rollbacks
        if owed and not ctx.recorder.stream_complete:  # recover must know what was played
            self._note_played(ctx, played_names(journal.rollbacks))
        store = options.store
        if store is not None and record is not None and text is not None:
            from squall.engine.history import record_end

            record_end(store, record, journal, text, self.listener, recovered=record.recovered)
        keep_as = None
        if options.keep_events and options.journal_path is not None and not owed:
            keep_as = events_path_for(options.journal_path)  # beside the journal
        ctx.recorder.close(keep_events=keep_events, ended=not owed, keep_as=keep_as)
        if self.entry_points:
            from squall.hooks.registration import registrations

            found = registrations()
            if found.sinks:
                from squall.masking import mask_value

                path = os.fspath(options.journal_path) if options.journal_path else None
                found.ship(mask_value(journal.to_dict()), path)

    def _hooks(self, plan: Plan, options: RunOptions) -> HookCaller | None:
        """The hook bus, or None when no plugin and no control is there (pluggy is then
        never imported).

        Raises:
            InputError: a control's module cannot be imported or is invalid.
        """
        plugins: tuple[object, ...] = self.plugins
        if options.global_controls or declares_controls(plan.experiment):
            from squall.hooks.controls import ControlPlugin

            plugins = (*plugins, ControlPlugin(plan.experiment, options.global_controls))
        installed = self.entry_points and bool(installed_entry_points(ENTRY_POINT_GROUP))
        if not plugins and not installed:
            return None
        from squall.hooks.manager import HookCaller, make_plugin_manager

        return HookCaller(make_plugin_manager(plugins, entry_points=self.entry_points))

    def _config_probe(
        self,
        probe: Activity,
        configuration: Mapping[str, Any],
        secrets: Mapping[str, Mapping[str, Any]],
    ) -> Any:
        spec = probe.provider
        provider = self.registry.get(spec.type) if spec else None
        if spec is None or provider is None:
            raise ValueError(f"unknown provider for dynamic configuration {show_value(probe.name)}")
        call = Call(
            name=probe.name,
            variables=variables_of(configuration, secrets),
            configuration=configuration,
            secrets=secrets,
            timeout=probe.timeout,
        )
        output = provider.run(spec, call)
        if spec.type == "process":
            if output["status"] != 0:
                raise ValueError(f"process exited with {output['status']}")
            return output["stdout"].strip()
        if spec.type == "http":
            return output["body"]
        return output


def _journal_text(ctx: RunContext) -> str:
    """The final journal's text, masked again when a secret was learnt during the run
    (the experiment and the entries encoded before it could hold it in clear)."""
    recorder = ctx.recorder
    text = format_journal(recorder.journal.to_document(), recorder.encoded_activities)
    if not recorder.secret_learnt:
        return text
    from squall.masking import mask_text

    return mask_text(text)
