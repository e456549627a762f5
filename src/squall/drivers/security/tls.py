"""TLS certificate probe: the certificate a server serves, judged after the fact.

The probe connects *without* verifying, so an expired, self-signed or wrong-name certificate
comes back as facts to judge (``ok``, ``problems``) rather than as an error. Protocol versions
and cipher suites are in :mod:`squall.drivers.security.tls_policy`. Targets must be loopback
unless ``allow_non_loopback=true`` is passed.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

from squall import ActivityFailed, show_value
from squall.drivers.security import _tls
from squall.drivers.security._net import require_port, require_positive, require_target

__all__ = ["tls_certificate"]

_WEAK_HASHES = frozenset({"md2", "md4", "md5", "sha1"})


def tls_certificate(
    host: str = "127.0.0.1",
    port: int = 443,
    server_name: str | None = None,
    min_days_left: float = 14,
    ca_bundle: str | None = None,
    check_chain: bool = True,
    expected_issuer: str | None = None,
    min_rsa_bits: int = 2048,
    min_ec_bits: int = 256,
    timeout: float = 5.0,
    allow_non_loopback: bool = False,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Fetch the server's certificate without verifying it, and report facts about it.

    Arguments:
        host: address to connect to (loopback unless ``allow_non_loopback``).
        port: TCP port of the TLS server.
        server_name: name sent as SNI and matched against the certificate's subject
            alternative names; defaults to ``host``.
        min_days_left: a certificate expiring in fewer days than this is a problem.
        ca_bundle: PEM file of trusted CAs for the chain check; ``None`` uses the system
            trust store.
        check_chain: verify that the served chain leads to a trusted CA (validity dates are
            not part of this check; expiry is judged on its own).
        expected_issuer: if set, the issuer's common name must equal it, or its RFC 4514
            form must contain it (case-insensitive).
        min_rsa_bits: smallest acceptable RSA (or DSA) key size.
        min_ec_bits: smallest acceptable elliptic-curve key size.
        timeout: seconds allowed for connecting and for each handshake.
        allow_non_loopback: allow a host that is neither loopback (``127.0.0.0/8``,
            ``::1``, ``localhost``) nor in the configuration's ``squall_allowed_networks``.
        configuration: injected by the engine; ``squall_allowed_networks`` (CIDRs) widens
            the loopback-only rule for every squall driver.
        secrets: injected by the engine; unused.

    Returns:
        ``ok`` (true when ``problems`` is empty), ``problems`` (list of sentences),
        ``reachable`` (a TLS handshake completed), ``error`` (why not, when not),
        ``host``, ``port``, ``server_name``, ``protocol`` and ``cipher`` (negotiated),
        ``subject`` and ``issuer`` (RFC 4514 strings), ``issuer_common_name``,
        ``serial_number`` (hex), ``not_before`` and ``not_after`` (ISO 8601, UTC),
        ``days_left`` (negative once expired), ``expired``, ``not_yet_valid``,
        ``subject_alt_names`` (``{"dns": [...], "ip": [...]}``), ``hostname_matches``,
        ``self_signed``, ``issuer_matches`` (``null`` if no ``expected_issuer``),
        ``chain_verified`` (``null`` if not checked), ``chain_error``, ``key_type``
        (``rsa``, ``ec``, ``ed25519``, ``ed448``, ``dsa``), ``key_size`` (bits),
        ``curve`` (EC only), ``weak_key``, ``signature_algorithm`` (e.g.
        ``sha256WithRSAEncryption``), ``signature_hash``, ``weak_signature``,
        ``fingerprint_sha256`` (hex).
    """
    host, address = require_target(host, allow_non_loopback, configuration)
    port = require_port(port)
    timeout = require_positive("timeout", timeout)
    name = server_name or host
    chain_context = _chain_context(ca_bundle) if check_chain else None
    result: dict[str, Any] = {
        "ok": False,
        "problems": [],
        "reachable": False,
        "error": None,
        "host": host,
        "port": port,
        "server_name": name,
    }
    try:
        shake = _tls.handshake(
            address, port, name, timeout, _tls.probe_context(_tls.CERTIFICATE_CIPHERS)
        )
    except OSError as exc:
        _, detail = _tls.classify(exc)
        result["error"] = detail
        result["problems"].append(f"no TLS handshake with {host}:{port}: {detail}")
        return result
    if shake.der is None:  # pragma: no cover - anonymous suites are not offered
        result["problems"].append("the server sent no certificate")
        return result
    result.update(reachable=True, protocol=shake.protocol, cipher=shake.cipher)
    cert = x509.load_der_x509_certificate(shake.der)
    problems: list[str] = result["problems"]
    result.update(_dates(cert, min_days_left, problems))
    result.update(_names(cert, name, expected_issuer, problems))
    result.update(_key(cert, min_rsa_bits, min_ec_bits, problems))
    result["fingerprint_sha256"] = cert.fingerprint(hashes.SHA256()).hex()
    result["chain_verified"] = None
    result["chain_error"] = None
    if chain_context is not None:
        verified, error = _verify_chain(address, port, name, timeout, chain_context)
        result.update(chain_verified=verified, chain_error=error)
        if not verified:
            problems.append(f"the chain does not lead to a trusted CA: {error}")
    result["ok"] = not problems
    return result


