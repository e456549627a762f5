"""Network fault drivers (a fault-injecting TCP proxy on loopback)."""
