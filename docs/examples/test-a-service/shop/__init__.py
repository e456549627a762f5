"""The shop: a small web service and the dependency it can lose (standard library only)."""
