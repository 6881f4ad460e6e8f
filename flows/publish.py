"""Publish the read-only analyst copy of the warehouse after a successful run (one writer).

The copy is built next to its final place as `<copy>.tmp-<run id>` and moved over the old one
with os.replace, an atomic rename: a reader opening the copy gets the previous complete run or
the new one, never a half-written file, and a reader who holds the old file keeps reading its
snapshot (the old inode lives on until closed). Readers never open the writer's file, so a
notebook left open overnight cannot block the 06:00 run.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from flows.warehouse import analyst_copy_path, connect

# Column names that are never published, whatever the configuration says.
_SECRET_NAMES = ("token", "secret", "password", "api_key")


@dataclass
class PublishResult:
    path: str
    tables: int = 0
    rows: int = 0
    seconds: float = 0.0
    left_out: list[str] = field(default_factory=list)  # schema.table.column dropped as secret or configured


def _is_secret(column: str) -> bool:
    name = column.lower()
    return any(name == s or name.endswith("_" + s) for s in _SECRET_NAMES)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def publish_analyst_copy(warehouse: Path | str, schemas: list[str], exclude_columns: list[str],
                         run_id: str) -> PublishResult:
    """Copy `schemas` of the warehouse (tables and views, as tables) into the analyst copy, atomically.

    `exclude_columns` are `schema.table.column` names left out (message bodies that carry survey
    links); columns named like a secret (`token`, `*_secret`, ...) are always left out.
    """
    started = time.perf_counter()
    warehouse = Path(warehouse)
    target = analyst_copy_path(warehouse)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.tmp-{run_id}")
    tmp.unlink(missing_ok=True)
    result = PublishResult(str(target))
    excluded = {c.lower() for c in exclude_columns}
    # The run's own kind of connection: DuckDB refuses a read-only one to a file this process
    # (dbt's adapter) already has open read-write.
    con = connect(warehouse)
    try:
        con.execute("attach '" + str(tmp).replace("'", "''") + "' as analyst")
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() and list_contains(?, table_schema) order by 1, 2",
            [schemas]).fetchall()
        for schema in sorted({s for s, _ in relations}):
            con.execute(f"create schema if not exists analyst.{_quote(schema)}")
        for schema, table in relations:
            cols = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_catalog = current_database() "
                "and table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall()]
            keep = []
            for c in cols:
                if f"{schema}.{table}.{c}".lower() in excluded:
                    result.left_out.append(f"{schema}.{table}.{c}")
                elif _is_secret(c):  # never the secret; its hash lets `steward serve` find the row
                    result.left_out.append(f"{schema}.{table}.{c}")
                    keep.append(f"sha256({_quote(c)}) as {_quote(c + '_sha256')}")
                else:
                    keep.append(_quote(c))
            if not keep:
                continue
            con.execute(f"create table analyst.{_quote(schema)}.{_quote(table)} as "
                        f"select {', '.join(keep)} from {_quote(schema)}.{_quote(table)}")
            result.tables += 1
            result.rows += con.execute(
                f"select count(*) from analyst.{_quote(schema)}.{_quote(table)}").fetchone()[0]
        con.execute("detach analyst")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, target)  # atomic on one filesystem: readers see the old copy or the new one
    result.seconds = time.perf_counter() - started
    return result
