"""The other commands: --version, validate, --plan, settings, info, log formats, loading
from stdin and URLs (with the loader's bearer token and settings auths)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from squall.cli import main

from sqharness import EXAMPLES, subprocess_env


def test_version_is_answered_without_importing_click() -> None:
    code = (
        "import sys; from squall.cli import main; rc = main(['--version']); "
        "assert 'click' not in sys.modules, 'click imported'; "
        "assert 'jinja2' not in sys.modules, 'jinja2 imported'; sys.exit(rc)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("squall ")


def test_the_squall_script_answers_version_without_importing_re() -> None:
    """bin/squall is the installed command (pyproject's shared-scripts): pip's generated
    console-script wrapper imported ``re`` first, a third of ``squall --version``."""
    script = Path(__file__).resolve().parents[2] / "bin" / "squall"
    assert script.read_text(encoding="utf-8").startswith("#!python\n")
    done = subprocess.run(
        [sys.executable, "-X", "importtime", str(script), "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("squall ")
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert "squall" in imported
    assert not imported & {"re", "click", "typing", "enum"}, imported


def test_a_run_imports_no_report_library_unless_asked(tmp_path: Path) -> None:
    """Jinja2 (the HTML report) is imported only when an HTML report is written."""
    code = (
        "import sys; from squall.cli import main; rc = main({argv}); "
        "print(sorted({{'jinja2', 'markupsafe', 'squall.report'}} & set(sys.modules)))"
    )
    journal = str(tmp_path / "j.json")
    run = ["run", "--no-history", "--journal-path", journal, str(EXAMPLES / "trivial.json")]
    for argv, imported in (
        (run, "[]"),
        ([*run, "--junit", str(tmp_path / "j.xml")], "['squall.report']"),
        (
            [*run, "--report", f"html:{tmp_path / 'r.html'}"],
            "['jinja2', 'markupsafe', 'squall.report']",
        ),
    ):
        done = subprocess.run(
            [sys.executable, "-c", code.format(argv=argv)],
            capture_output=True,
            text=True,
            check=False,
            env=subprocess_env(),
            timeout=60,
        )
        assert done.stdout.strip().splitlines()[-1] == imported, done.stderr


def test_python_dash_m_and_help(squall: Any) -> None:
    result = squall("--help")
    assert result.code == 0 and "run" in result.stdout and "validate" in result.stdout


def test_validate_ok(squall: Any) -> None:
    result = squall("validate", str(EXAMPLES / "trivial.yaml"))
    assert result.code == 0 and "valid (2 activities)" in result.stderr


def test_plan_prints_the_resolved_plan_and_runs_nothing(squall: Any, tmp_path: Path) -> None:
    marker = tmp_path / "m"
    result = squall(
        "run",
        "--plan",
        "--rollback-strategy",
        "always",
        "--dry",
        "probes",
        str(EXAMPLES / "deviated.json"),
        "--var",
        f"marker={marker}",
    )
    assert result.code == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["rollback_strategy"] == "always"
    assert plan["steady_state_probes"] == ["probe marker-absent [dry]"]
    assert plan["method"] == ["action create-marker"]
    assert not marker.exists() and result.journal is None


def test_settings_set_get_show_remove(tmp_path: Path, capsys: Any) -> None:
    settings = tmp_path / "settings.yaml"
    base = ["--settings", str(settings), "settings"]
    assert main([*base, "set", "runtime.rollbacks.strategy", "always"]) == 0
    assert main([*base, "set", "auths.example\\.com:8443", '{"type": "bearer", "value": "t"}']) == 0
    assert (
        main([*base, "set", "notifications", '[{"type": "http", "url": "http://127.0.0.1:1"}]'])
        == 0
    )
    data = yaml.safe_load(settings.read_text())
    assert data["runtime"]["rollbacks"]["strategy"] == "always"
    assert data["auths"]["example.com:8443"]["type"] == "bearer"
    assert settings.stat().st_mode & 0o777 == 0o600
    capsys.readouterr()
    assert main([*base, "get", "notifications[0].url", "--format", "string"]) == 0
    assert capsys.readouterr().out.strip() == "http://127.0.0.1:1"
    assert main([*base, "get", "nope.nothing"]) == 1
    # a plain scalar in YAML (the default): the value alone, without YAML's "..." end mark
    assert main([*base, "set", "history", "postgresql://chaos@db.internal/chaos"]) == 0
    capsys.readouterr()
    assert main([*base, "get", "history"]) == 0
    shown_yaml = capsys.readouterr().out
    assert shown_yaml == "postgresql://chaos@db.internal/chaos\n"
    assert yaml.safe_load(shown_yaml) == "postgresql://chaos@db.internal/chaos"
    assert main([*base, "remove", "runtime.rollbacks"]) == 0
    assert main([*base, "remove", "runtime.rollbacks"]) == 1
    assert main([*base, "show", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["runtime"] == {} and "auths" in shown


def test_settings_show_get_and_info_mask_credentials(tmp_path: Path, capsys: Any) -> None:
    canaries = {
        "api": "tk-api-canary-51d0",
        "auth": "tk-auth-canary-7e2f",
        "header": "Bearer tk-header-canary-93ab",
        "vault": "tk-vault-canary-4c11",
        "db": "tk-db-canary-a88e",
    }
    settings = tmp_path / "settings.yaml"
    settings.write_text(
        yaml.safe_dump(
            {
                "temporal": {"api_key": canaries["api"], "tls_key": "/etc/squall/client.key"},
                "auths": {"example.com": {"type": "bearer", "value": canaries["auth"]}},
                "notifications": [
                    {
                        "type": "http",
                        "url": "https://hooks.example.com/chaos",
                        "headers": {"Authorization": canaries["header"]},
                    },
                ],
                "vault": {"vault_token": canaries["vault"]},
                "history": f"postgresql://squall:{canaries['db']}@db.example.com/runs",
            }
        )
    )
    before = settings.read_text()
    base = ["--settings", str(settings)]
    shown = []
    for args in (
        ["settings", "show"],
        ["settings", "show", "--format", "json"],
        ["settings", "get", "temporal.api_key", "--format", "string"],
        ["settings", "get", "auths"],
        ["settings", "get", "notifications[0].headers", "--format", "json"],
        ["info", "settings"],
    ):
        assert main([*base, *args]) == 0
        out, err = capsys.readouterr()
        shown.append(out + err)
    everything = "\n".join(shown)
    for canary in canaries.values():
        assert canary not in everything, canary
    assert shown[2].strip() == "***"
    document = json.loads(shown[1])
    assert document["temporal"] == {"api_key": "***", "tls_key": "/etc/squall/client.key"}
    assert document["auths"]["example.com"] == {"type": "bearer", "value": "***"}
    assert document["history"] == "postgresql://squall:***@db.example.com/runs"
    # a webhook's path may hold its token (Slack...): shown as scheme and host
    assert document["notifications"][0]["url"] == "https://hooks.example.com/…"
    assert settings.read_text() == before  # the file keeps them


def test_settings_runtime_strategy_is_used_by_run(squall: Any, tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text("runtime:\n  rollbacks:\n    strategy: never\n")
    result = squall("run", str(EXAMPLES / "deviated.json"), "--var", f"marker={tmp_path / 'm'}")
    assert result.code == 1 and result.journal["rollbacks"] == []


def test_bad_settings_file_is_a_clear_error(squall: Any, tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").write_text("- just\n- a list\n")
    result = squall("run", str(EXAMPLES / "trivial.json"))
    assert (
        result.code == 2
        and "must be a mapping" in result.stderr
        and "Traceback" not in result.stderr
    )


def test_info(squall: Any) -> None:
    core = squall("info", "core")
    assert core.code == 0 and core.stdout.startswith("squall ")
    assert squall("info", "extensions").code == 0


def test_json_log_format_makes_progress_machine_readable(squall: Any) -> None:
    result = squall("--log-format", "json", "run", str(EXAMPLES / "trivial.json"))
    records = [json.loads(line) for line in result.stderr.splitlines()]
    events = [r["event"] for r in records]
    assert events[0] == "start" and events[-1] == "verdict"
    assert records[-1]["exit_code"] == 0 and records[-1]["outcome"] == "held"


def test_log_file_and_change_dir(squall: Any, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    result = squall(
        "--change-dir",
        str(work),
        "--verbose",
        "--log-file",
        "squall.log",
        "run",
        str(EXAMPLES / "dynamic-config.json"),
        "--journal-path",
        "j.json",
    )
    assert result.code == 0, result.stderr
    assert (work / "j.json").exists()
    assert "dynamic configuration failed" in (work / "squall.log").read_text()


def test_stdin_source(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "squall",
            "--settings",
            str(tmp_path / "s.yaml"),
            "run",
            "--journal-path",
            str(tmp_path / "j.json"),
            "-",
        ],
        input=(EXAMPLES / "trivial.yaml").read_text(),
        capture_output=True,
        text=True,
        env=subprocess_env(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "j.json").read_text())["experiment"]["title"] == "trivial (YAML)"


def test_url_source_with_bearer_token(squall: Any, http_server: Any) -> None:
    http_server.httpd.token = "s3cret"
    url = f"{http_server.url}/experiment.json"
    denied = squall("run", url)
    assert denied.code == 2 and "HTTP 401" in denied.stderr
    for var in ("SQUALL_LOADER_AUTH_BEARER_TOKEN", "CHAOSTOOLKIT_LOADER_AUTH_BEARER_TOKEN"):
        allowed = squall("run", url, env={var: "s3cret"})
        assert allowed.code == 0, allowed.stderr
    yaml_doc = squall("validate", f"{http_server.url}/experiment.yaml")
    assert yaml_doc.code == 0, yaml_doc.stderr


def test_url_source_with_settings_auths(squall: Any, http_server: Any, tmp_path: Path) -> None:
    http_server.httpd.token = "from-settings"
    host, port = http_server.httpd.server_address[:2]
    (tmp_path / "settings.yaml").write_text(
        yaml.safe_dump({"auths": {f"{host}:{port}": {"type": "Bearer", "value": "from-settings"}}})
    )
    assert squall("run", f"{http_server.url}/experiment.json").code == 0
    headers = http_server.requests[-1][2]
    assert headers["Authorization"] == "Bearer from-settings"
    assert "application/json" in headers["Accept"]


def test_demo_group_is_attached_and_lazy(squall: Any, tmp_path: Path) -> None:
    result = squall("demo", "status", "--state-dir", str(tmp_path / "no-demo"))
    assert result.code != 0
    assert "Traceback" not in result.stderr
    code = "import sys; from squall.cli.app import cli; print('squall.demo' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_malformed_squall_placement_key_is_invalid_for_every_engine(
    squall: Any, tmp_path: Path
) -> None:
    """The ``squall`` key (Temporal placement) is checked by validate and by a local run
    too, located: an experiment is valid or not whatever engine runs it."""
    probe = {
        "type": "probe",
        "name": "edge-pid",
        "tolerance": True,
        "squall": {"task_queue": "edge"},
        "provider": {
            "type": "python",
            "module": "os.path",
            "func": "exists",
            "arguments": {"path": "/"},
        },
    }
    action = {**probe, "type": "action", "name": "a", "squall": "q"}
    del action["tolerance"]
    document = {
        "title": "t",
        "description": "d",
        "squall": {"task_queue": " ", "heartbeat": -3},
        "steady-state-hypothesis": {"title": "h", "probes": [probe]},
        "method": [action, {**action, "name": "b", "squall": {"task_queue": "ok"}}],
    }
    path = tmp_path / "placed.json"
    path.write_text(json.dumps(document))
    for command in ("validate", "run"):
        result = squall(command, str(path))
        assert result.code == 2, result.stderr
        located = [line.split(" at ", 1)[1].split(":")[0] for line in result.stderr.splitlines()
                   if " at /" in line]  # fmt: skip
        assert sorted(located) == [
            "/method/0/squall",
            "/squall/heartbeat",
            "/squall/task_queue",
            "/steady-state-hypothesis/probes/0/squall",
        ], result.stderr


def _script_run_imports(tmp_path: Path, experiment: dict[str, Any]) -> set[str]:
    """The modules ``python -X importtime bin/squall run`` of ``experiment`` imports."""
    path = tmp_path / "e.json"
    path.write_text(json.dumps(experiment), encoding="utf-8")
    script = Path(__file__).resolve().parents[2] / "bin" / "squall"
    command = [sys.executable, "-X", "importtime", str(script), "run"]
    done = subprocess.run(
        [*command, "--journal-path", "j.json", str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=subprocess_env(SQUALL_HISTORY=str(tmp_path / "h.sqlite3")),
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "j.json").read_text())["status"] == "completed"
    return {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}


def _python(name: str, func: str, arguments: dict[str, Any]) -> dict[str, Any]:
    provider = {"type": "python", "module": "os.path", "func": func, "arguments": arguments}
    return {"type": "probe", "name": name, "provider": provider}


def test_a_run_imports_neither_json_nor_re_nor_signal(tmp_path: Path) -> None:
    """json, re and signal cost a run about 15 M instructions (issue 14's eighth pass):
    squall reads and writes JSON with squall._json, its patterns are read by hand or
    compiled only when used (outputs, regex tolerances), its handlers are installed with
    squall._signal; a python activity's module already loaded (os.path) is taken from
    sys.modules without importing importlib (and warnings); the masking scopes' WeakSet
    comes from _weakrefset (threading's), not weakref."""
    hypothesis = {"title": "holds", "probes": [_python("exists", "exists", {"path": "/"})]}
    hypothesis["probes"][0]["tolerance"] = True
    experiment = {
        "title": "a ${what} run",
        "description": "placeholders, a hypothesis and a python activity",
        "configuration": {"what": "trivial"},
        "steady-state-hypothesis": hypothesis,
        "method": [_python("base", "basename", {"p": "/tmp/${what}"})],
    }
    imported = _script_run_imports(tmp_path, experiment)
    assert "squall.engine.runner" in imported
    forbidden = {"json", "re", "json.decoder", "signal", "importlib", "warnings", "weakref"}
    assert not imported & forbidden, imported


def test_a_process_activity_imports_no_json(tmp_path: Path) -> None:
    """subprocess imports re (through locale); json stays out."""
    provider = {"type": "process", "path": "true", "arguments": []}
    experiment = {
        "title": "a process",
        "description": "one process activity",
        "method": [{"type": "action", "name": "true", "provider": provider}],
    }
    imported = _script_run_imports(tmp_path, experiment)
    assert "subprocess" in imported
    assert "json" not in imported
