"""Security actions on a reloadable target's TLS: swap its certificate, lower its TLS floor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from squall import ActivityFailed, show_value
from squall.drivers._safety import check_path
from squall.drivers._state import run_id
from squall.drivers.host._edits import (
    FileEdit,
    Reload,
    apply_edits,
    config_path,
    load_json,
    reconfigure,
    restore_config,
    revert_edits,
)

__all__ = ["downgrade_tls", "restore_certificate", "restore_tls", "swap_certificate"]

KIND_CERT = "security.swap_certificate"
KIND_TLS = "security.downgrade_tls"
VARIANTS = ("expired", "not-yet-valid", "self-signed", "wrong-san", "weak-key")
TLS_VERSIONS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")


def _cert_paths(
    config_file: str | None,
    cert_file: str | None,
    key_file: str | None,
    configuration: dict[str, Any] | None,
) -> tuple[Path, Path]:
    """The certificate and key files: given, or named by the config (``cert_file``...)."""
    config: dict[str, Any] = {}
    base = Path.cwd()
    if config_file:
        path = config_path(config_file, configuration)
        config, base = load_json(path), path.parent
    cert = cert_file or config.get("cert_file")
    key = key_file or config.get("key_file") or cert
    if not cert or not key:
        raise ActivityFailed("give cert_file (and key_file), or a config_file naming them")
    return check_path(base / str(cert), configuration), check_path(base / str(key), configuration)


def _current_names(cert_path: Path) -> list[str]:
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound):
        return ["localhost", "127.0.0.1"]
    names = [str(v) for v in san.get_values_for_type(x509.DNSName)]
    names += [str(v) for v in san.get_values_for_type(x509.IPAddress)]
    return names or ["localhost", "127.0.0.1"]


def _authority(ca_cert_file: str | None, ca_key_file: str | None, run: str) -> Any:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    from squall.drivers.security import _pki as pki

    if not ca_cert_file and not ca_key_file:
        return pki.make_authority(f"squall untrusted CA {run}"[:64])
    if not (ca_cert_file and ca_key_file):
        raise ActivityFailed("give both ca_cert_file and ca_key_file, or neither")
    try:  # read only: an input, not a target, so not limited to the allowed directories
        cert = x509.load_pem_x509_certificate(Path(ca_cert_file).expanduser().read_bytes())
        key = serialization.load_pem_private_key(Path(ca_key_file).expanduser().read_bytes(), None)
    except (OSError, ValueError, TypeError) as exc:
        raise ActivityFailed(f"cannot load the CA: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ActivityFailed("the CA key must be RSA or EC")
    return pki.Authority(key=key, cert=cert)


def swap_certificate(
    config_file: str | None = None,
    variant: str = "expired",
    *,
    cert_file: str | None = None,
    key_file: str | None = None,
    names: list[str] | None = None,
    wrong_names: list[str] | None = None,
    ca_cert_file: str | None = None,
    ca_key_file: str | None = None,
    pid: int | list[int] | None = None,
    pidfile: str | list[str] | None = None,
    process_name: str | None = None,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Replace a target's certificate and key with a flawed pair, then SIGHUP it.

    Args:
        config_file: the target's JSON config; its ``cert_file``/``key_file`` name the files
            (relative paths are relative to the config file).
        variant: the flaw: ``expired``, ``not-yet-valid``, ``self-signed``, ``wrong-san``
            (valid, but for ``wrong_names``) or ``weak-key`` (RSA 1024).
        cert_file: the certificate file (overrides the config).
        key_file: the key file (overrides the config; default: ``cert_file``, one PEM).
        names: the names (DNS or IP) of the new certificate; default: those of the current
            certificate.
        wrong_names: the names used by ``wrong-san`` (default ``["wrong-host.invalid"]``).
        ca_cert_file: the CA certificate that issued the real certificate; with
            ``ca_key_file`` the new certificate has only the chosen flaw. Without them a
            throw-away CA issues it, so it is also untrusted.
        ca_key_file: that CA's private key.
        pid: the target's pid (or a list of pids), sent SIGHUP after the swap.
        pidfile: a file holding the target's pid (or a list of such files).
        process_name: a substring the target's command line must contain.

    Returns:
        ``variant``, ``files``, ``names``, ``not_valid_before``/``not_valid_after`` (ISO),
        ``fingerprint_sha256`` of the new certificate, ``reloaded_pids``, ``run_id``,
        ``state_key``. The certificate's common name carries the run id.
    """
    if variant not in VARIANTS:
        raise ActivityFailed(
            f"variant must be one of {show_value(list(VARIANTS))}, got {show_value(variant)}"
        )
    from cryptography.hazmat.primitives import hashes

    from squall.drivers.security import _pki as pki

    cert_path, key_path = _cert_paths(config_file, cert_file, key_file, configuration)
    run = run_id(configuration)
    names = names or _current_names(cert_path)
    authority = None if variant == "self-signed" else _authority(ca_cert_file, ca_key_file, run)
    options: dict[str, Any] = {"common_name": f"squall {variant} {run}"[:64]}
    if variant == "expired":
        options.update(days_valid=-1, days_before=30)
    elif variant == "not-yet-valid":
        options.update(days_valid=30, days_before=-1)
    elif variant == "weak-key":
        options.update(key_type="rsa", key_size=1024)
    if variant == "wrong-san":
        names = wrong_names or ["wrong-host.invalid"]
    leaf = pki.make_leaf(authority, names, **options)
    if cert_path == key_path:
        edits = [FileEdit(cert_path, leaf.cert_pem() + leaf.key_pem(), {"type": "restore"})]
    else:
        edits = [
            FileEdit(cert_path, leaf.cert_pem(), {"type": "restore"}),
            FileEdit(key_path, leaf.key_pem(), {"type": "restore"}),
        ]
    result = apply_edits(
        KIND_CERT,
        str(cert_path),
        edits,
        reload=Reload(pid, pidfile, process_name, configuration),
        rollback={
            "function": f"{__name__}.restore_certificate",
            "arguments": {"cert_file": str(cert_path)},
        },
        configuration=configuration,
        data={"variant": variant},
    )
    return {
        **result,
        "variant": variant,
        "names": names,
        "not_valid_before": leaf.cert.not_valid_before_utc.isoformat(),
        "not_valid_after": leaf.cert.not_valid_after_utc.isoformat(),
        "fingerprint_sha256": leaf.cert.fingerprint(hashes.SHA256()).hex(),
    }


