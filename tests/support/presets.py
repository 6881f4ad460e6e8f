"""Helpers shared by the vendor-preset end-to-end tests: a steward.yml selecting presets, and a
read-only query of the workspace's warehouse after a `steward run` subprocess."""

from __future__ import annotations

from pathlib import Path

import duckdb
import yaml

from tests.conftest import REPO


def preset_config(path: Path, sources: dict) -> Path:
    """The shipped steward.yml with `sources:` set to these presets, written to `path`."""
    raw = yaml.safe_load((REPO / "steward.yml").read_text())
    raw["sources"] = dict(sources)
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def query(ws: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()
