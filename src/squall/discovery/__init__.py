"""Driver discovery: ``squall discover``, ``squall drivers`` and ``squall init``.

Imported only by those commands (never at CLI start).
"""
