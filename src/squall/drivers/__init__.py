"""squall's own drivers; they use only the public ``squall`` API, as a third party would."""
