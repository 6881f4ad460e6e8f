"""Reading a test's warehouse: one helper instead of a `q(cfg, sql)` in every module.

`target` is a Config (its warehouse path), a workspace directory (its warehouse.duckdb) or the
DuckDB file itself. Each call opens and closes its own connection, so a test never holds the file
while the next run writes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd


def warehouse_path(target: Any) -> Path:
    if hasattr(target, "path"):
        return Path(target.path("warehouse"))
    target = Path(target)
    return target / "warehouse.duckdb" if target.is_dir() else target


def rows(target: Any, sql: str, params: list | None = None, read_only: bool = False) -> list[tuple]:
    with duckdb.connect(str(warehouse_path(target)), read_only=read_only) as con:
        return con.execute(sql, params or []).fetchall()


def frame(target: Any, sql: str, params: list | None = None, read_only: bool = False) -> pd.DataFrame:
    with duckdb.connect(str(warehouse_path(target)), read_only=read_only) as con:
        return con.execute(sql, params or []).df()
