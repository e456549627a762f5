"""Probes: they observe and return a value a tolerance can judge."""

from __future__ import annotations

import socket
import ssl
import urllib.error
import urllib.request
from datetime import UTC, datetime

from cryptography import x509

__all__ = ["certificate_days_left", "http_status", "port_is_open"]


def port_is_open(port: int, host: str = "127.0.0.1", timeout: float = 1.0) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def certificate_days_left(host: str, port: int = 443, timeout: float = 3.0) -> int:
    """Days until the certificate served on host:port expires (negative: expired)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # we read the certificate, we do not trust it
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    if der is None:
        raise RuntimeError(f"{host}:{port} sent no certificate")
    expires = x509.load_der_x509_certificate(der).not_valid_after_utc
    return (expires - datetime.now(UTC)).days


def http_status(url: str, timeout: float = 3.0) -> int:
    """The HTTP status code a GET of url gets."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
