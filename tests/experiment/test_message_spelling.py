"""Names in validation, parse, lint and driver messages are spelt as JSON, as the run's
reasons and reports spell them (squall.show_value): ``unknown activity type "actoin"``,
not Python's ``'actoin'``. Before, ``squall validate`` mixed both spellings, and the
security driver printed ``no event matching {'kind': 'unexpected_port', ...}``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

BROKEN: dict[str, Any] = {
    "title": "t",
    "description": "d",
    "configuration": {"shop_url": "http://127.0.0.1:9/"},
    "method": [
        {"type": "actoin", "name": "a1", "provider": {"type": "python", "module": "os",
                                                       "func": "getcwd"}},
        {"type": "action", "name": "a2", "provider": {"type": "ftp"}},
        {"type": "action", "name": "a3", "provider": {"type": "python", "module": "os",
                                                       "func": "no_such_func"}},
        {"type": "action", "name": "a4", "provider": {"type": "process",
                                                       "path": "/no/such/exe"}},
        {"ref": "missing-activity"},
        {"type": "probe", "name": "a5", "provider": {"type": "python", "module": "os.path",
                                                      "func": "exists",
                                                      "arguments": {"path": "/", "bogus": 1}}},
    ],
}  # fmt: skip

#: a name between single quotes, as Python's repr writes it
PYTHON_SPELT = re.compile(
    r"'(actoin|ftp|no_such_func|os|/no/such/exe|missing-activity|bogus|shop_ulr|shop_url)'"
)


def test_validate_spells_every_name_as_json(squall: Any, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(BROKEN, indent=2))
    result = squall("validate", "--var", "shop_ulr=x", str(path))
    assert result.code == 2
    for shown in (
        'unknown activity type "actoin"',
        'unknown provider type "ftp"',
        'function "no_such_func" not found in module "os"',
        'executable "/no/such/exe" not found',
        'reference to unknown activity "missing-activity"',
        'exists() has no argument "bogus"',
        'configuration override "shop_ulr" is not a name of the experiment',
    ):
        assert shown in result.stderr
    assert PYTHON_SPELT.findall(result.stderr) == []


def test_lint_spells_names_as_json(squall: Any, tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    doc = {"title": "t", "description": "d", "method": [BROKEN["method"][0] | {"type": "action"}],
           "rollback": []}  # fmt: skip
    path.write_text(json.dumps(doc))
    result = squall("lint", "--fail-on", "none", str(path))
    assert 'action "a1" has no rollback that undoes it' in result.stdout
    assert 'rename "rollback" to "rollbacks"' in result.stdout
    assert "'" not in result.stdout.replace("extension's", "")


def test_a_security_probe_shows_what_it_waited_for_as_json(tmp_path: Path) -> None:
    from squall.drivers.security.detection import alert_observed

    sink = tmp_path / "alerts.jsonl"
    sink.write_text("")
    found = alert_observed(
        {"kind": "unexpected_port", "data.port": 28808},
        sink=str(sink),
        deadline=0.05,
        poll_interval=0.01,
    )
    assert found["problems"] == [
        'no event matching {"kind": "unexpected_port", "data.port": 28808} within 0.05s'
    ]
