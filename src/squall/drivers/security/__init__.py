"""Security drivers: TLS, HTTP headers, authentication, ports, secrets, permissions,
dependencies, detection and alerting."""
