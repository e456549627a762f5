"""INPUT: the experiment document, from text to typed model (no user code is imported here)."""

from squall.experiment.load import Document, load_source, parse_text, read_text
from squall.experiment.parse import parse_experiment

__all__ = ["Document", "load_source", "parse_experiment", "parse_text", "read_text"]
