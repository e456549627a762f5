"""Security actions on files: plant a canary secret, loosen permissions, add a vulnerable pin."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets as secrets_module
import string
from pathlib import Path
from typing import Any

from squall import ActivityFailed, show_value
from squall.drivers._safety import check_path, chmod_beneath, identity, open_beneath
from squall.drivers._state import StateStore, nothing_to_restore, run_id
from squall.drivers.host._edits import FileEdit, apply_edits, revert_edits, text_edit

__all__ = [
    "add_vulnerable_dependency",
    "loosen_permissions",
    "plant_canary_secret",
    "remove_canary_secret",
    "remove_vulnerable_dependency",
    "restore_permissions",
]

KIND_CANARY = "security.plant_canary_secret"
KIND_PERMISSIONS = "security.loosen_permissions"
KIND_DEPENDENCY = "security.add_vulnerable_dependency"
CANARY_KINDS = ("aws", "github", "generic")
# package -> (a version with a published advisory, the advisory); fixture files only.
KNOWN_VULNERABLE = {
    "requests": ("2.19.1", "CVE-2018-18074"),
    "urllib3": ("1.24.1", "CVE-2019-11324"),
    "pyyaml": ("5.3", "CVE-2020-1747"),
    "jinja2": ("2.10", "CVE-2019-10906"),
    "django": ("2.2", "CVE-2019-14234"),
    "cryptography": ("3.2", "CVE-2020-25659"),
}


# --------------------------------------------------------------------- canary secret
def _canary_lines(kind: str, run: str) -> tuple[list[str], str]:
    """The secret lines of a canary of ``kind`` and its identifier (what scanners report)."""
    nonce = secrets_module.token_hex(8)
    token = f"squall-canary-{run}-{nonce}"
    tag = [f"SQUALL_CANARY_TOKEN={token}", f"SQUALL_CANARY_RUN_ID={run}"]
    digest = hashlib.sha256(token.encode()).digest()
    if kind == "aws":
        key_id = "AKIA" + base64.b32encode(digest).decode()[:16]
        alphabet = string.ascii_letters + string.digits + "+/"
        secret = "".join(alphabet[b % len(alphabet)] for b in hashlib.sha512(digest).digest()[:40])
        lines = [f"AWS_ACCESS_KEY_ID={key_id}", f"AWS_SECRET_ACCESS_KEY={secret}"]
        return [*lines, *tag], key_id
    if kind == "github":
        alphabet = string.ascii_letters + string.digits
        body = "".join(alphabet[b % len(alphabet)] for b in hashlib.sha512(digest).digest()[:36])
        return [f"GITHUB_TOKEN=ghp_{body}", *tag], f"ghp_{body}"
    return [f"API_KEY={token}", *tag], token


def plant_canary_secret(
    directory: str,
    filename: str = "canary.env",
    *,
    kind: str = "aws",
    append: bool = False,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write a fake but pattern-valid secret, tagged with the run id, for scanners to find.

    The block is marked as a squall canary and carries ``SQUALL_CANARY_TOKEN=squall-canary-
    <run id>-<nonce>``, so an alert it raises can be traced back to the experiment.

    Args:
        directory: the directory to plant in (a repository checkout, a served directory).
        filename: the file name (default ``canary.env``).
        kind: ``aws`` (an ``AKIA...`` key id and a secret key), ``github`` (a ``ghp_``
            token) or ``generic``.
        append: add the block to an existing file (a log, a served file) instead of creating
            a new file; without it an existing file is refused.

    Returns:
        ``path``, ``kind``, ``canary_id`` (the key id or token a scanner reports),
        ``token``, ``created`` (false when appended), ``run_id``, ``state_key``.
    """
    if kind not in CANARY_KINDS:
        raise ActivityFailed(
            f"kind must be one of {show_value(list(CANARY_KINDS))}, got {show_value(kind)}"
        )
    if not filename or Path(filename).name != filename:
        raise ActivityFailed(f"filename must be a plain file name, got {show_value(filename)}")
    if not Path(directory).expanduser().is_dir():
        raise ActivityFailed(f"{directory} is not a directory")
    # the file planted must be inside an allowed directory (the directory may be one)
    path = check_path(Path(directory) / filename, configuration, must_exist=False)
    folder = path.parent
    run = run_id(configuration)
    lines, canary_id = _canary_lines(kind, run)
    block = "\n".join(
        [
            f"# squall canary secret planted by run {run}: NOT a real credential.",
            *lines,
            "",
        ]
    )
    if path.exists():
        if not append:
            raise ActivityFailed(f"{path} exists; refusing to overwrite it (pass append=true)")
        text = path.read_text(encoding="utf-8")
        if text and not text.endswith("\n"):
            block = "\n" + block
        edit = text_edit(path, (text + block).encode(), [(block, "")])
    else:
        edit = FileEdit(path, block.encode(), {"type": "delete"}, 0o644)
    result = apply_edits(
        KIND_CANARY,
        str(path),
        [edit],
        rollback={
            "function": f"{__name__}.remove_canary_secret",
            "arguments": {"directory": str(folder), "filename": filename},
        },
        configuration=configuration,
    )
    token = lines[-1].split("=", 1)[1]
    return {
        **result,
        "path": str(path),
        "kind": kind,
        "canary_id": canary_id,
        "token": token,
        "created": edit.undo["type"] == "delete",
    }