def _dates(cert: x509.Certificate, min_days_left: float, problems: list[str]) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    days_left = (not_after - now).total_seconds() / 86400
    expired, not_yet_valid = now > not_after, now < not_before
    if expired:
        problems.append(f"certificate expired {-days_left:.1f} days ago")
    elif days_left < min_days_left:
        problems.append(f"certificate expires in {days_left:.1f} days (< {min_days_left})")
    if not_yet_valid:
        problems.append(f"certificate is not valid before {not_before.isoformat()}")
    return {
        "not_before": not_before.isoformat(),
        "not_after": not_after.isoformat(),
        "days_left": round(days_left, 3),
        "expired": expired,
        "not_yet_valid": not_yet_valid,
    }


def _names(
    cert: x509.Certificate, name: str, expected_issuer: str | None, problems: list[str]
) -> dict[str, Any]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns, ips = san.get_values_for_type(x509.DNSName), san.get_values_for_type(x509.IPAddress)
    except x509.ExtensionNotFound:
        dns, ips = [], []
    matches = hostname_matches(name, dns, [str(ip) for ip in ips])
    if not matches:
        problems.append(
            f"{show_value(name)} is not among the certificate's names {show_value(dns + ips)}"
        )
    self_signed = cert.issuer == cert.subject and _signs_itself(cert)
    if self_signed:
        problems.append("certificate is self-signed")
    common = cert.issuer.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    issuer_cn = str(common[0].value) if common else None
    issuer_matches = None
    if expected_issuer is not None:
        wanted = expected_issuer.lower()
        issuer_matches = (issuer_cn or "").lower() == wanted or wanted in (
            cert.issuer.rfc4514_string().lower()
        )
        if not issuer_matches:
            problems.append(
                f"issuer {show_value(cert.issuer.rfc4514_string())} "
                f"is not {show_value(expected_issuer)}"
            )
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "issuer_common_name": issuer_cn,
        "serial_number": format(cert.serial_number, "x"),
        "subject_alt_names": {"dns": dns, "ip": [str(ip) for ip in ips]},
        "hostname_matches": matches,
        "self_signed": self_signed,
        "issuer_matches": issuer_matches,
    }


def _signs_itself(cert: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(cert)
    except InvalidSignature:
        return False
    except (ValueError, TypeError):
        # e.g. "Unsupported signature algorithm" for SHA-1: verify by hand, old hashes allowed
        return _verify_by_hand(cert)
    return True


def _verify_by_hand(cert: x509.Certificate) -> bool:
    key, algorithm = cert.public_key(), cert.signature_hash_algorithm
    if cert.issuer != cert.subject or algorithm is None:
        return False
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(algorithm))
        else:
            return False
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def _key(
    cert: x509.Certificate, min_rsa_bits: int, min_ec_bits: int, problems: list[str]
) -> dict[str, Any]:
    key = cert.public_key()
    curve: str | None = None
    if isinstance(key, rsa.RSAPublicKey):
        key_type, size, weak = "rsa", key.key_size, key.key_size < min_rsa_bits
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key_type, size, curve = "ec", key.curve.key_size, key.curve.name
        weak = size < min_ec_bits
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key_type, size, weak = "ed25519", 256, False
    elif isinstance(key, ed448.Ed448PublicKey):
        key_type, size, weak = "ed448", 456, False
    elif isinstance(key, dsa.DSAPublicKey):
        key_type, size, weak = "dsa", key.key_size, key.key_size < min_rsa_bits
    else:  # pragma: no cover - X25519/X448 cannot sign certificates
        key_type, size, weak = type(key).__name__, 0, True
    if weak:
        problems.append(f"weak {key_type} key of {size} bits")
    algorithm = cert.signature_hash_algorithm
    hash_name = algorithm.name if algorithm is not None else None
    weak_signature = hash_name in _WEAK_HASHES
    oid = cert.signature_algorithm_oid
    signature = getattr(oid, "_name", None) or oid.dotted_string
    if weak_signature:
        problems.append(f"weak signature algorithm {signature}")
    return {
        "key_type": key_type,
        "key_size": size,
        "curve": curve,
        "weak_key": weak,
        "signature_algorithm": signature,
        "signature_hash": hash_name,
        "weak_signature": weak_signature,
    }


def hostname_matches(name: str, dns_names: list[str], ip_names: list[str]) -> bool:
    """RFC 6125 matching: exact names, a left-most ``*`` label, IPs only against IP SANs."""
    try:
        address = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        pass
    else:
        return any(ipaddress.ip_address(ip) == address for ip in ip_names)
    wanted = name.lower().rstrip(".")
    for pattern in (p.lower().rstrip(".") for p in dns_names):
        if pattern == wanted:
            return True
        head, _, rest = wanted.partition(".")
        if pattern.startswith("*.") and rest and head and pattern[2:] == rest:
            return True
    return False


def _chain_context(ca_bundle: str | None) -> ssl.SSLContext:
    """A verifying context that ignores validity dates and key strength (judged apart)."""
    try:
        context = ssl.create_default_context(cafile=ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        raise ActivityFailed(f"cannot load CA bundle {show_value(ca_bundle)}: {exc}") from exc
    context.check_hostname = False
    context.verify_flags |= _tls.NO_CHECK_TIME
    context.set_ciphers(_tls.CERTIFICATE_CIPHERS)
    _tls.set_versions(context, "TLSv1.0", None)
    return context


def _verify_chain(
    host: str, port: int, name: str, timeout: float, context: ssl.SSLContext
) -> tuple[bool, str | None]:
    try:
        _tls.handshake(host, port, name, timeout, context)
    except ssl.SSLCertVerificationError as exc:
        return False, exc.verify_message or str(exc)
    except OSError as exc:
        return False, _tls.classify(exc)[1]
    return True, None
