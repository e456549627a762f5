"""``chaoslib.settings.get_loaded_settings()`` in a driver reads the command's
``--settings`` file (before, it read $SQUALL_SETTINGS or the default file, whatever
``--settings`` said)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DRIVER = """
from chaoslib.settings import get_loaded_settings


def marker():
    # the URL's last part: a notification URL is a credential, masked whole in the journal
    url = get_loaded_settings().get("notifications", [{}])[0].get("url", "no settings")
    return url.rsplit("/", 1)[-1]
"""


def test_a_driver_reads_the_settings_given_with_the_option(squall: Any, tmp_path: Path) -> None:
    (tmp_path / "readsettings.py").write_text(DRIVER)
    given = tmp_path / "given.yaml"
    given.write_text("notifications: [{type: http, url: 'http://127.0.0.1:9/given', events: []}]\n")
    (tmp_path / "e.json").write_text(json.dumps({
        "title": "t", "description": "d",
        "method": [{"type": "probe", "name": "settings", "provider": {
            "type": "python", "module": "readsettings", "func": "marker"}}],
    }))  # fmt: skip
    env = {"SQUALL_SETTINGS": str(tmp_path / "other.yaml")}
    done = squall("--settings", str(given), "run", "e.json", env=env)
    assert done.code == 0, done.stderr
    assert done.journal["run"][0]["output"] == "given"
    # without the option: $SQUALL_SETTINGS (missing here: no settings)
    done = squall("run", "e.json", env=env)
    assert done.journal["run"][0]["output"] == "no settings"


def test_the_stand_in_reads_the_command_settings_file(tmp_path: Path) -> None:
    import contextvars

    from squall.compat.chaoslib import settings as stand_in
    from squall.settings import use_settings_path

    given = tmp_path / "given.yaml"
    given.write_text("auths: {example.com: {type: bearer, value: v}}\n")
    use_settings_path(str(given))
    try:  # a fresh context: nothing loaded yet, as in a new process
        loaded = contextvars.Context().run(stand_in.get_loaded_settings)
    finally:
        use_settings_path(None)
    assert loaded == {"auths": {"example.com": {"type": "bearer", "value": "v"}}}
