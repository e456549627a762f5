"""Generate TLS material (a CA and leaf certificates) for drivers, the demo and tests.

Private (a helper library, not activities): ``squall drivers`` and discovery skip modules
whose name starts with ``_``, so ``make_authority`` and ``make_leaf`` are not listed as probes.

Uses ``cryptography``; everything is in memory until ``write_pem`` / ``Leaf.write``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

__all__ = ["Authority", "Leaf", "make_authority", "make_leaf"]

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True, slots=True)
class Authority:
    """A certificate authority: its key and self-signed certificate."""

    key: PrivateKey
    cert: x509.Certificate

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def write(self, cert_path: Path) -> Path:
        cert_path.write_bytes(self.cert_pem())
        return cert_path


@dataclass(frozen=True, slots=True)
class Leaf:
    """A leaf (server) certificate with its key and the authority that issued it."""

    key: PrivateKey
    cert: x509.Certificate

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def write(self, cert_path: Path, key_path: Path) -> tuple[Path, Path]:
        """Write certificate and key (the key with mode 0600)."""
        cert_path.write_bytes(self.cert_pem())
        key_path.touch(mode=0o600)
        key_path.write_bytes(self.key_pem())
        return cert_path, key_path


def _new_key(key_type: str, key_size: int) -> PrivateKey:
    if key_type == "ec":
        curve: ec.EllipticCurve = ec.SECP256R1() if key_size <= 256 else ec.SECP384R1()
        return ec.generate_private_key(curve)
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "squall"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def make_authority(
    common_name: str = "squall test CA", key_type: str = "ec", key_size: int = 256
) -> Authority:
    """A self-signed CA valid from yesterday for ten years."""
    key = _new_key(key_type, key_size)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return Authority(key=key, cert=cert)


def make_leaf(
    authority: Authority | None,
    names: list[str] | None = None,
    *,
    days_valid: float = 90,
    days_before: float = 1,
    key_type: str = "ec",
    key_size: int = 256,
    hash_name: str = "sha256",
    common_name: str | None = None,
) -> Leaf:
    """A server certificate for ``names`` (DNS names or IP addresses).

    ``authority=None`` makes it self-signed. Negative ``days_valid`` (with ``days_before``
    larger than its absolute value) gives an expired certificate: it was valid from
    ``now - days_before`` to ``now + days_valid``. ``hash_name`` is ``sha256``, ``sha384``
    or ``sha512`` (current ``cryptography`` refuses to sign with SHA-1 or MD5).
    """
    names = names or ["localhost", "127.0.0.1"]
    key = _new_key(key_type, key_size)
    now = dt.datetime.now(dt.UTC)
    subject = _name(common_name or names[0])
    issuer = authority.cert.subject if authority else subject
    signing_key = authority.key if authority else key
    algorithm: hashes.SHA256 | hashes.SHA384 | hashes.SHA512 = hashes.SHA256()
    if hash_name == "sha384":
        algorithm = hashes.SHA384()
    elif hash_name == "sha512":
        algorithm = hashes.SHA512()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=days_before))
        .not_valid_after(now + dt.timedelta(days=days_valid))
        .add_extension(_san(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(signing_key, algorithm)
    )
    return Leaf(key=key, cert=cert)
