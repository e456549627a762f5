"""Security drivers: TLS, HTTP headers, authentication, ports, secrets, permissions,
dependencies, detection and alerting.

Probes (they observe; each returns facts plus ``ok`` and ``problems``):

- ``tls``: ``tls_certificate``
- ``tls_policy``: ``tls_protocols``, ``tls_ciphers``
- ``http``: ``http_security_headers``, ``cors_policy``
- ``auth``: ``auth_enforced``, ``rate_limit_enforced``
- ``ports``: ``listening_ports``
- ``secrets``: ``exposed_secrets``
- ``permissions``: ``file_permissions``
- ``dependencies``: ``vulnerable_dependencies``
- ``detection``: ``agent_alive``, ``alert_observed``, ``audit_log_present``

Actions (they inject faults, each with its rollback) live in the ``actions_*`` modules.
Nothing is imported here, so importing one module stays cheap.
"""
