"""My first squall driver: probes observe, actions change things (and are undone)."""
