"""A journal that cannot be written at the end of a run breaks the run on both engines:
the local engine's (``squall run``, tests/cli/test_run_behaviour.py) and the Temporal
client's, which writes the journal the workflow returned (``finish_record``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from squall import run_experiment
from squall.engine.context import NullListener
from squall.journal.store import format_journal

from sqharness import EXAMPLES


class Warnings(NullListener):
    def __init__(self) -> None:
        self.said: list[str] = []

    def warning(self, text: str) -> None:
        self.said.append(text)


def _document(example: str) -> dict[str, Any]:
    journal = run_experiment(EXAMPLES / example)
    document: dict[str, Any] = json.loads(format_journal(journal.to_document()))
    return document


@pytest.mark.parametrize(("example", "before"), [("trivial.json", 0), ("deviated.json", 1)])
def test_the_temporal_client_breaks_a_run_whose_journal_it_cannot_write(
    example: str, before: int
) -> None:
    from squall.temporal.record import finish_record

    document = _document(example)
    assert document["squall"]["exit_code"] == before
    listener = Warnings()
    text = finish_record(document, "/dev/full", None, None, listener)
    assert document["squall"]["outcome"] == "broken"
    assert document["squall"]["exit_code"] == 3
    assert document["squall"]["reasons"][0].startswith("the journal could not be written")
    assert json.loads(text)["squall"]["exit_code"] == 3, "the history gets the same verdict"
    assert any("/dev/full" in said for said in listener.said)


def test_an_interrupted_verdict_stays_when_the_journal_cannot_be_written() -> None:
    from squall.temporal.record import finish_record

    document = _document("trivial.json")
    document["status"] = "interrupted"
    document["squall"].update(outcome="interrupted", exit_code=130, reasons=["SIGINT"])
    finish_record(document, "/dev/full", None, None, Warnings())
    assert document["squall"]["exit_code"] == 130
    assert document["squall"]["reasons"][0] == "SIGINT"
    assert "could not be written" in document["squall"]["reasons"][1]
