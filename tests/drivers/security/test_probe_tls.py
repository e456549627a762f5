"""tls_certificate, tls_protocols and tls_ciphers against real loopback TLS servers."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from squall import ActivityFailed
from squall.drivers.security.tls import hostname_matches, tls_certificate
from squall.drivers.security.tls_policy import describe_cipher, tls_ciphers, tls_protocols

# -- tls_certificate ---------------------------------------------------------------------------


def test_valid_certificate_is_ok(serve, certs):
    server = serve(tls="valid")
    result = tls_certificate(port=server.port, ca_bundle=str(certs.ca_file))
    assert result["ok"] is True, result["problems"]
    assert result["reachable"] is True
    assert result["expired"] is False
    assert 88 < result["days_left"] < 91
    assert result["hostname_matches"] is True
    assert result["chain_verified"] is True
    assert result["self_signed"] is False
    assert result["key_type"] == "ec" and result["key_size"] == 256
    assert result["signature_hash"] == "sha256"
    assert result["subject_alt_names"] == {"dns": ["localhost"], "ip": ["127.0.0.1"]}
    assert result["issuer_common_name"] == "squall test CA"
    json.dumps(result)


def test_expired_certificate_is_reported_not_raised(serve, certs):
    server = serve(tls="expired")
    result = tls_certificate(port=server.port, ca_bundle=str(certs.ca_file))
    assert result["ok"] is False
    assert result["expired"] is True
    assert -3.1 < result["days_left"] < -2.9
    assert any("expired 3.0 days ago" in p for p in result["problems"])
    # the chain itself is fine: expiry is judged apart from the chain
    assert result["chain_verified"] is True


def test_certificate_expiring_soon_fails_min_days_left(serve, certs):
    server = serve(tls="soon")
    result = tls_certificate(port=server.port, ca_bundle=str(certs.ca_file), min_days_left=7)
    assert result["ok"] is False and result["expired"] is False
    assert any("expires in" in p for p in result["problems"])
    relaxed = tls_certificate(port=server.port, ca_bundle=str(certs.ca_file), min_days_left=1)
    assert relaxed["ok"] is True


def test_wrong_san_does_not_match(serve, certs):
    server = serve(tls="wrong_san")
    result = tls_certificate(port=server.port, ca_bundle=str(certs.ca_file))
    assert result["hostname_matches"] is False
    assert result["ok"] is False
    matching = tls_certificate(
        port=server.port, server_name="other.example", ca_bundle=str(certs.ca_file)
    )
    assert matching["hostname_matches"] is True and matching["ok"] is True


def test_self_signed_is_not_chained(serve, certs):
    server = serve(tls="self_signed")
    result = tls_certificate(port=server.port, ca_bundle=str(certs.ca_file))
    assert result["self_signed"] is True
    assert result["chain_verified"] is False
    assert "self-signed" in result["chain_error"]
    assert result["ok"] is False


def test_system_trust_store_does_not_trust_the_test_ca(serve):
    server = serve(tls="valid")
    result = tls_certificate(port=server.port)
    assert result["chain_verified"] is False
    unchecked = tls_certificate(port=server.port, check_chain=False)
    assert unchecked["chain_verified"] is None and unchecked["ok"] is True


def test_weak_rsa_key_is_flagged(serve, certs):
    weak = tls_certificate(port=serve(tls="weak_rsa").port, ca_bundle=str(certs.ca_file))
    assert weak["key_type"] == "rsa" and weak["key_size"] == 1024
    assert weak["weak_key"] is True and weak["ok"] is False
    strong = tls_certificate(port=serve(tls="rsa").port, ca_bundle=str(certs.ca_file))
    assert strong["key_size"] == 2048 and strong["weak_key"] is False and strong["ok"] is True
    assert strong["signature_algorithm"] == "ecdsa-with-SHA256"


def test_sha1_signature_is_flagged(serve, tmp_path):
    """``cryptography`` refuses to sign with SHA-1, so the openssl CLI makes this one."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command")
    cert, key = tmp_path / "sha1.crt", tmp_path / "sha1.key"
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-sha1", "-nodes", "-days", "5"]
    command += ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"]
    command += ["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
    done = subprocess.run(command, capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"openssl cannot make a SHA-1 certificate: {done.stderr[-200:]!r}")
    server = serve(tls=(cert, key))
    result = tls_certificate(port=server.port, check_chain=False)
    assert result["signature_algorithm"] == "sha1WithRSAEncryption"
    assert result["weak_signature"] is True and result["ok"] is False
    assert "weak signature algorithm sha1WithRSAEncryption" in result["problems"]
    assert result["self_signed"] is True


def test_expected_issuer(serve, certs):
    server = serve(tls="valid")
    good = tls_certificate(
        port=server.port, ca_bundle=str(certs.ca_file), expected_issuer="squall test CA"
    )
    assert good["issuer_matches"] is True and good["ok"] is True
    bad = tls_certificate(port=server.port, ca_bundle=str(certs.ca_file), expected_issuer="Acme")
    assert bad["issuer_matches"] is False and bad["ok"] is False


def test_unreachable_is_a_fact(closed_port):
    result = tls_certificate(port=closed_port, check_chain=False)
    assert result["reachable"] is False and result["ok"] is False
    assert result["error"] == "connection refused"


def test_plain_http_port_is_not_tls(serve):
    result = tls_certificate(port=serve().port, check_chain=False, timeout=2)
    assert result["reachable"] is False and result["ok"] is False


def test_non_loopback_refused_without_opt_in():
    with pytest.raises(ActivityFailed, match="non-loopback"):
        tls_certificate(host="192.0.2.1", port=443)
    with pytest.raises(ActivityFailed, match="port"):
        tls_certificate(port=0)


def test_bad_ca_bundle_raises(tmp_path, serve):
    with pytest.raises(ActivityFailed, match="CA bundle"):
        tls_certificate(port=serve(tls="valid").port, ca_bundle=str(tmp_path / "missing.pem"))


def test_hostname_matching_rules():
    assert hostname_matches("api.example.com", ["*.example.com"], [])
    assert not hostname_matches("a.b.example.com", ["*.example.com"], [])
    assert not hostname_matches("example.com", ["*.example.com"], [])
    assert hostname_matches("Example.COM.", ["example.com"], [])
    assert hostname_matches("::1", [], ["::1"])
    assert not hostname_matches("127.0.0.1", ["127.0.0.1"], [])


# -- tls_protocols -----------------------------------------------------------------------------


def test_modern_server_refuses_old_protocols(serve):
    server = serve(tls="valid", min_version="TLSv1_2")
    result = tls_protocols(port=server.port)
    assert result["ok"] is True, result["problems"]
    assert result["accepted"] == ["TLSv1.2", "TLSv1.3"]
    assert set(result["refused"]) | set(result["client_unsupported"]) == {"TLSv1.0", "TLSv1.1"}
    assert result["versions"]["TLSv1.3"]["cipher"].startswith("TLS_")


def test_tls13_only_and_required_versions(serve):
    server = serve(tls="valid", min_version="TLSv1_3")
    result = tls_protocols(port=server.port)
    assert result["accepted"] == ["TLSv1.3"] and "TLSv1.2" in result["refused"]
    assert result["ok"] is True
    strict = tls_protocols(port=server.port, required=["1.2"])
    assert strict["ok"] is False
    assert "the server does not accept required TLSv1.2" in strict["problems"]


def test_legacy_server_accepting_tls10_is_flagged(serve):
    server = serve(tls="rsa", min_version="TLSv1", max_version="TLSv1_1")
    result = tls_protocols(port=server.port)
    assert result["ok"] is False
    assert "TLSv1.2" in result["refused"] and "TLSv1.3" in result["refused"]
    if "TLSv1.0" in result["client_unsupported"]:
        pytest.skip("this OpenSSL cannot offer TLS 1.0 even at security level 0")
    assert result["accepted"] == ["TLSv1.0", "TLSv1.1"]
    assert any("accepts TLSv1.0" in p for p in result["problems"])


def test_unreachable_protocols(closed_port):
    result = tls_protocols(port=closed_port)
    assert result["reachable"] is False and result["ok"] is False
    assert result["accepted"] == []


def test_unknown_version_is_bad_input():
    with pytest.raises(ActivityFailed, match="unknown TLS version"):
        tls_protocols(port=443, allowed=["SSLv3"])


# -- tls_ciphers -------------------------------------------------------------------------------


def test_modern_ciphers_are_ok(serve):
    result = tls_ciphers(port=serve(tls="valid").port)
    assert result["ok"] is True, result["problems"]
    assert result["negotiated"]["forward_secrecy"] is True
    assert result["negotiated"]["weak"] is False
    assert result["weak_accepted"] == []
    assert result["families"]["NULL"]["status"] == "refused"


def test_null_ciphers_accepted_are_flagged(serve):
    server = serve(tls="valid", max_version="TLSv1_2", ciphers="ECDHE-ECDSA-NULL-SHA:@SECLEVEL=0")
    result = tls_ciphers(port=server.port, families=["NULL", "anonymous"])
    assert result["ok"] is False
    assert result["weak_accepted"] == ["NULL"]
    assert result["families"]["NULL"]["cipher"] == "ECDHE-ECDSA-NULL-SHA"
    assert result["families"]["anonymous"]["status"] == "refused"


def test_static_rsa_has_no_forward_secrecy(serve):
    server = serve(tls="rsa", max_version="TLSv1_2", ciphers="AES128-GCM-SHA256")
    result = tls_ciphers(port=server.port)
    assert result["negotiated"]["cipher"] == "AES128-GCM-SHA256"
    assert result["negotiated"]["forward_secrecy"] is False
    assert "static-RSA" in result["weak_accepted"]
    assert result["ok"] is False


def test_client_unsupported_families_are_reported(serve):
    result = tls_ciphers(port=serve(tls="valid").port, families=["RC4", "EXPORT"])
    # OpenSSL 3 ships neither; whatever this client can offer, it is never "accepted" here
    for family in ("RC4", "EXPORT"):
        assert result["families"][family]["status"] in ("client_unsupported", "refused")
    assert result["ok"] is True


def test_describe_cipher_flags():
    assert describe_cipher("TLS_AES_128_GCM_SHA256", "TLSv1.3", 128)["forward_secrecy"] is True
    null = describe_cipher("NULL-SHA256", "TLSv1.2", 0)
    assert null["weak"] is True and "NULL" in null["flags"] and not null["forward_secrecy"]
    assert describe_cipher("DES-CBC3-SHA", "TLSv1.2", 112)["flags"] == ["3DES", "112-bit"]


def test_unknown_family_is_bad_input():
    with pytest.raises(ActivityFailed, match="unknown cipher families"):
        tls_ciphers(port=443, families=["ROT13"])


def test_client_side_refusal_is_detected_without_network():
    from squall.drivers.security import _tls

    # a TLS 1.2-only suite cannot be offered in a TLS 1.1 ClientHello: OpenSSL says so locally
    impossible = _tls.probe_context("AES128-GCM-SHA256", minimum="TLSv1.1", maximum="TLSv1.1")
    assert _tls.client_cannot_offer(impossible) == "NO_CIPHERS_AVAILABLE"
    assert _tls.client_cannot_offer(_tls.probe_context(minimum="TLSv1.3")) is None


def test_error_classification():
    import socket
    import ssl

    from squall.drivers.security import _tls

    assert _tls.classify(ConnectionRefusedError()) == ("unreachable", "connection refused")
    assert _tls.classify(TimeoutError())[0] == "error"
    assert _tls.classify(ConnectionResetError())[0] == "refused"
    assert _tls.classify(ssl.SSLEOFError())[0] == "refused"
    assert _tls.classify(socket.gaierror("no such host"))[0] == "unreachable"


def test_not_yet_valid_certificate(serve, certs, tmp_path):
    from squall.drivers.security._pki import make_leaf

    leaf = make_leaf(certs.authority, ["localhost", "127.0.0.1"], days_before=-2, days_valid=30)
    paths = leaf.write(tmp_path / "future.crt", tmp_path / "future.key")
    result = tls_certificate(port=serve(tls=paths).port, ca_bundle=str(certs.ca_file))
    assert result["not_yet_valid"] is True and result["expired"] is False
    assert result["chain_verified"] is True
    assert result["ok"] is False and any("not valid before" in p for p in result["problems"])
