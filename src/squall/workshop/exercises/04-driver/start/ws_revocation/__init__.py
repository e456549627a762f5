"""Workshop driver: revoke a leaked token, and check that the API refuses it."""
