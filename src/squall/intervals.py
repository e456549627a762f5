"""How often squall may repeat a check: the hypothesis while the method runs
(``--hypothesis-frequency``, ``runtime.hypothesis.frequency``) and a safeguard probe
(``frequency``). One rule, used by the experiment's parser, the command line and the
built-in safeguards control (which may import no internal module)."""

from __future__ import annotations

__all__ = ["MAX_SECONDS", "MIN_INTERVAL", "interval"]

MAX_SECONDS = 366 * 24 * 3600
"""The longest duration (timeout, pause, delay, interval) squall accepts: a year, far below
what the clocks and ``threading`` can wait for (about 292 years) and far above any run."""

MIN_INTERVAL = 0.01
"""The shortest time between two repeated checks: shorter (0, 1e-300, NaN) is a busy loop
that fills the journal with checks, not a check."""


def interval(value: float) -> float:
    """``value`` when it is a number of seconds from ``MIN_INTERVAL`` to ``MAX_SECONDS``.

    Raises:
        ValueError: with a message naming what is wrong.
    """
    if not MIN_INTERVAL <= value <= MAX_SECONDS:  # NaN fails too
        from squall.show import show_value

        raise ValueError(
            f"the time between checks must be {MIN_INTERVAL:g} to {MAX_SECONDS:,} seconds "
            f"(a year), found {show_value(value, 40)}"
        )
    return value
