"""Private PEP 440 version parsing and specifier matching (enough for advisories).

squall does not depend on ``packaging``; this covers what advisory ranges use: epochs,
release segments, a/b/rc pre-releases, post and dev releases, local labels (ignored), and the
operators ``==`` (with ``.*``), ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``~=`` and ``===``.
"""

from __future__ import annotations

import re

from squall import show_value

__all__: list[str] = []

_VERSION = re.compile(
    r"""^\s*v?(?:(?P<epoch>\d+)!)?(?P<release>\d+(?:\.\d+)*)
    (?:[-_.]?(?P<pre>a|b|c|rc|alpha|beta|pre|preview)[-_.]?(?P<pre_n>\d*))?
    (?:-(?P<post_implicit>\d+)|[-_.]?(?P<post>post|rev|r)[-_.]?(?P<post_n>\d*))?
    (?:[-_.]?(?P<dev>dev)[-_.]?(?P<dev_n>\d*))?
    (?:\+[a-z0-9._-]+)?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_PHASES = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}
_SPEC = re.compile(r"^\s*(===|==|!=|~=|<=|>=|<|>)\s*([^\s,;]+)\s*$")

Key = tuple[int, tuple[int, ...], tuple[int, int], int, float]


def normalize_name(name: str) -> str:
    """PEP 503 normalised project name (``Foo_Bar`` → ``foo-bar``)."""
    return re.sub(r"[-_.]+", "-", name).lower().strip()


def version_key(text: str) -> Key | None:
    """A sortable key for a PEP 440 version, or ``None`` if it is not one."""
    match = _VERSION.match(text)
    if match is None:
        return None
    release = [int(part) for part in match["release"].split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    post_text = match["post_implicit"] or match["post_n"]
    has_post = match["post_implicit"] is not None or match["post"] is not None
    has_dev = match["dev"] is not None
    if match["pre"]:
        pre = (_PHASES[match["pre"].lower()], int(match["pre_n"] or 0))
    elif has_dev and not has_post:
        pre = (-1, 0)  # 1.0.dev1 sorts before 1.0a1
    else:
        pre = (3, 0)
    post = int(post_text or 0) if has_post else -1
    dev = float(match["dev_n"] or 0) if has_dev else float("inf")
    return (int(match["epoch"] or 0), tuple(release), pre, post, dev)


def matches(version: str, specifier: str) -> bool:
    """True if ``version`` satisfies every comma-separated clause of ``specifier``.

    Raises ``ValueError`` for a clause or version that cannot be read.
    """
    clauses = [c for c in specifier.split(",") if c.strip()]
    if not clauses:
        raise ValueError("empty specifier")
    return all(_clause(version, clause) for clause in clauses)


def _clause(version: str, clause: str) -> bool:
    parsed = _SPEC.match(clause)
    if parsed is None:
        raise ValueError(f"cannot read version specifier {show_value(clause.strip())}")
    op, target = parsed.groups()
    if op == "===":
        return version.strip() == target
    have = version_key(version)
    if have is None:
        raise ValueError(f"not a PEP 440 version: {show_value(version)}")
    if op in ("==", "!=") and target.endswith(".*"):
        prefix = _release(target[:-2])
        padded = have[1] + (0,) * max(0, len(prefix[1]) - len(have[1]))
        hit = have[0] == prefix[0] and padded[: len(prefix[1])] == prefix[1]
        return hit if op == "==" else not hit
    want = version_key(target)
    if want is None:
        raise ValueError(f"not a PEP 440 version: {show_value(target)}")
    if op == "~=":
        parts = target.split("+")[0].split(".")
        if len(parts) < 2:
            raise ValueError(f"~= needs at least two release parts: {show_value(clause.strip())}")
        return have >= want and matches(version, f"=={'.'.join(parts[:-1])}.*")
    return {
        "==": have == want,
        "!=": have != want,
        "<": have < want,
        "<=": have <= want,
        ">": have > want,
        ">=": have >= want,
    }[op]


def _release(text: str) -> tuple[int, tuple[int, ...]]:
    key = version_key(text)
    if key is None:
        raise ValueError(f"not a PEP 440 version prefix: {show_value(text)}")
    return key[0], tuple(int(p) for p in text.rsplit("!", maxsplit=1)[-1].lstrip("v").split("."))
