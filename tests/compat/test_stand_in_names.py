"""The stand-in serves the chaoslib names published drivers import, with the real
package's values: compared here with chaostoolkit-lib itself (a dev dependency of
this test suite; squall never imports it at run time)."""

from __future__ import annotations

import importlib
import warnings
from typing import Any

import pytest

from squall.compat import COVERED

#: the names drivers, controls and notification plugins import (see docs/compatibility.md)
SURVEY = {
    "chaoslib": [
        "__version__",
        "substitute",
        "experiment_hash",
        "canonical_json",
        "decode_bytes",
        "PayloadEncoder",
        "ActivityFailed",
        "Configuration",
        "Secrets",
        "Experiment",
        "ConfigVars",
        "SecretVars",
    ],
    "chaoslib.types": ["Configuration", "Secrets", "Strategy", "Dry", "Schedule", "Journal"],
    "chaoslib.exceptions": ["ActivityFailed", "FailedActivity", "InterruptExecution"],
    "chaoslib.exit": ["exit_gracefully", "exit_ungracefully"],
    "chaoslib.discovery.discover": [
        "discover_actions",
        "discover_probes",
        "discover_activities",
        "initialize_discovery_result",
    ],
    "chaoslib.settings": ["get_loaded_settings", "load_settings", "save_settings"],
    "chaoslib.extension": [
        "get_extension",
        "has_extension",
        "set_extension",
        "merge_extension",
        "remove_extension",
        "validate_extensions",
    ],
    "chaoslib.deprecation": ["warn_about_moved_function"],
    "chaoslib.notification": ["RunFlowEvent", "DiscoverFlowEvent", "ValidateFlowEvent"],
    "chaoslib.run": ["RunEventHandler", "EventHandlerRegistry"],
}

EXPERIMENT: dict[str, Any] = {
    "title": "t ✓",
    "description": "d",
    "configuration": {"url": "http://x", "n": 3},
    "method": [{"type": "action", "name": "a", "provider": {"type": "python"}}],
    "extensions": [{"name": "one", "v": 1}],
}


def _stand_in(module: str) -> Any:
    return importlib.import_module(COVERED[module])


@pytest.mark.parametrize("module", sorted(SURVEY))
def test_every_surveyed_name_is_served(module: str) -> None:
    assert module in COVERED
    served = _stand_in(module)
    missing = [name for name in SURVEY[module] if not hasattr(served, name)]
    assert missing == []


@pytest.mark.parametrize("module", sorted(SURVEY))
def test_the_real_package_has_the_same_names(module: str) -> None:
    """The survey names real chaoslib names (none invented by the stand-in)."""
    real = importlib.import_module(module)
    assert [n for n in SURVEY[module] if not hasattr(real, n)] == []


@pytest.mark.parametrize("algo", [None, "sha256", "md5"])
def test_experiment_hash_and_canonical_json_equal_chaoslibs(algo: str | None) -> None:
    import chaoslib

    stand_in = _stand_in("chaoslib")
    assert stand_in.canonical_json(EXPERIMENT) == chaoslib.canonical_json(EXPERIMENT)
    assert stand_in.experiment_hash(EXPERIMENT, algo) == chaoslib.experiment_hash(EXPERIMENT, algo)
    with pytest.raises(ValueError, match="Unsupported hashlib algorithm"):
        stand_in.experiment_hash(EXPERIMENT, "nope")


@pytest.mark.parametrize(
    "data",
    [
        "${url}/path",
        "${n}",
        "${token}",
        "${missing} and $$ and ${url}",
        {"a": ["${n}", {"b": "${url}"}], "c": 1},
        ["${token}", ("${n}",)],
        "",
        None,
    ],
)
def test_substitute_equals_chaoslibs(data: Any) -> None:
    import chaoslib

    configuration = {"url": "http://x", "n": 3}
    secrets = {"scope": {"token": "s3cr3t", "url": "hidden"}}
    expected = chaoslib.substitute(data, configuration, secrets)
    assert _stand_in("chaoslib").substitute(data, configuration, secrets) == expected


