"""Read secrets from HashiCorp Vault (extra ``vault``: ``pip install -e '.[vault]'`` from
a clone, or ``pip install hvac``; squall is not on PyPI, so ``squall[vault]`` would be
somebody else's package).

Authentication in the reference's order: token, AppRole (role id + secret id), then a
Kubernetes service-account token. Settings come from the experiment's configuration
(``vault_addr``, ``vault_token``, ``vault_role_id``, ``vault_role_secret``,
``vault_sa_role``, ``vault_sa_token_path``, ``vault_k8s_mount_point``,
``vault_kv_version``, ``vault_secrets_mount_point``).

``.netrc``: the client's requests read it in the Chaos Toolkit (hvac uses requests), so
squall's does too, by squall's rules (squall.netrc_auth): the ``machine`` entry of the
Vault host only, never re-read for a redirect's other host nor sent down from https to
http, ``default`` not used, never from a file others may read, masked everywhere.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from squall._log import get_logger
from squall.errors import InputError
from squall.experiment.model import SecretVault
from squall.show import show_value

__all__ = ["read_vault_secret"]

log = get_logger(__name__)


def _client(configuration: Mapping[str, Any]) -> Any:
    try:
        import hvac
    except ImportError:
        raise InputError(
            'a secret comes from Vault but the "hvac" package is missing: '
            f"pip install hvac (into {sys.prefix}), or pip install -e '.[vault]' from a "
            "clone of squall"
        ) from None
    url = configuration.get("vault_addr")
    client = hvac.Client(url=url, session=_session(str(url or "")))
    if configuration.get("vault_token"):
        client.token = configuration["vault_token"]
    elif configuration.get("vault_role_id") and configuration.get("vault_role_secret"):
        client.auth.approle.login(
            role_id=configuration["vault_role_id"], secret_id=configuration["vault_role_secret"]
        )
    elif configuration.get("vault_sa_role"):
        path = configuration.get(
            "vault_sa_token_path", "/var/run/secrets/kubernetes.io/serviceaccount/token"
        )
        with open(path, encoding="utf-8") as handle:
            jwt = handle.read().strip()
        client.auth.kubernetes.login(
            configuration["vault_sa_role"],
            jwt,
            mount_point=configuration.get("vault_k8s_mount_point", "kubernetes"),
        )
    return client


def _session(url: str) -> Any:
    """A requests session that reads ``.netrc`` by squall's rules, not requests' own."""
    import urllib.parse

    import requests

    class Session(requests.Session):
        def rebuild_auth(self, prepared: Any, response: Any) -> None:
            """Strip credentials on a redirect to another host or down to http, and
            never read ``.netrc`` for the new host (requests does)."""
            leaving = self.should_strip_auth(response.request.url, prepared.url)
            if leaving and "Authorization" in prepared.headers:
                del prepared.headers["Authorization"]

    parts = urllib.parse.urlsplit(url)
    header = None
    if "@" not in parts.netloc:
        from squall.netrc_auth import host_header

        header = host_header(parts.hostname or "")

    def auth(request: Any) -> Any:  # set, so requests itself never reads .netrc
        if header is not None and "Authorization" not in request.headers:
            request.headers["Authorization"] = header
        return request

    session = Session()
    session.auth = auth
    return session


def read_vault_secret(secret: SecretVault, configuration: Mapping[str, Any]) -> Any:
    """The secret payload at ``path`` (or its ``key`` field)."""
    if not secret.path:
        log.warning('a vault secret has no "path"; its value is empty')
        return None
    client = _client(configuration)
    mount = configuration.get("vault_secrets_mount_point", "secret")
    try:
        if str(configuration.get("vault_kv_version", "2")) == "1":
            data = client.secrets.kv.v1.read_secret(path=secret.path, mount_point=mount)["data"]
        else:
            response = client.secrets.kv.v2.read_secret_version(
                path=secret.path,
                mount_point=mount,
                raise_on_deleted_version=True,  # hvac 2's default, said (else it warns)
            )
            data = response["data"]["data"]
    except Exception as exc:
        raise InputError(f"cannot read Vault secret {show_value(secret.path)}: {exc}") from exc
    return data.get(secret.key) if secret.key else data
