"""Landing files into DuckDB schema `raw` through a load ledger."""
