"""Another user's home directory is as broad as one's own: refused as an allowed directory.

Found: the breadth rule refused only the current user's home and its ancestors, so
``squall_allowed_paths: ["/home/alice"]`` (or ``~alice``, or ``/var/www``, the home of
``www-data``) passed ``validate`` and let a file action loosen or move anything in that
home (``.ssh/authorized_keys``, ``.pgpass``...) when squall runs as root or as that user.

Now a home directory of any account in the user database (``pwd``), any directory
directly inside ``/home``, and their ancestors are refused, before the run and at run
time; a directory *inside* such a home may still be allowed, as inside one's own.
"""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path
from typing import Any

import pytest

from squall import ActivityFailed
from squall.drivers._paths import check_path


def _other_homes() -> list[pwd.struct_passwd]:
    """Accounts whose home is not the current user's and is not top-level (on Debian:
    man, lp, mail, www-data, backup...)."""
    mine = os.path.realpath(os.path.expanduser("~"))
    found = []
    for account in pwd.getpwall():
        home = os.path.realpath(account.pw_dir)
        if home != mine and len([p for p in home.split("/") if p]) >= 2:
            found.append(account)
    return found


OTHERS = _other_homes()


def test_this_machine_has_other_users_homes() -> None:
    """Not a vacuous test: Debian (and CI) always has such system accounts."""
    assert len(OTHERS) >= 2, [a.pw_name for a in pwd.getpwall()]


def _experiment(tmp_path: Path, entries: list[str]) -> None:
    document = {
        "title": "other homes",
        "description": "an allow-list naming another user's home",
        "configuration": {"squall_allowed_paths": entries},
        "method": [
            {
                "type": "action",
                "name": "touch",
                "provider": {"type": "process", "path": "touch", "arguments": "ran"},
            }
        ],
    }
    (tmp_path / "e.json").write_text(json.dumps(document, indent=1))


@pytest.mark.parametrize("form", ["path", "tilde", "parent-of-home", "under-home-dir"])
def test_another_users_home_is_refused_before_the_run(
    form: str, squall: Any, tmp_path: Path
) -> None:
    account = OTHERS[0]
    entry = {
        "path": account.pw_dir,
        "tilde": f"~{account.pw_name}",
        "parent-of-home": os.path.dirname(account.pw_dir.rstrip("/")) + "/",
        "under-home-dir": "/home/squall-nobody-such-user",
    }[form]
    _experiment(tmp_path, ["/srv/app", entry])
    for command in ("validate", "run"):
        result = squall(command, "e.json")
        assert result.code == 2, (command, result.stdout, result.stderr)
        assert "/configuration/squall_allowed_paths/1" in result.stderr
        assert "too broad" in result.stderr and "internal error" not in result.stderr
        assert not (tmp_path / "ran").exists()


def test_a_link_to_another_users_home_is_refused(squall: Any, tmp_path: Path) -> None:
    link = tmp_path / "innocent"
    link.symlink_to(OTHERS[0].pw_dir, target_is_directory=True)
    _experiment(tmp_path, [str(link)])
    result = squall("validate", "e.json")
    assert result.code == 2 and "too broad" in result.stderr, result.stderr


def test_every_other_home_is_refused_at_run_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SQUALL_ALLOWED_PATHS", raising=False)
    for account in OTHERS:
        with pytest.raises(ActivityFailed, match="too broad") as refused:
            check_path(
                os.path.join(account.pw_dir, ".ssh", "authorized_keys"),
                {"squall_allowed_paths": [account.pw_dir]},
                must_exist=False,
            )
        home = os.path.realpath(account.pw_dir)
        sharing = [a.pw_name for a in OTHERS if os.path.realpath(a.pw_dir) == home]
        assert any(f"of user {name} " in str(refused.value) for name in sharing)
        monkeypatch.setenv("SQUALL_ALLOWED_PATHS", account.pw_dir)
        with pytest.raises(ActivityFailed, match="too broad"):
            check_path("/srv/x", must_exist=False)
        monkeypatch.delenv("SQUALL_ALLOWED_PATHS")


def test_a_directory_inside_another_users_home_may_still_be_allowed(
    squall: Any, tmp_path: Path
) -> None:
    _experiment(tmp_path, [os.path.join(OTHERS[0].pw_dir, "site", "data")])
    result = squall("validate", "e.json")
    assert result.code == 0, result.stderr
