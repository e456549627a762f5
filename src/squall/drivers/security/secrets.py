"""Secret-exposure probe: known secret patterns and high-entropy strings in files and responses.

Scans files, directory trees and HTTP responses (loopback unless ``allow_non_loopback=true``)
and asks a web server for well-known leak paths (``/.env``, ``/.git/config``...). Matches are
always *redacted* in the result (first characters, length and a SHA-256 prefix), so a journal
never carries the secret it found; the hash prefix lets a planted canary be recognised.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

from squall import ActivityFailed, show_value
from squall.drivers.security._http import make_client, send
from squall.drivers.security._net import require_positive, url_pins

__all__ = ["exposed_secrets"]

#: Detector name → pattern; group 1, when present, is the secret part of the match.
PATTERNS: dict[str, re.Pattern[str]] = {
    "private_key": re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    "aws_access_key_id": re.compile(r"\b((?:AKIA|ASIA)[0-9A-Z]{16})\b"),
    "aws_secret_access_key": re.compile(
        r"(?i)aws_?secret_?access_?key[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})"
    ),
    "password_assignment": re.compile(
        r"(?i)(?<![a-z0-9])(?:password|passwd|passwort|pwd|pass)[\"']?\s*[:=]\s*[\"']?"
        r"([^\s\"',;)]{3,})"
    ),
    "github_token": re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{36,})\b"),
    "slack_token": re.compile(r"\b(xox[abprs]-[A-Za-z0-9-]{10,})"),
    "google_api_key": re.compile(r"\b(AIza[0-9A-Za-z_\-]{35})"),
    "stripe_key": re.compile(r"\b([sr]k_live_[0-9A-Za-z]{20,})"),
    "jwt": re.compile(r"\b(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"),
    "generic_secret": re.compile(
        r"(?i)(?<![a-z0-9])(?:api[_-]?key|secret[_-]?key|secret|token|access[_-]?key|auth[_-]?token)"
        r"[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9_\-+/=.]{16,})"
    ),
}
KINDS = (*PATTERNS, "high_entropy")
_TOKEN = re.compile(r"[A-Za-z0-9+/=_\-]{20,}")
_PLACEHOLDERS = frozenset(
    {"none", "null", "nil", "true", "false", "password", "passwd", "changeme!", "xxx", "str"}
)
LEAK_PATHS = (
    "/.env",
    "/.git/config",
    "/.git/HEAD",
    "/.aws/credentials",
    "/.ssh/id_rsa",
    "/id_rsa",
    "/.npmrc",
    "/.pypirc",
    "/.htpasswd",
    "/config.json",
    "/server.key",
    "/backup.sql",
)
_SKIP_DIRS = (".git", "node_modules", "__pycache__", ".venv", ".tox", ".mypy_cache")


def exposed_secrets(
    paths: list[str] | None = None,
    urls: list[str] | None = None,
    base_url: str | None = None,
    leak_paths: list[str] | None = None,
    kinds: list[str] | None = None,
    min_entropy: float = 4.0,
    min_token_length: int = 20,
    exclude_dirs: list[str] | None = None,
    ignore_values: list[str] | None = None,
    max_file_bytes: int = 1_000_000,
    max_findings: int = 200,
    timeout: float = 5.0,
    allow_non_loopback: bool = False,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Look for exposed secrets in files, directories and HTTP responses.

    Detectors (``kinds``): ``private_key`` (PEM header), ``aws_access_key_id`` (AKIA/ASIA),
    ``aws_secret_access_key``, ``password_assignment`` (``password=...``), ``github_token``,
    ``slack_token``, ``google_api_key``, ``stripe_key``, ``jwt``, ``generic_secret``
    (``api_key=``, ``token:``... with a long value) and ``high_entropy`` (a token of at least
    ``min_token_length`` characters, with letters and digits, whose Shannon entropy is at
    least ``min_entropy`` bits per character).

    Arguments:
        paths: files or directories to scan (directories recursively, symlinks not
            followed, binary files skipped). A path that does not exist is listed in
            ``missing``; it is not an error.
        urls: URLs whose response bodies are scanned (certificates are not verified;
            redirects are not followed).
        base_url: a site root; each of ``leak_paths`` is requested under it, and any that
            answers 2xx with a non-HTML body is an exposure (its body is scanned too).
        leak_paths: paths to try under ``base_url`` (default: ``/.env``, ``/.git/config``,
            ``/.git/HEAD``, ``/.aws/credentials``, ``/.ssh/id_rsa``, ``/id_rsa``, ``/.npmrc``,
            ``/.pypirc``, ``/.htpasswd``, ``/config.json``, ``/server.key``, ``/backup.sql``).
        kinds: detectors to use (default: all).
        min_entropy: entropy threshold of ``high_entropy`` (bits per character).
        min_token_length: shortest token ``high_entropy`` considers.
        exclude_dirs: directory names not descended into (default ``.git``,
            ``node_modules``, ``__pycache__``, ``.venv``, ``.tox``, ``.mypy_cache``).
        ignore_values: exact secret values known to be harmless (test fixtures...).
        max_file_bytes: larger files and bodies are skipped (files) or cut (bodies).
        max_findings: stop recording findings after this many (``truncated`` is set).
        timeout: seconds allowed per HTTP request.
        allow_non_loopback: allow URLs to hosts that are neither loopback nor in the
            configuration's ``squall_allowed_networks``.
        configuration: injected by the engine; ``squall_allowed_networks`` (CIDRs) widens
            the loopback-only rule for every squall driver.
        secrets: injected by the engine; unused.

    Returns:
        ``ok`` (nothing found and no leak path exposed), ``problems``, ``findings`` (each
        ``{"source", "line", "kind", "match"`` (redacted), ``"sha256"`` (first 16 hex
        digits of the secret's hash), ``"entropy"}``), ``files_scanned``, ``bytes_scanned``,
        ``skipped`` (``{"path", "reason"}``), ``missing``, ``responses`` (``{"url",
        "status", "exposed", "error"}`` per request), ``exposed_paths`` and ``truncated``.
    """
    if not (paths or urls or base_url):
        raise ActivityFailed("give at least one of paths, urls or base_url to scan")
    chosen = list(KINDS) if kinds is None else list(kinds)
    if set(chosen) - set(KINDS):
        raise ActivityFailed(
            f"unknown kinds {show_value(sorted(set(chosen) - set(KINDS)))} "
            f"(use {show_value(list(KINDS))})"
        )
    pins: dict[str, str] | None = None if allow_non_loopback else {}
    for url in [*(urls or []), *([base_url] if base_url else [])]:
        found = url_pins(url, allow_non_loopback, configuration)
        if pins is not None and found:
            pins.update(found)
    scanner = _Scanner(chosen, min_entropy, min_token_length, set(ignore_values or []))
    scanner.max_findings = max_findings
    report: dict[str, Any] = {"files_scanned": 0, "bytes_scanned": 0, "skipped": []}
    report.update(missing=[], responses=[], exposed_paths=[])
    skip_dirs = set(_SKIP_DIRS if exclude_dirs is None else exclude_dirs)
    for path in paths or []:
        _scan_path(Path(path), scanner, report, skip_dirs, max_file_bytes)
    if urls or base_url:
        timeout = require_positive("timeout", timeout)
        _scan_http(urls or [], base_url, leak_paths, scanner, report, timeout, max_file_bytes, pins)
    problems = [f"{f['kind']} in {f['source']}:{f['line']} ({f['match']})" for f in scanner.found]
    problems += [f"{url} is exposed" for url in report["exposed_paths"]]
    if len(problems) > 50:
        problems = [*problems[:50], f"... and {len(problems) - 50} more"]
    return {
        "ok": not problems,
        "problems": problems,
        "findings": scanner.found,
        "truncated": scanner.truncated,
        **report,
    }