def remove_canary_secret(
    directory: str,
    filename: str = "canary.env",
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Rollback of ``plant_canary_secret``: delete the file, or remove the appended block.

    Args:
        directory: the same ``directory`` given to the action.
        filename: the same ``filename`` given to the action.

    Returns:
        ``restored``, ``exact``, ``files``, ``run_id``, ``state_key``; a no-op
        (``restored`` false) when nothing was recorded.
    """
    path = Path(directory).expanduser().resolve() / filename
    return revert_edits(KIND_CANARY, str(path), configuration)


# --------------------------------------------------------------------- permissions
def _parse_mode(mode: int | str) -> int:
    if isinstance(mode, bool):
        raise ActivityFailed(f"not a file mode: {show_value(mode)}")
    if isinstance(mode, int):
        value = mode
    else:
        text = str(mode).strip().lower().removeprefix("0o")
        if not re.fullmatch(r"[0-7]{1,4}", text):
            raise ActivityFailed(f"not an octal file mode: {show_value(mode)}")
        value = int(text, 8)
    if not 0 <= value <= 0o7777:
        raise ActivityFailed(f"not a file mode: {show_value(mode)}")
    return value


def loosen_permissions(
    path: str,
    mode: int | str | None = None,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """chmod a file or directory to a looser mode (a private key to 0644, a dir to 0777).

    The path must be inside an allowed directory (the demo's state directory, or one
    listed in ``squall_allowed_paths``), must not be a file with several hard links, and
    must not resolve out of the allowed directories through a symbolic link. The mode is
    changed through a descriptor opened without following links, and the rollback
    restores it only on the very file that was changed.

    Args:
        path: the file or directory.
        mode: the new mode, as an int (420) or an octal string (``"0644"``); default
            ``0644`` for a file and ``0777`` for a directory.

    Returns:
        ``path``, ``old_mode``, ``new_mode`` (octal strings), ``run_id``, ``state_key``.

    Raises ``ActivityFailed`` when the path already has that mode (nothing to inject).
    """
    with open_beneath(path, configuration) as fd:
        info = os.fstat(fd)
    target = check_path(path, configuration)
    new = _parse_mode(mode) if mode is not None else (0o777 if target.is_dir() else 0o644)
    old = info.st_mode & 0o7777
    if old == new:
        raise ActivityFailed(f"{target} already has mode {oct(new)}: nothing to inject")
    store = StateStore.for_configuration(configuration)
    record = store.create(
        KIND_PERMISSIONS,
        str(target),
        {"path": str(target), "old_mode": old, "new_mode": new, "identity": identity(info)},
        rollback={
            "function": f"{__name__}.restore_permissions",
            "arguments": {"path": str(target)},
        },
        configuration=configuration,
    )
    try:
        chmod_beneath(target, new, configuration, expect=identity(info))
    except (OSError, ActivityFailed) as exc:
        store.remove(record)
        raise ActivityFailed(f"cannot chmod {target}: {exc}") from exc
    return {
        "path": str(target),
        "old_mode": oct(old),
        "new_mode": oct(new),
        "run_id": record.run_id,
        "state_key": record.key,
    }


def restore_permissions(
    path: str,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Rollback of ``loosen_permissions``: chmod back to the recorded mode.

    Args:
        path: the same ``path`` given to the action.

    Returns:
        ``restored``, ``path``, ``mode`` (octal string), ``run_id``, ``state_key``; a no-op
        (``restored`` false) when nothing was recorded.
    """
    target = Path(path).expanduser().resolve()
    store = StateStore.for_configuration(configuration)
    record = store.load(KIND_PERMISSIONS, str(target))
    if record is None:
        return nothing_to_restore(KIND_PERMISSIONS, str(target), store)
    old = int(record.data["old_mode"])
    if not os.path.lexists(target):
        store.remove(record)
        return {"restored": False, "path": str(target), "message": f"{target} is gone"}
    # the same checks as the action, and only the very file squall changed: a hard link or
    # a symbolic link put in its place meanwhile is refused and the record kept
    chmod_beneath(target, old, configuration, expect=record.data.get("identity"))
    store.remove(record)
    return {
        "restored": True,
        "path": str(target),
        "mode": oct(old),
        "run_id": record.run_id,
        "state_key": record.key,
    }


# --------------------------------------------------------------------- dependencies
def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_edit(path: Path, text: str, pin: str, package: str) -> FileEdit:
    """Replace the package's line in a requirements file, or append the pin."""
    lines = text.splitlines(keepends=True)
    pattern = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:[=<>!~;@#]|$)")
    for index, line in enumerate(lines):
        match = pattern.match(line)
        if match and _normal(match.group(1)) == _normal(package):
            ending = line[len(line.rstrip("\r\n")) :] or "\n"
            lines[index] = pin + ending
            return text_edit(path, "".join(lines).encode(), [(pin + ending, line)])
    prefix = "" if not text or text.endswith("\n") else "\n"
    added = f"{prefix}{pin}\n"
    return text_edit(path, (text + added).encode(), [(added, "")])


def add_vulnerable_dependency(
    requirements_file: str,
    package: str = "requests",
    version: str | None = None,
    *,
    advisory: str | None = None,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Pin a known-vulnerable version in a requirements or lock *fixture* file.

    Nothing is installed. A requirements file (``*.txt``, ``*.in``) gets its line for the
    package replaced (or a line appended); a TOML lock file (``*.lock``, ``*.toml`` with
    ``[[package]]`` tables, e.g. ``uv.lock``/``poetry.lock``) gets a ``[[package]]`` table
    appended. The pin carries a comment with the run id and the advisory.

    Args:
        requirements_file: the fixture file to edit.
        package: the distribution name; ``requests``, ``urllib3``, ``pyyaml``, ``jinja2``,
            ``django`` and ``cryptography`` have a built-in vulnerable version.
        version: the version to pin (required for other packages).
        advisory: the advisory id to mention (default: the built-in one, if any).

    Returns:
        ``path``, ``package``, ``version``, ``advisory``, ``line`` (the pin written),
        ``run_id``, ``state_key``.
    """
    path = check_path(requirements_file, configuration)
    if not path.is_file():
        raise ActivityFailed(f"{path} is not a file")
    known = KNOWN_VULNERABLE.get(_normal(package))
    version = version or (known[0] if known else None)
    if not version:
        raise ActivityFailed(f"no known vulnerable version of {show_value(package)}: give version")
    advisory = advisory or (known[1] if known and known[0] == version else "")
    run = run_id(configuration)
    note = f"squall vulnerable-dependency canary, run {run}" + (
        f" ({advisory})" if advisory else ""
    )
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".lock", ".toml"):
        if "[[package]]" not in text and path.suffix == ".toml":
            raise ActivityFailed(f"{path} has no [[package]] tables: not a lock file")
        pin = f'[[package]]\n# {note}\nname = "{package}"\nversion = "{version}"\n'
        prefix = "\n" if text and not text.endswith("\n\n") else ""
        if text and not text.endswith("\n"):
            prefix = "\n\n"
        added = prefix + pin
        edit = text_edit(path, (text + added).encode(), [(added, "")])
    else:
        pin = f"{package}=={version}  # {note}"
        edit = _requirement_edit(path, text, pin, package)
    result = apply_edits(
        KIND_DEPENDENCY,
        str(path),
        [edit],
        rollback={
            "function": f"{__name__}.remove_vulnerable_dependency",
            "arguments": {"requirements_file": str(path)},
        },
        configuration=configuration,
    )
    return {
        **result,
        "path": str(path),
        "package": package,
        "version": version,
        "advisory": advisory,
        "line": pin.strip(),
    }


def remove_vulnerable_dependency(
    requirements_file: str,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Rollback of ``add_vulnerable_dependency``: the file as it was, byte for byte.

    Args:
        requirements_file: the same ``requirements_file`` given to the action.

    Returns:
        ``restored``, ``exact``, ``files``, ``run_id``, ``state_key``; a no-op
        (``restored`` false) when nothing was recorded.
    """
    path = Path(requirements_file).expanduser().resolve()
    return revert_edits(KIND_DEPENDENCY, str(path), configuration)
