"""The one rule for a yes/no given as text: ``--var x:bool=...``, an ``env`` source's
``env_var_type: bool``, ``$SQUALL_TEMPORAL_TLS``, ``squall init``'s answers.

Accepted, in any case and with spaces around ignored: ``true``, ``yes``, ``y``, ``on``,
``1`` and ``false``, ``no``, ``n``, ``off``, ``0``. Anything else is refused rather than
guessed: ``maybe``, an empty value or a misspelt ``ture`` would otherwise silently choose
one side (the Chaos Toolkit reads anything but ``false``/``0``/``no`` as true).
"""

from __future__ import annotations

__all__ = ["FALSE_WORDS", "TRUE_WORDS", "WORDS", "parse_bool"]

TRUE_WORDS = ("true", "yes", "y", "on", "1")
FALSE_WORDS = ("false", "no", "n", "off", "0")
#: the accepted spellings, as messages list them
WORDS = "true/false, yes/no, y/n, on/off or 1/0"


def parse_bool(text: str) -> bool:
    """``text`` read as a yes/no.

    Raises:
        ValueError: not one of the accepted spellings; the message shows the value in
            JSON's spelling and lists the accepted ones.
    """
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    from squall.show import show_value

    raise ValueError(f"{show_value(text, 60)} is not a boolean (use {WORDS})")
