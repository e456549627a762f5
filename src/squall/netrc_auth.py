"""Credentials from ``.netrc`` for the http provider, for loading an experiment from a
URL, for the notifications' webhooks and for the Vault client, as the Chaos Toolkit gets
them from requests: ``$NETRC`` when it is set, else
``~/.netrc`` (else ``~/_netrc``); the ``machine`` entry of the request's host gives
``Authorization: Basic`` when the request has no credentials of its own (an
``Authorization`` header, the loader's token or ``auths``, ``user:password@`` in the URL).

Safer than requests, on purpose (docs/compatibility.yaml ``netrc``):

- an ``Authorization`` header the activity gives, or credentials in its URL, win (requests
  lets ``.netrc`` replace them);
- the credentials go only to the host the activity names: never to a redirect's other
  host, never over a redirect from https down to http; the ``default`` entry (every host)
  is not used; a proxy never gets them as its own (``Proxy-Authorization``);
- a file other users may read or write, or that is not the user's, is not used (Python's
  own rule for ``~/.netrc``); nor is a file that is not a regular file of at most
  ``MAX_BYTES``, or that is malformed. Each says why, with its path (and line), once per
  run, as a warning of the first http activity that could have used it;
- the password and the header built from it are secrets: masked in every sink.
"""

from __future__ import annotations

import os

__all__ = ["MAX_BYTES", "Netrc", "host_header", "read_netrc"]

#: the largest .netrc read (a real one is a few lines; /dev/zero is not read)
MAX_BYTES = 1 << 20


class Netrc:
    """The run's ``.netrc``: its entries by host, or why it is not used."""

    __slots__ = ("entries", "path", "problem", "told")

    def __init__(self, path: str, entries: dict[str, tuple[str, str]], problem: str) -> None:
        self.path = path
        #: host (lower case) -> (login, password)
        self.entries = entries
        #: why the file is not used ("" when it is)
        self.problem = problem
        self.told = False

    def header(self, host: str) -> str | None:
        """``Basic ...`` for ``host``'s machine entry (registered as a secret), or None."""
        found = self.entries.get(host.lower())
        if found is None:
            return None
        import base64

        from squall.masking import register_secrets

        login, password = found
        pair = f"{login}:{password}"
        try:
            raw = pair.encode("latin-1")  # requests' encoding, then UTF-8 (httpx's)
        except UnicodeEncodeError:
            raw = pair.encode("utf-8")
        token = base64.b64encode(raw).decode("ascii")
        register_secrets([password, token])
        return f"Basic {token}"

    def warning(self) -> str | None:
        """Why the file is not used, the first time it is asked (once per run)."""
        if not self.problem or self.told:
            return None
        self.told = True
        return f"{self.path}: {self.problem}; its credentials are not used"


def host_header(host: str) -> str | None:
    """``Authorization`` from ``.netrc`` for ``host``, read now (a request made once: the
    loader, a webhook, Vault); a file that is not used is logged as a warning. The
    caller gives none when the request has credentials of its own."""
    netrc = read_netrc()
    if netrc is None:
        return None
    if netrc.problem:
        if netrc.path not in _told:  # once per process and file, not at every webhook
            _told.add(netrc.path)
            from squall._log import get_logger

            get_logger("squall").warning("%s", netrc.warning())
        return None
    return netrc.header(host)


#: the files whose problem ``host_header`` has logged
_told: set[str] = set()


def read_netrc() -> Netrc | None:
    """The ``.netrc`` the Chaos Toolkit would read, or None when there is none."""
    given = os.environ.get("NETRC")
    if given is not None:
        candidates = [os.path.expanduser(given)] if given else []
    else:
        home = os.path.expanduser("~")
        candidates = [os.path.join(home, ".netrc"), os.path.join(home, "_netrc")]
    for path in candidates:
        try:  # not blocking on a FIFO; the checks are made on what was opened (fstat)
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            return Netrc(path, {}, f"cannot be read: {exc.strerror or exc}")
        try:
            entries, problem, line = _entries(fd)
        finally:
            os.close(fd)
        return Netrc(f"{path}:{line}" if line else path, entries, problem)
    return None


def _entries(fd: int) -> tuple[dict[str, tuple[str, str]], str, int | None]:
    """(entries, "", None) or ({}, why the file is not used, the line at fault), of the
    file open on ``fd``: checked and read through the descriptor, so a file swapped in
    after the checks is never the one read."""
    import stat

    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        return {}, "not a regular file", None
    if info.st_size > MAX_BYTES:
        return {}, f"larger than {MAX_BYTES:,} bytes", None
    if os.name == "posix":
        if info.st_uid != os.getuid():
            return {}, "owned by another user", None
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            mode = stat.S_IMODE(info.st_mode)
            why = f"other users may read or write it (mode {mode:04o}; chmod 600 it)"
            return {}, why, None
    import netrc

    try:
        parsed = netrc.netrc(f"/dev/fd/{fd}")  # the same file (its inode), not the path
    except netrc.NetrcParseError as exc:
        return {}, f"malformed: {_unquoted(exc.msg)}", exc.lineno or None
    except (OSError, UnicodeError, ValueError) as exc:
        return {}, f"cannot be read: {exc}", None
    entries: dict[str, tuple[str, str]] = {}
    for host, (login, account, password) in parsed.hosts.items():
        if host == "default":  # the entry for every host: not used
            continue
        # requests' choice: the login, else the account
        entries.setdefault(host.lower(), (login or account or "", password or ""))
    return entries, "", None


def _unquoted(message: str) -> str:
    """The parser's message without the token it quotes: in a password left unquoted
    with a space in it, that token is the rest of the password (the line still says
    where)."""
    import re

    head = re.split("['\"]", message, maxsplit=1)[0].rstrip()
    return head if head == message else f"{head} (a word not shown)"
