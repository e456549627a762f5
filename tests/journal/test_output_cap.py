"""The per-activity output limit: what the journal keeps of a large output."""

from __future__ import annotations

import pytest

from squall.journal.limits import DEFAULT_MAX_OUTPUT, cap_output, parse_size
from squall.masking import MASK, register_secrets


def test_sizes() -> None:
    assert parse_size("1MiB") == DEFAULT_MAX_OUTPUT == 1048576
    assert parse_size("512k") == parse_size("512 KiB") == 524288
    assert parse_size(4096) == parse_size("4096") == 4096
    assert parse_size("2GB") == 2 << 30
    for unlimited in ("unlimited", "none", 0, "0"):
        assert parse_size(unlimited) is None
    for bad in ("lots", "1.5MiB", "-3", True, "12 parsecs"):
        with pytest.raises(ValueError, match="not a size"):
            parse_size(bad)


def test_an_output_within_the_limit_is_kept_whole() -> None:
    output = {"status": 0, "stdout": "x" * 100, "stderr": ""}
    kept, note = cap_output(output, 1000)
    assert kept is output and note is None


def test_short_texts_are_kept_whole_and_the_longest_cut_and_marked() -> None:
    output = {"status": 1, "stdout": "o" * 100_000, "stderr": "the error\n"}
    kept, note = cap_output(output, 1000)
    assert kept["stderr"] == "the error\n" and kept["status"] == 1
    stdout = kept["stdout"]
    assert stdout.startswith("o" * 900)
    assert stdout.endswith("characters not recorded]")
    assert "of 100000 characters" in stdout
    assert len(stdout) < 1100
    # texts (values and keys), 8 per item and per number
    assert note == {"limit": 1000, "size": 100_000 + 10 + 18 + 3 * 8 + 8}


def test_bytes_and_lists_are_cut_too() -> None:
    kept, note = cap_output([b"b" * 5000, "s" * 5000], 1000)
    assert note is not None
    assert all(len(text) < 700 for text in kept)


def test_an_output_of_many_small_items_keeps_the_start_of_its_text() -> None:
    kept, note = cap_output(list(range(100_000)), 1000)
    assert isinstance(kept, str) and kept.startswith("[0, 1, 2")
    assert note is not None and note["kept"] == "text"
    assert len(kept) < 1100


def test_a_secret_cut_in_two_by_the_limit_shows_no_part_of_it() -> None:
    register_secrets(["limit-canary-0123456789"])
    text = "a" * 980 + "limit-canary-0123456789" + "b" * 5000  # cut inside the secret
    kept, _ = cap_output({"stdout": text}, 1000)
    assert "limit-" not in kept["stdout"] and "limit" not in kept["stdout"]
    assert kept["stdout"].startswith("a" * 980 + MASK + "[...")
    whole, note = cap_output({"stdout": "x limit-canary-0123456789 y"}, 1000)
    assert whole == {"stdout": f"x {MASK} y"} and note == {"masked": True}