def test_extension_helpers_behave_as_chaoslibs() -> None:
    import copy

    import chaoslib.extension as real

    served = _stand_in("chaoslib.extension")
    mine, theirs = copy.deepcopy(EXPERIMENT), copy.deepcopy(EXPERIMENT)
    for module, doc in ((served, mine), (real, theirs)):
        module.merge_extension(doc, {"name": "one", "w": 2})
        module.set_extension(doc, {"name": "two"})
        module.merge_extension(doc, {"name": "three"})
        module.remove_extension(doc, "two")
        assert module.has_extension(doc, "one") and not module.has_extension(doc, "two")
    assert mine == theirs
    assert served.get_extension(mine, "one") == {"name": "one", "v": 1, "w": 2}
    with pytest.raises(Exception, match="non-empty name"):
        served.validate_extensions({"extensions": [{"name": " "}]})


def test_enums_and_handlers_match_chaoslibs() -> None:
    import chaoslib.notification as notification
    import chaoslib.run as run
    import chaoslib.types as types

    for name in ("RunFlowEvent", "DiscoverFlowEvent", "InitFlowEvent", "ValidateFlowEvent"):
        mine = getattr(_stand_in("chaoslib.notification"), name)
        theirs = getattr(notification, name)
        assert [(e.name, e.value) for e in mine] == [(e.name, e.value) for e in theirs]
    served_types = _stand_in("chaoslib.types")
    for name in ("Strategy", "Dry"):
        mine, theirs = getattr(served_types, name), getattr(types, name)
        assert [(e.name, e.value) for e in mine] == [(e.name, e.value) for e in theirs]
    for text in ("default", "continuously", "skip", "before-method-only"):
        assert served_types.Strategy.from_string(text).name == types.Strategy.from_string(text).name
    with pytest.raises(ValueError):
        served_types.Strategy.from_string("continuous")
    assert served_types.Dry.from_string("") is None
    public = {n for n in dir(run.RunEventHandler) if not n.startswith("_")}
    served_run = _stand_in("chaoslib.run")
    assert public <= set(dir(served_run.RunEventHandler))

    seen: list[str] = []

    class Handler(served_run.RunEventHandler):  # type: ignore[misc,name-defined]
        def start_method(self, experiment: Any) -> None:
            seen.append(experiment["title"])

        def finish(self, journal: Any) -> None:
            raise RuntimeError("a failing handler is skipped")

    registry = served_run.EventHandlerRegistry()
    registry.register(Handler())
    registry.start_method(EXPERIMENT)
    registry.finish({})
    registry.started(EXPERIMENT, {})  # not overridden: does nothing
    assert seen == ["t ✓"]


def test_moved_function_warning_and_settings(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _stand_in("chaoslib.deprecation").warn_about_moved_function("moved to x")
    assert [str(w.message) for w in caught] == ["moved to x"]
    assert caught[0].category is DeprecationWarning
    settings = _stand_in("chaoslib.settings")
    path = tmp_path / "settings.yaml"
    settings.save_settings({"auths": {"h": {"type": "bearer", "value": "v"}}}, str(path))
    assert settings.load_settings(str(path))["auths"]["h"]["type"] == "bearer"
    assert settings.get_loaded_settings()["auths"]["h"]["value"] == "v"


def test_exceptions_read_as_the_reference_writes_them() -> None:
    """A journal's ``exception`` lines name the class as chaostoolkit-lib's do (they
    once read ``squall.compat.chaoslib.exceptions.ActivityFailed``)."""
    import traceback

    from squall.compat.chaoslib import exceptions as stand_in

    real = importlib.import_module("chaoslib.exceptions")
    for name in stand_in.__all__:
        mine = traceback.format_exception_only(getattr(stand_in, name)("it broke"))
        theirs = traceback.format_exception_only(getattr(real, name)("it broke"))
        assert mine == theirs, name
