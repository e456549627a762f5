"""Actions: each injects one fault, records first what it changes, and has a rollback."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

__all__ = ["revoke_token"]  # TODO: the rollback belongs here too


def _backup(revocation_file: str) -> Path:
    return Path(revocation_file + ".ws-backup")


def revoke_token(revocation_file: str, secrets: dict[str, Any] | None = None) -> str:
    """Put the leaked token (the secret ``token``) on the revocation list."""
    token = (secrets or {}).get("token")
    if not token:
        raise ValueError("no secret 'token': list its scope under the action's 'secrets'")
    backup = _backup(revocation_file)
    if backup.exists():
        raise RuntimeError(f"{backup} exists: a previous run was not rolled back")
    shutil.copy2(revocation_file, backup)  # write-ahead: the rollback restores this copy
    with open(revocation_file, "a", encoding="utf-8") as f:
        f.write(f"{token}\n")
    return f"revoked one token in {revocation_file}"


# TODO: restore_revocation_list(revocation_file: str) -> str, documented as
# "Rollback of revoke_token: ...": move the backup back over the file (os.replace), and do
# nothing (say so) when there is no backup, so that playing it twice is harmless.