def shannon_entropy(text: str) -> float:
    """Shannon entropy of ``text`` in bits per character (0.0 for an empty string)."""
    if not text:
        return 0.0
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in Counter(text).values())


class _Scanner:
    def __init__(self, kinds: list[str], min_entropy: float, min_length: int, ignore: set[str]):
        self.patterns = [(k, p) for k, p in PATTERNS.items() if k in kinds]
        self.entropy = "high_entropy" in kinds
        self.min_entropy, self.min_length, self.ignore = min_entropy, min_length, ignore
        self.found: list[dict[str, Any]] = []
        self.max_findings = 200
        self.truncated = False

    def scan(self, source: str, text: str) -> None:
        in_pem = False
        for number, line in enumerate(text.splitlines(), start=1):
            if in_pem:  # the body of a key already reported by its BEGIN line
                in_pem = not line.startswith("-----END ")
                continue
            spans: list[tuple[int, int]] = []
            for kind, pattern in self.patterns:
                for match in pattern.finditer(line):
                    secret = match.group(1) if pattern.groups else match.group(0)
                    start, end = match.span(1) if pattern.groups else match.span()
                    if self._plausible(kind, secret):
                        spans.append((start, end))
                        in_pem = in_pem or kind == "private_key"
                        self._add(source, number, kind, secret, shown=kind == "private_key")
            if self.entropy:
                for match in _TOKEN.finditer(line):
                    token, (start, end) = match.group(0), match.span()
                    if any(s < end and start < e for s, e in spans) or len(token) < self.min_length:
                        continue
                    if self._random_looking(token):
                        self._add(source, number, "high_entropy", token)

    def _random_looking(self, token: str) -> bool:
        mixed = re.search(r"[A-Za-z]", token) and re.search(r"\d", token)
        return (
            bool(mixed)
            and token not in self.ignore
            and (shannon_entropy(token) >= self.min_entropy)
        )

    def _plausible(self, kind: str, secret: str) -> bool:
        if secret in self.ignore:
            return False
        if kind == "password_assignment":
            lowered = secret.lower()
            return lowered not in _PLACEHOLDERS and not re.match(r"[$<{%*(\[]|os\.|self\.", secret)
        if kind == "generic_secret":
            return shannon_entropy(secret) >= 3.0
        return True

    def _add(self, source: str, line: int, kind: str, secret: str, shown: bool = False) -> None:
        if len(self.found) >= self.max_findings:
            self.truncated = True
            return
        self.found.append(
            {
                "source": source,
                "line": line,
                "kind": kind,
                "match": secret if shown else redact(secret),
                "sha256": hashlib.sha256(secret.encode()).hexdigest()[:16],
                "entropy": round(shannon_entropy(secret), 2),
            }
        )


