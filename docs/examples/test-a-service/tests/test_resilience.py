"""The shop's resilience tests: one experiment, run against the real service."""

from pathlib import Path
from typing import Any

EXPERIMENT = Path(__file__).resolve().parent.parent / "experiments" / "prices-down.yaml"


def test_the_shop_quotes_while_prices_is_down(
    squall_run: Any, shop: dict[str, Any], journal_path: Path
) -> None:
    result = squall_run(EXPERIMENT, configuration=shop, journal_path=journal_path)
    result.assert_held().assert_succeeded("pause-prices").assert_rolled_back("resume-prices")
    # the answer after the fault came from the cache
    assert result.output("quote-answers", "after")["body"]["stale"] is True


def test_without_its_cache_the_shop_fails(
    squall_run: Any, shop_without_cache: dict[str, Any], journal_path: Path
) -> None:
    """The experiment finds the weakness: a deviation, and the rollback still ran."""
    result = squall_run(EXPERIMENT, configuration=shop_without_cache, journal_path=journal_path)
    result.assert_deviated().assert_rolled_back("resume-prices")
    assert result.data["squall"]["reasons"] == [
        'the steady state deviated after the method: probe "quote-answers": expected 200, got 503'
    ]
