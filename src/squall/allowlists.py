"""What an allow-list entry may be: the breadth rules of squall's allow-lists, in one place.

squall's destructive actions act only inside the directories of ``squall_allowed_paths``
(configuration) and ``SQUALL_ALLOWED_PATHS`` (environment), and talk only to loopback and
the networks of ``squall_allowed_networks``. An entry so broad that the allow-list no
longer protects anything is refused:

- **a directory** that is ``/``, a top-level directory (``/tmp``, ``/var``...), the home
  directory of any user (the current one, any account of the user database, anything
  directly in ``/home``) or one of its ancestors, or anything under ``/proc``, ``/sys``
  or ``/dev`` (judged after resolving symbolic links);
- **a network** wider than a ``/8`` for IPv4, or than a ``/32`` for IPv6; an IPv6 network
  in a prefix that carries IPv4 addresses (IPv4-mapped ``::ffff:0:0/96``, NAT64
  ``64:ff9b::/96`` and ``64:ff9b:1::/48``, SIIT ``::ffff:0:0:0/96``, Teredo
  ``2001::/32``) is judged as the IPv4 network it reaches.

The experiment's parser refuses such an entry with its place (``squall validate``,
``lint`` and ``run`` exit 2 before anything runs), ``validate`` and ``run`` refuse one
given by ``--var``/``--var-file`` or the environment, and the drivers refuse it again at
run time. This module imports nothing from squall but, in its messages, squall.show.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost
if TYPE_CHECKING:
    import ipaddress
    from typing import Any

    IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

__all__ = [
    "CONFIG_ALLOWED_NETWORKS",
    "CONFIG_ALLOWED_PATHS",
    "ENV_ALLOWED_PATHS",
    "directory_too_broad",
    "entry_problems",
    "network_too_broad",
    "parse_network",
]

CONFIG_ALLOWED_PATHS = "squall_allowed_paths"
CONFIG_ALLOWED_NETWORKS = "squall_allowed_networks"
ENV_ALLOWED_PATHS = "SQUALL_ALLOWED_PATHS"
_PSEUDO = ("/proc", "/sys", "/dev")
_WIDEST_V4 = 8
_WIDEST_V6 = 32


def _within(path: str, root: str) -> bool:
    """``path`` is ``root`` or inside it (both absolute and normalised)."""
    return path == root or path.startswith(root.rstrip("/") + "/")


def directory_too_broad(real: str | os.PathLike[str]) -> str | None:
    """Why the resolved directory ``real`` is too broad to allow, or None (no pathlib:
    the experiment's parser calls this, and a run does not import pathlib)."""
    path = os.fspath(real)
    home = os.path.realpath(os.path.expanduser("~"))
    if len([part for part in path.split("/") if part]) <= 1:
        return "the root or a top-level directory"
    if _within(home, path):
        return "the home directory or one of its ancestors"
    if any(_within(path, p) for p in _PSEUDO):
        return "a kernel pseudo-filesystem"
    return _another_home(path)


def _another_home(path: str) -> str | None:
    """Why ``path`` is another user's home directory or an ancestor of one, or None:
    any account's home in the user database, and any directory directly in ``/home``
    (where accounts the database does not list, from LDAP say, have theirs)."""
    for name, home in _homes().items():
        if _within(home, path):
            return f"the home directory of user {name} or one of its ancestors"
    if os.path.dirname(path.rstrip("/")) == "/home":
        return "a directory directly in /home (a user's home directory)"
    return None


_HOMES: dict[str, str] = {}


def _homes() -> dict[str, str]:
    """Each account's resolved home directory (read once: accounts rarely change)."""
    if not _HOMES:
        try:
            import pwd
        except ImportError:  # not a POSIX system: no user database
            return _HOMES
        for account in pwd.getpwall():
            home = os.path.realpath(account.pw_dir or "/")
            if home != "/":
                _HOMES.setdefault(account.pw_name, home)
    return _HOMES


def parse_network(text: Any) -> IPNetwork:
    """The network ``text`` names (host bits allowed); ``ValueError`` if it names none."""
    import ipaddress

    return ipaddress.ip_network(str(text).strip(), strict=False)


def network_too_broad(network: IPNetwork) -> str | None:
    """Why ``network`` is too broad to allow, or None."""
    import ipaddress

    if isinstance(network, ipaddress.IPv6Network):
        for prefix, kind in _TRANSLATED:
            why = _translation_too_broad(network, ipaddress.IPv6Network(prefix), kind)
            if why:
                return why
        if network.prefixlen < _WIDEST_V6:
            return f"it is wider than a /{_WIDEST_V6}"
        return None
    if network.prefixlen < _WIDEST_V4:
        return f"it is wider than a /{_WIDEST_V4}"
    return None


#: IPv6 prefixes whose addresses carry an IPv4 address in their last 32 bits (RFC 4291,
#: RFC 6052, RFC 2765, RFC 4380): a network there reaches the IPv4 network it maps or
#: translates to (through the kernel, a NAT64 gateway, a SIIT translator or a Teredo
#: relay, which reaches the client whose address is inverted there). The local-use NAT64
#: prefix (RFC 8215) may carry it elsewhere, and Teredo's bits 32-95 name a server, a
#: port and flags: a network there must be a /104 at least.
_TRANSLATED = (
    ("::ffff:0:0/96", "IPv4-mapped"),
    ("64:ff9b::/96", "NAT64"),
    ("::ffff:0:0:0/96", "IPv4-translated (SIIT)"),
    ("64:ff9b:1::/48", "local-use NAT64"),
    ("2001::/32", "Teredo"),
)


def _translation_too_broad(network: IPNetwork, prefix: IPNetwork, kind: str) -> str | None:
    if network.supernet_of(prefix):  # type: ignore[arg-type]
        return f"it holds every {kind} address ({prefix}), so every IPv4 address"
    if network.overlaps(prefix) and network.prefixlen - 96 < _WIDEST_V4:
        return f"it holds the {kind} addresses of an IPv4 network wider than a /{_WIDEST_V4}"
    return None


def _path_entry(text: str) -> str | None:
    if "\0" in text or not text.strip():
        return f"{_shown(text)} is not a directory name"
    if "${" in text:
        return None  # a placeholder: judged at run time, once substituted
    lexical = os.path.abspath(os.path.expanduser(text))
    why = directory_too_broad(os.path.realpath(lexical))
    if why:
        return (
            f"refusing to allow {lexical}: {why} is too broad to allow; name a directory inside it"
        )
    return None


def _network_entry(text: str) -> str | None:
    if "${" in text:
        return None
    try:
        network = parse_network(text)
    except ValueError:
        return f"{_shown(text)} is not a network (write a CIDR such as 10.0.3.0/24)"
    why = network_too_broad(network)
    if why:
        return (
            f"refusing to allow {network}: {why}, too broad to allow; name the network "
            "of the system under test (e.g. 10.0.3.0/24)"
        )
    return None


def entry_problems(key: str, value: Any) -> list[tuple[str, str]]:
    """``(pointer suffix, message)`` for each entry of the allow-list ``key`` (one of the
    ``CONFIG_*`` keys) that is not one or is too broad; ``[]`` for any other key."""
    judge = {CONFIG_ALLOWED_PATHS: _path_entry, CONFIG_ALLOWED_NETWORKS: _network_entry}.get(key)
    if judge is None or value is None:
        return []
    if isinstance(value, str):
        why = judge(value)
        return [("", why)] if why else []
    if not isinstance(value, list | tuple):
        from squall.show import kind_of

        return [("", f"must be a list of {_KINDS[key]} (or one), not {kind_of(value)}")]
    found = []
    for index, item in enumerate(value):
        why = judge(item) if isinstance(item, str) else f"{_shown(item)} is not {_ONE[key]}"
        if why:
            found.append((f"/{index}", why))
    return found


_KINDS = {CONFIG_ALLOWED_PATHS: "directory names", CONFIG_ALLOWED_NETWORKS: "networks"}
_ONE = {CONFIG_ALLOWED_PATHS: "a directory name", CONFIG_ALLOWED_NETWORKS: "a network"}


def _shown(value: Any) -> str:
    """``value`` in JSON's spelling, as every message shows a value (squall.show)."""
    from squall.show import show_value

    return show_value(value, 80)
