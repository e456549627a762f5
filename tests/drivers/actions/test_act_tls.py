"""swap_certificate / restore_certificate and downgrade_tls / restore_tls on a live target."""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from act_harness import Target, peer_certificate, snapshot_tree, write_target_files
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from squall import ActivityFailed
from squall.drivers.security.actions_tls import (
    downgrade_tls,
    restore_certificate,
    restore_tls,
    swap_certificate,
)


def _fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def test_swap_certificate_expired_is_served_then_restored_exactly(
    target: Target, squall_env: dict[str, str]
) -> None:
    tls_dir = target.directory / "tls"
    before = snapshot_tree(tls_dir)
    original = peer_certificate("127.0.0.1", target.port)

    result = swap_certificate(
        str(target.config_file),
        "expired",
        ca_cert_file=str(target.ca_cert),
        ca_key_file=str(target.ca_key),
        pidfile=str(target.pidfile),
        process_name="target_app",
    )
    assert result["reloaded_pid"] == target.pid
    assert result["run_id"] == squall_env["run_id"]
    assert target.wait_generation(2)["last_error"] == ""
    served = peer_certificate("127.0.0.1", target.port)
    assert _fingerprint(served) == result["fingerprint_sha256"]
    assert served.not_valid_after_utc < dt.datetime.now(dt.UTC)
    assert served.issuer == original.issuer  # only the expiry is wrong
    assert squall_env["run_id"] in served.subject.rfc4514_string()
    assert (tls_dir / "api.key").stat().st_mode & 0o777 == 0o600

    with pytest.raises(ActivityFailed, match="already injected"):
        swap_certificate(str(target.config_file), "self-signed")

    undone = restore_certificate(str(target.config_file))
    assert undone["restored"] and undone["exact"]
    assert snapshot_tree(tls_dir) == before
    assert target.wait_generation(3)["generation"] == 3
    assert _fingerprint(peer_certificate("127.0.0.1", target.port)) == _fingerprint(original)
    again = restore_certificate(str(target.config_file))
    assert again["restored"] is False and "nothing to restore" in again["message"]


@pytest.mark.parametrize("variant", ["self-signed", "wrong-san", "weak-key", "not-yet-valid"])
def test_swap_certificate_variants(tmp_path: Path, variant: str) -> None:
    write_target_files(tmp_path)
    config = str(tmp_path / "config.json")
    before = snapshot_tree(tmp_path / "tls")
    result = swap_certificate(config, variant)
    cert = x509.load_pem_x509_certificate((tmp_path / "tls" / "api.crt").read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    dns = san.get_values_for_type(x509.DNSName)
    now = dt.datetime.now(dt.UTC)
    if variant == "self-signed":
        assert cert.issuer == cert.subject
    elif variant == "wrong-san":
        assert dns == ["wrong-host.invalid"]
    elif variant == "weak-key":
        key = cert.public_key()
        assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 1024
    else:
        assert cert.not_valid_before_utc > now
    if variant != "wrong-san":
        assert dns == ["localhost"]  # the names of the replaced certificate are kept
    assert result["variant"] == variant
    restore_certificate(config)
    assert snapshot_tree(tmp_path / "tls") == before


def test_swap_certificate_refuses_unknown_variant_and_missing_files(tmp_path: Path) -> None:
    write_target_files(tmp_path)
    with pytest.raises(ActivityFailed, match="variant"):
        swap_certificate(str(tmp_path / "config.json"), "rotten")
    with pytest.raises(ActivityFailed, match="does not exist"):
        swap_certificate(cert_file=str(tmp_path / "nope.crt"))


def _handshake(port: int, version: ssl.TLSVersion) -> str | None:
    """Negotiated version, or None if the handshake failed."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        context.minimum_version = version
        context.maximum_version = version
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as sock,
            context.wrap_socket(sock, server_hostname="localhost") as tls,
        ):
            return tls.version()
    except (ssl.SSLError, OSError):
        return None


def test_downgrade_tls_accepts_tls1_then_restores(target: Target) -> None:
    config_before = target.config_file.read_bytes()
    assert _handshake(target.port, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    assert _handshake(target.port, ssl.TLSVersion.TLSv1) is None

    result = downgrade_tls(str(target.config_file), "TLSv1", pid=target.pid)
    assert result["changed"] == {"min_tls_version": {"old": "TLSv1.2", "new": "TLSv1"}}
    state = target.wait_generation(2)
    assert state["min_tls_version"] == "TLSv1"
    negotiated = _handshake(target.port, ssl.TLSVersion.TLSv1)
    if negotiated is None:
        restore_tls(str(target.config_file))
        pytest.skip("this client's OpenSSL refuses TLS 1.0 even at SECLEVEL=0")
    assert negotiated == "TLSv1"

    assert restore_tls(str(target.config_file))["exact"] is True
    assert target.config_file.read_bytes() == config_before
    target.wait_generation(3)
    assert _handshake(target.port, ssl.TLSVersion.TLSv1) is None
    assert _handshake(target.port, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"


def test_downgrade_tls_rollback_in_another_process_keeps_later_changes(
    target: Target,
) -> None:
    downgrade_tls(str(target.config_file), "TLSv1.1")
    config = json.loads(target.config_file.read_text())
    config["login_limit"] = 7  # someone else edits the file meanwhile
    target.config_file.write_text(json.dumps(config))
    code = (
        "import json, sys; from squall.drivers.security.actions_tls import restore_tls; "
        "print(json.dumps(restore_tls(sys.argv[1])))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(target.config_file)],
        capture_output=True,
        check=True,
        text=True,
    )
    result = json.loads(out.stdout)
    assert result["restored"] and result["exact"] is False
    config = json.loads(target.config_file.read_text())
    assert config["min_tls_version"] == "TLSv1.2" and config["login_limit"] == 7


def test_downgrade_tls_refusals(target: Target, tmp_path: Path) -> None:
    with pytest.raises(ActivityFailed, match="min_tls_version must be"):
        downgrade_tls(str(target.config_file), "SSLv3")
    with pytest.raises(ActivityFailed, match=r"already TLSv1\.2"):
        downgrade_tls(str(target.config_file), "TLSv1.2")
    with pytest.raises(ActivityFailed, match="init"):
        downgrade_tls(str(target.config_file), pid=1)
    with pytest.raises(ActivityFailed, match="does not contain"):
        downgrade_tls(str(target.config_file), pid=target.pid, process_name="nginx")
    with pytest.raises(ActivityFailed, match="not inside an allowed directory"):
        downgrade_tls("/etc/hostname")
    # nothing was changed by the refused calls
    assert json.loads(target.config_file.read_text())["min_tls_version"] == "TLSv1.2"


def test_restore_certificate_after_a_later_change_still_restores_the_original(
    tmp_path: Path,
) -> None:
    write_target_files(tmp_path)
    before = snapshot_tree(tmp_path / "tls")
    swap_certificate(str(tmp_path / "config.json"), "self-signed")
    (tmp_path / "tls" / "api.crt").write_bytes(b"renewed by someone else\n")
    undone = restore_certificate(str(tmp_path / "config.json"))
    assert undone["exact"] is False and "restored the original" in undone["notes"][-1]
    assert snapshot_tree(tmp_path / "tls") == before
