"""What the detector looks at: listening ports, secret patterns, certificate validity."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from squall.demo import sockdiag

__all__ = [
    "CertFinding",
    "SecretFinding",
    "check_certificate",
    "listening_ports",
    "scan_text",
]

_LISTEN = "0A"
_PROC_FILES = ("/proc/net/tcp", "/proc/net/tcp6")


def _address(hex_addr: str) -> str:
    if len(hex_addr) == 8:
        raw = bytes.fromhex(hex_addr)[::-1]
        return ".".join(str(b) for b in raw)
    words = [bytes.fromhex(hex_addr[i : i + 8])[::-1].hex() for i in range(0, 32, 8)]
    full = "".join(words)
    return ":".join(full[i : i + 4] for i in range(0, 32, 4))


def listening_ports(files: tuple[str, ...] | None = None) -> dict[int, set[str]]:
    """Listening TCP ports (IPv4 and IPv6) and the local addresses they are bound to: asked
    of the kernel by netlink (sockdiag), else (or when ``files`` are given) read from
    /proc/net/tcp and tcp6."""
    if files is None:
        with contextlib.suppress(OSError):
            return sockdiag.listening()
    ports: dict[int, set[str]] = {}
    for name in files or _PROC_FILES:
        try:
            lines = Path(name).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 4 or fields[3] != _LISTEN:
                continue
            addr, _, port_hex = fields[1].partition(":")
            ports.setdefault(int(port_hex, 16), set()).add(_address(addr))
    return ports


SECRET_PATTERNS: dict[str, re.Pattern[str]] = {
    "aws_access_key_id": re.compile(r"\b((?:AKIA|ASIA)[0-9A-Z]{16})\b"),
    "private_key": re.compile(
        r"-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY)-----"
    ),
    "squall_canary": re.compile(r"(squall-canary(?:[-_:=][A-Za-z0-9._-]+)?)"),
    "aws_secret_access_key": re.compile(
        r"(?i)aws_secret_access_key\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})"
    ),
}
# run_id=..., RUN-ID: ..., SQUALL_CANARY_RUN_ID=... (what plant_canary_secret writes)
_RUN_ID = re.compile(r"(?i)run[_-]?id[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9._-]+)")
_CANARY_TAG = re.compile(r"squall-canary[-_:=]([A-Za-z0-9._-]+)")


@dataclass(frozen=True, slots=True)
class SecretFinding:
    """One secret-looking match: the pattern, a redacted excerpt and the run id if tagged."""

    pattern: str
    redacted: str
    line: int
    run_id: str | None


def _redact(value: str) -> str:
    if value.startswith("squall-canary") or value.endswith("PRIVATE KEY"):
        return value
    return value[:4] + "*" * max(len(value) - 8, 4) + value[-4:]


def scan_text(text: str) -> list[SecretFinding]:
    """Secret patterns in ``text``; a ``run_id=...`` or ``squall-canary-<id>`` tags the findings."""
    run_match = _RUN_ID.search(text) or _CANARY_TAG.search(text)
    run_id = run_match.group(1) if run_match else None
    findings: list[SecretFinding] = []
    for name, pattern in SECRET_PATTERNS.items():
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            findings.append(SecretFinding(name, _redact(match.group(1)), line, run_id))
    return findings


@dataclass(frozen=True, slots=True)
class CertFinding:
    """A problem with the served certificate: ``kind`` is an alert kind."""

    kind: str
    detail: str
    fingerprint: str
    not_after: str


def check_certificate(
    cert_file: Path, ca_file: Path | None, warn_days: float, at: dt.datetime
) -> list[CertFinding]:
    """Expired, not yet valid, expiring within ``warn_days``, or not issued by the demo CA."""
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    fingerprint = cert.fingerprint(hashes.SHA256()).hex()
    not_after = cert.not_valid_after_utc
    findings: list[CertFinding] = []

    def add(kind: str, detail: str) -> None:
        findings.append(CertFinding(kind, detail, fingerprint, not_after.isoformat()))

    if not_after <= at:
        add("cert_expired", f"{cert_file} expired at {not_after.isoformat()}")
    elif cert.not_valid_before_utc > at:
        add("cert_not_yet_valid", f"{cert_file} is valid only from {cert.not_valid_before_utc}")
    elif not_after <= at + dt.timedelta(days=warn_days):
        add("cert_expiring", f"{cert_file} expires at {not_after.isoformat()}")
    if ca_file is not None and ca_file.exists():
        ca = x509.load_pem_x509_certificate(ca_file.read_bytes())
        try:
            cert.verify_directly_issued_by(ca)
        except Exception as exc:  # InvalidSignature, ValueError, TypeError
            add("cert_untrusted", f"{cert_file} is not issued by the demo CA: {exc!s}")
    return findings