def restore_certificate(
    config_file: str | None = None,
    *,
    cert_file: str | None = None,
    key_file: str | None = None,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Rollback of ``swap_certificate``: put back the original files byte for byte, SIGHUP.

    Args:
        config_file: the same ``config_file`` given to the action (or ``cert_file``).
        cert_file: the same ``cert_file`` given to the action.
        key_file: the same ``key_file`` given to the action.

    Returns:
        ``restored``, ``exact``, ``files``, ``reloaded_pids``, ``run_id``, ``state_key``;
        a no-op (``restored`` false) when nothing was recorded.
    """
    cert_path, _ = _cert_paths(config_file, cert_file, key_file, configuration)
    return revert_edits(KIND_CERT, str(cert_path), configuration)


def downgrade_tls(
    config_file: str,
    min_tls_version: str = "TLSv1",
    *,
    pid: int | list[int] | None = None,
    pidfile: str | list[str] | None = None,
    process_name: str | None = None,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Lower a reloadable target's ``min_tls_version`` (default ``TLSv1``), then SIGHUP it.

    Args:
        config_file: the target's JSON config file.
        min_tls_version: ``TLSv1``, ``TLSv1.1``, ``TLSv1.2`` or ``TLSv1.3``.
        pid: the target's pid (or a list of pids), sent SIGHUP after the edit.
        pidfile: a file holding the target's pid (or a list of such files).
        process_name: a substring the target's command line must contain.

    Returns:
        ``changed`` (``{"min_tls_version": {"old": ..., "new": ...}}``), ``files``,
        ``reloaded_pids``, ``run_id``, ``state_key``.
    """
    if min_tls_version not in TLS_VERSIONS:
        raise ActivityFailed(f"min_tls_version must be one of {show_value(list(TLS_VERSIONS))}")
    current = load_json(config_path(config_file, configuration)).get("min_tls_version")
    if current == min_tls_version:
        raise ActivityFailed(f"min_tls_version is already {min_tls_version}: nothing to inject")
    return reconfigure(
        KIND_TLS,
        config_file,
        {"min_tls_version": min_tls_version},
        pid=pid,
        pidfile=pidfile,
        process_name=process_name,
        rollback_function=f"{__name__}.restore_tls",
        configuration=configuration,
    )


def restore_tls(
    config_file: str,
    configuration: dict[str, Any] | None = None,
    secrets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Rollback of ``downgrade_tls``: the config file as it was, then SIGHUP.

    Args:
        config_file: the same ``config_file`` given to the action.

    Returns:
        ``restored``, ``exact``, ``files``, ``reloaded_pids``, ``run_id``, ``state_key``;
        a no-op (``restored`` false) when nothing was recorded.
    """
    return restore_config(KIND_TLS, config_file, configuration)
