"""`steward bench`: the pipeline timed per stage against a DuckDB floor and a pandas peer."""
