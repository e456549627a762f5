"""An allow-list that is too broad is bad input, refused before anything runs.

Found: ``squall_allowed_paths: ["/tmp"]`` (or ``/``, the home directory) passed
``squall validate`` and ``squall lint`` and was refused only when the first file action
ran, with exit 3, after the earlier actions had run; ``squall_allowed_networks:
["0.0.0.0/0"]`` was never refused at all (a flood could go to any address), and a
network that is not one (``"10.0.0.0/33"``) was refused only at run time.

Now ``validate``, ``lint`` and ``run`` refuse such an entry with exit 2, its
file:line:column and JSON pointer; a ``--var`` or ``SQUALL_ALLOWED_PATHS`` too broad is
refused by ``validate`` and ``run`` naming it; the drivers refuse the same entries at run
time (one set of rules: ``squall.allowlists``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from squall import ActivityFailed
from squall.drivers._hosts import check_host


def experiment(tmp_path: Path, key: str, value: Any) -> dict[str, Any]:
    canary = tmp_path / "ran"
    return {
        "title": "breadth",
        "description": "an allow-list entry",
        "configuration": {key: value},
        "method": [
            {
                "type": "action",
                "name": "touch",
                "provider": {"type": "process", "path": "touch", "arguments": str(canary)},
            }
        ],
    }


TOO_BROAD = [
    ("squall_allowed_paths", ["/tmp"], "/configuration/squall_allowed_paths/0"),
    ("squall_allowed_paths", "/", "/configuration/squall_allowed_paths"),
    ("squall_allowed_paths", ["/srv/app", "~"], "/configuration/squall_allowed_paths/1"),
    ("squall_allowed_paths", ["/proc/self"], "/configuration/squall_allowed_paths/0"),
    ("squall_allowed_paths", 5, "/configuration/squall_allowed_paths"),
    ("squall_allowed_networks", ["0.0.0.0/0"], "/configuration/squall_allowed_networks/0"),
    ("squall_allowed_networks", "::/0", "/configuration/squall_allowed_networks"),
    ("squall_allowed_networks", ["10.0.0.0/24", "::ffff:0:0/96"],
     "/configuration/squall_allowed_networks/1"),
    ("squall_allowed_networks", ["4.0.0.0/6"], "/configuration/squall_allowed_networks/0"),
    ("squall_allowed_networks", ["10.0.0.0/33"], "/configuration/squall_allowed_networks/0"),
]  # fmt: skip


@pytest.mark.parametrize(("key", "value", "pointer"), TOO_BROAD)
@pytest.mark.parametrize("command", ["validate", "lint", "run"])
def test_a_too_broad_allow_list_is_exit_2_with_its_place(
    command: str, key: str, value: Any, pointer: str, squall: Any, tmp_path: Path
) -> None:
    (tmp_path / "e.json").write_text(json.dumps(experiment(tmp_path, key, value), indent=1))
    result = squall(command, "e.json")
    assert result.code == 2, (result.stdout, result.stderr)
    assert pointer in result.stderr, result.stderr
    assert "e.json:" in result.stderr and key in result.stderr
    assert "internal error" not in result.stderr
    assert not (tmp_path / "ran").exists(), "the run went ahead"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("squall_allowed_paths", ["/srv/staging/app", "relative/dir"]),
        ("squall_allowed_networks", ["10.0.3.0/24", "192.168.0.0/16", "fd00::/48", "10.0.0.0/8"]),
        ("squall_allowed_paths", ["${state_dir}"]),
    ],
)
def test_narrow_allow_lists_still_pass(key: str, value: Any, squall: Any, tmp_path: Path) -> None:
    (tmp_path / "e.json").write_text(json.dumps(experiment(tmp_path, key, value)))
    result = squall("validate", "e.json", "--var", "state_dir=/srv/x")
    assert result.code == 0, result.stderr


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_too_broad_var_or_environment_entry_is_refused_naming_it(
    command: str, squall: Any, tmp_path: Path
) -> None:
    (tmp_path / "e.json").write_text(json.dumps(experiment(tmp_path, "x", 1)))
    by_var = squall(command, "e.json", "--var", 'squall_allowed_networks:json=["0.0.0.0/1"]')
    assert by_var.code == 2, by_var.stderr
    assert "--var/--var-file squall_allowed_networks" in by_var.stderr
    assert "0.0.0.0/1" in by_var.stderr
    by_env = squall(command, "e.json", env={"SQUALL_ALLOWED_PATHS": f"{tmp_path}:/var"})
    assert by_env.code == 2, by_env.stderr
    assert "SQUALL_ALLOWED_PATHS" in by_env.stderr and "/var" in by_env.stderr
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize("network", ["0.0.0.0/0", "::/0", "::ffff:0:0/96", "0.0.0.0/7"])
def test_the_network_check_refuses_a_too_broad_network_at_run_time(network: str) -> None:
    with pytest.raises(ActivityFailed, match="too broad"):
        check_host("192.0.2.1", {"squall_allowed_networks": [network]})