def redact(secret: str) -> str:
    """``abcd…(40 chars)``: enough to recognise a finding, not enough to use it."""
    keep = 4 if len(secret) >= 12 else 1
    return f"{secret[:keep]}…({len(secret)} chars)"


def _scan_path(
    root: Path, scanner: _Scanner, report: dict[str, Any], skip_dirs: set[str], limit: int
) -> None:
    if not root.exists() and not root.is_symlink():
        report["missing"].append(str(root))
        return
    if root.is_file():
        _scan_file(root, scanner, report, limit)
        return
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in skip_dirs)
        for name in sorted(files):
            path = Path(folder) / name
            if not path.is_symlink():
                _scan_file(path, scanner, report, limit)


def _scan_file(path: Path, scanner: _Scanner, report: dict[str, Any], limit: int) -> None:
    try:
        if path.stat().st_size > limit:
            report["skipped"].append({"path": str(path), "reason": f"larger than {limit} bytes"})
            return
        data = path.read_bytes()
    except OSError as exc:
        report["skipped"].append({"path": str(path), "reason": exc.strerror or str(exc)})
        return
    if b"\0" in data[:8192]:
        report["skipped"].append({"path": str(path), "reason": "binary"})
        return
    report["files_scanned"] += 1
    report["bytes_scanned"] += len(data)
    scanner.scan(str(path), data.decode("utf-8", errors="replace"))


def _scan_http(
    urls: list[str],
    base_url: str | None,
    leak_paths: list[str] | None,
    scanner: _Scanner,
    report: dict[str, Any],
    timeout: float,
    limit: int,
    pins: dict[str, str] | None,
) -> None:
    targets = [(url, False) for url in urls]
    if base_url:
        root = base_url.rstrip("/")
        targets += [(root + "/" + p.lstrip("/"), True) for p in leak_paths or LEAK_PATHS]
    with make_client(timeout, False, None, pins) as client:
        for url, is_leak_path in targets:
            answer = send(client, "GET", url)
            entry = {"url": url, "status": answer.status, "exposed": False, "error": answer.error}
            report["responses"].append(entry)
            if answer.response is None:
                continue
            body = answer.response.content[:limit]
            text = body.decode(answer.response.encoding or "utf-8", errors="replace")
            if is_leak_path:
                looks_html = text.lstrip()[:15].lower().startswith(("<!doctype", "<html"))
                if answer.status is not None and 200 <= answer.status < 300 and body.strip():
                    entry["exposed"] = not looks_html
                if not entry["exposed"]:
                    continue
                report["exposed_paths"].append(url)
            report["bytes_scanned"] += len(body)
            scanner.scan(url, text)
