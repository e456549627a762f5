"""The squall pytest plugin (registered as the pytest11 entry point ``squall``)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from squall.testing import JournalAssertions, LoopbackHTTPServer, Response

pytest_plugins = ["pytester"]


def _probe(name: str, url: str, tolerance: Any = 200) -> dict[str, Any]:
    return {
        "type": "probe",
        "name": name,
        "provider": {"type": "http", "url": url, "timeout": 3},
        "tolerance": tolerance,
    }


def _experiment(url: str) -> dict[str, Any]:
    return {
        "title": "the service answers",
        "description": "plugin test",
        "steady-state-hypothesis": {"title": "200", "probes": [_probe("health", url)]},
        "method": [
            {
                "type": "action",
                "name": "sleep",
                "provider": {
                    "type": "python",
                    "module": "json",
                    "func": "loads",
                    "arguments": {"s": "[]"},
                },
            }
        ],
        "rollbacks": [
            {
                "type": "action",
                "name": "undo",
                "provider": {
                    "type": "python",
                    "module": "os.path",
                    "func": "exists",
                    "arguments": {"path": "/"},
                },
            }
        ],
    }


def test_loopback_http_server(loopback_http_server: LoopbackHTTPServer) -> None:
    server = loopback_http_server
    server.set("/x", status=201, body="made", headers={"X-Test": "1"})
    with urllib.request.urlopen(server.url("/x?q=1")) as response:
        assert response.status == 201 and response.read() == b"made"
        assert response.headers["X-Test"] == "1"
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(server.url("/missing"))
    caught.value.close()
    assert caught.value.code == 404
    assert [r["path"] for r in server.requests] == ["/x?q=1", "/missing"]
    assert server.host == "127.0.0.1" and server.port > 0


def test_a_header_sent_twice(loopback_http_server: LoopbackHTTPServer) -> None:
    """Two Set-Cookie headers (a list value): both reach the client, in order."""
    cookies = ["session=1; Secure; HttpOnly", "tracking=2"]
    loopback_http_server.set("/c", headers={"Set-Cookie": cookies, "X-One": "1"})
    with urllib.request.urlopen(loopback_http_server.url("/c")) as response:
        assert response.headers.get_all("Set-Cookie") == cookies
        assert response.headers.get_all("X-One") == ["1"]


def _configured(url: str) -> dict[str, Any]:
    experiment = _experiment("${health_url}")
    experiment["configuration"] = {"health_url": "http://127.0.0.1:9/"}
    experiment["secrets"] = {"svc": {"token": "inline"}}
    experiment["method"][0]["provider"]["arguments"] = {"s": "${token}"}
    experiment["method"][0]["secrets"] = ["svc"]
    return experiment


def test_squall_run_takes_configuration_and_secrets(
    squall_run: Any, loopback_http_server: Any
) -> None:
    """Overrides work as --var/--var-file do: the experiment's own values are replaced."""
    loopback_http_server.set("/health", status=200)
    url = loopback_http_server.url("/health")
    result = squall_run(
        _configured(url),
        configuration={"health_url": url},
        secrets={"svc": {"token": "[1, 2]"}},
    )
    result.assert_held()
    assert result.output("sleep") == [1, 2]
    assert [r["path"] for r in loopback_http_server.requests] == ["/health", "/health"]
    # without the overrides the declared values apply (port 9: nothing listens)
    squall_run(_configured(url)).assert_outcome("not-run")


def test_a_misspelt_configuration_key_is_refused_before_the_run(
    squall_run: Any, loopback_http_server: Any
) -> None:
    """Not passed on silently while the experiment's own health_url is used (newcomer7)."""
    import squall

    loopback_http_server.set("/health", status=200)
    url = loopback_http_server.url("/health")
    with pytest.raises(squall.ValidationError, match='did you mean "health_url"'):
        squall_run(_configured(url), configuration={"helth_url": url})
    with pytest.raises(squall.InputError, match='did you mean "token"'):
        squall_run(_configured(url), secrets={"svc": {"tokn": "[1]"}}, validate=False)
    assert loopback_http_server.requests == []  # nothing ran
    given = {"health_url": url, "region": "x"}
    squall_run(
        _configured(url), configuration=given, secrets={"svc": {"token": "[1]"}}
    ).assert_held()


def test_squall_run_takes_the_rollback_strategy(squall_run: Any, loopback_http_server: Any) -> None:
    """As --rollback-strategy: 'never' plays no rollback of a run that held."""
    import squall

    loopback_http_server.set("/health", status=200)
    experiment = _experiment(loopback_http_server.url("/health"))
    squall_run(experiment).assert_rolled_back("undo")
    never = squall_run(experiment, rollback_strategy="never")
    assert never.journal.rollbacks == []
    options = squall.PlanOptions(rollback_strategy="never", dry="actions")
    assert squall_run(experiment, plan_options=options).journal.rollbacks == []
    with pytest.raises(squall.InputError, match="not one of default, always"):
        squall_run(experiment, rollback_strategy="sometimes")


def test_squall_run_held_then_deviated(squall_run: Any, loopback_http_server: Any) -> None:
    loopback_http_server.set("/health", status=200)
    result = squall_run(_experiment(loopback_http_server.url("/health")))
    assert isinstance(result, JournalAssertions)
    result.assert_held().assert_rolled_back("undo").assert_succeeded("sleep")
    assert result.exit_code == 0
    assert result.output("health", "before")["status"] == 200
    with pytest.raises(AssertionError, match='expected "deviated", got outcome "held"'):
        result.assert_deviated()
    with pytest.raises(AssertionError, match='no activity "nope"'):
        result.entry("nope")

    loopback_http_server.queue("/health", 200, Response(503, "down"))
    result = squall_run(_experiment(loopback_http_server.url("/health")))
    result.assert_deviated()
    assert result.exit_code == 1


def test_squall_run_a_file_and_broken(squall_run: Any, tmp_path: Path) -> None:
    experiment = _experiment("http://127.0.0.1:9/")
    del experiment["steady-state-hypothesis"]
    experiment["method"][0]["provider"]["arguments"] = {"s": "not json"}
    path = tmp_path / "given.json"
    path.write_text(json.dumps(experiment))
    result = squall_run(path)
    result.assert_broken()
    with pytest.raises(AssertionError, match='"sleep" failed'):
        result.assert_succeeded("sleep")


def test_registered_by_entry_point(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_fixtures(squall_run, loopback_http_server):
            loopback_http_server.set("/", status=204)
            assert loopback_http_server.port
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"configuration": ["url"]}, r"configuration=\.\.\.\) takes a dict .* got list"),
        ({"secrets": {"token": "s3"}}, r"scope 'token' must be a dict .* got str"),
        ({"secrets": [("api", {})]}, r"secrets=\.\.\.\) takes a dict of secret scopes"),
    ],
)
def test_overrides_of_the_wrong_shape_say_the_right_one(
    squall_run: Any, given: dict[str, Any], says: str
) -> None:
    """Not Python's 'dictionary update sequence element #0 has length 1; 2 is required'."""
    with pytest.raises(TypeError, match=says):
        squall_run(_experiment("http://127.0.0.1:9/"), **given)


def test_the_journal_is_kept_and_named(
    squall_run: Any, loopback_http_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loopback_http_server.set("/health", status=200)
    result = squall_run(_experiment(loopback_http_server.url("/health")))
    assert result.journal_path == tmp_path / "journal.json"
    assert json.loads(result.journal_path.read_text())["squall"]["outcome"] == "held"
    with pytest.raises(
        AssertionError, match=r"the steady state held \(journal: .*journal\.json\)\n"
    ):
        result.assert_deviated()
    elsewhere = tmp_path / "kept" / "prices.journal.json"
    elsewhere.parent.mkdir()
    result = squall_run(_experiment(loopback_http_server.url("/health")), journal_path=elsewhere)
    assert result.journal_path == elsewhere and elsewhere.is_file()
    # named from where the test runs, if under it (else absolute, as above)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AssertionError, match=r"\(journal: kept/prices\.journal\.json\)\n"):
        squall_run(
            _experiment(loopback_http_server.url("/health")),
            journal_path="kept/prices.journal.json",
        ).assert_broken()


def test_a_relative_path_means_the_same_in_every_call(
    squall_run: Any, loopback_http_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run works in tmp_path, and the test's own directory is back afterwards: the
    second call with the same relative path found no file before (it looked in tmp_path)."""
    project = tmp_path / "project"
    (project / "experiments").mkdir(parents=True)
    loopback_http_server.set("/health", status=200)
    experiment = _experiment(loopback_http_server.url("/health"))
    (project / "experiments" / "e.json").write_text(json.dumps(experiment))
    monkeypatch.chdir(project)
    squall_run("experiments/e.json").assert_held()
    assert Path.cwd() == project
    squall_run("experiments/e.json").assert_held()


def test_sections_by_the_console_words(squall_run: Any, loopback_http_server: Any) -> None:
    """The console says method and rollback; the journal run and rollbacks: both work."""
    loopback_http_server.set("/health", status=200)
    result = squall_run(_experiment(loopback_http_server.url("/health")))
    assert result.output("sleep", "method") == result.output("sleep", "run") == []
    result.assert_succeeded("undo", "rollback")
    with pytest.raises(ValueError, match=r'unknown section "during": use one of "run"'):
        result.output("sleep", "during")


def test_ctrl_c_during_a_run_stops_the_session(pytester: pytest.Pytester) -> None:
    """The run plays what its strategy owes and returns; then pytest stops, as Ctrl-C
    asks, instead of counting a failure and going on with the next test."""
    pytester.makepyfile(
        ctrl_c="import os, signal\n\ndef press() -> None:\n    os.kill(os.getpid(), signal.SIGINT)\n"
    )
    pytester.makepyfile(
        """
        CTRL_C = {"type": "python", "module": "ctrl_c", "func": "press"}
        EXPERIMENT = {
            "title": "interrupted", "description": "Ctrl-C in the method",
            "runtime": {"rollbacks": {"strategy": "always"}},
            "method": [{"type": "action", "name": "ctrl-c", "provider": CTRL_C}],
            "rollbacks": [{"type": "action", "name": "undo", "provider": {
                "type": "python", "module": "os.path", "func": "exists",
                "arguments": {"path": "/"}}}],
        }

        def test_first(squall_run):
            result = squall_run(EXPERIMENT)
            print("RETURNED", result.outcome)

        def test_second():
            print("SECOND RAN")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s")
    text = result.stdout.str()
    # squall.RunInterrupted, the KeyboardInterrupt run_experiment raises after the rollbacks
    assert "RunInterrupted: interrupted by SIGINT (Ctrl-C)" in text
    assert "RETURNED" not in text and "SECOND RAN" not in text
    assert result.ret == pytest.ExitCode.INTERRUPTED
