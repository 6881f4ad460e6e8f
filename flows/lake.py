"""One raw layer for two engines: gated raw rows as Parquet under <workspace>/lake.

DuckDB keeps its raw tables (the default path stays as fast as before, and the ledger, quarantine
and ops state stay in the one DuckDB file); after the quality gate, the run also writes what
dbt reads to Parquet, which Spark (or any engine) reads as its sources:

    lake/raw/<table>/_batch_id=<batch>/*.parquet   every landed table, partitioned by load batch
    lake/ops/<table>/data.parquet                  the ops state dbt reads back (small)

Why plain Parquet and not Delta/Iceberg: both engines read it with nothing installed, a
partition per load batch makes the export incremental (a batch is written once, rewritten only
when a replaced file removed some of its rows), and the one writer (the run) never races a reader
that needs snapshot isolation: Spark reads the lake only inside the same run.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from flows.config.base import DBT_PROJECT_DIR
from flows.ingest.contract import TABLES

EMPTY_BATCH = "__none__"


@dataclass
class LakeExport:
    tables: int = 0
    batches_written: int = 0
    batches_removed: int = 0
    rows_written: int = 0


def _q(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _batch_dir(root: Path, batch: str) -> Path:
    return root / f"_batch_id={batch}"


def _lake_counts(con: duckdb.DuckDBPyConnection, root: Path) -> dict[str, int]:
    """Rows per batch partition already in the lake (read from Parquet footers only)."""
    counts: dict[str, int] = {}
    for part in root.glob("_batch_id=*"):
        files = sorted(part.glob("*.parquet"))
        if files:
            n = con.execute("select coalesce(sum(num_rows), 0) from parquet_file_metadata(["
                            + ", ".join(_q(f) for f in files) + "])").fetchone()[0]
            counts[part.name.split("=", 1)[1]] = int(n)
    return counts


def export_raw(con: duckdb.DuckDBPyConnection, lake: Path) -> LakeExport:
    """Bring lake/raw in line with the raw tables, batch partition by batch partition."""
    out = LakeExport()
    for name in TABLES:
        exists = con.execute("select count(*) from information_schema.tables where table_schema='raw' "
                             "and table_name=?", [name]).fetchone()[0]
        if not exists:
            continue
        out.tables += 1
        root = lake / "raw" / name
        root.mkdir(parents=True, exist_ok=True)
        have = dict(con.execute(f"select _batch_id, count(*) from raw.{name} group by 1").fetchall())
        want = {b: n for b, n in have.items() if b is not None}
        if not want:  # an empty table still needs its columns for the engine reading the lake
            want = {EMPTY_BATCH: 0}
        lake_counts = _lake_counts(con, root)
        for batch in set(lake_counts) - set(want):
            shutil.rmtree(_batch_dir(root, batch))
            out.batches_removed += 1
        for batch, rows in sorted(want.items()):
            if lake_counts.get(batch) == rows:
                continue
            part = _batch_dir(root, batch)
            shutil.rmtree(part, ignore_errors=True)
            part.mkdir(parents=True)
            where = "false" if batch == EMPTY_BATCH else "_batch_id = " + "'" + batch.replace("'", "''") + "'"
            con.execute(f"copy (select * exclude (_batch_id) from raw.{name} where {where}) "
                        f"to {_q(part / 'data.parquet')} (format parquet, compression zstd)")
            out.batches_written += 1
            out.rows_written += rows
    return out


def ops_sources(project_dir: Path = DBT_PROJECT_DIR) -> list[str]:
    """The ops tables dbt reads back, as the project's one declaration of the ops source names them
    (models/staging/ops/_ops__sources.yml): a table added there reaches the lake with no second list."""
    doc = yaml.safe_load((project_dir / "models" / "staging" / "ops" / "_ops__sources.yml").read_text())
    return [t["name"] for src in doc["sources"] if src["name"] == "ops" for t in src["tables"]]


def export_ops(con: duckdb.DuckDBPyConnection, lake: Path) -> int:
    """Rewrite lake/ops from the ops tables dbt reads (before each build on another engine)."""
    n = 0
    for name in ops_sources():
        exists = con.execute("select count(*) from information_schema.tables where table_schema='ops' "
                             "and table_name=?", [name]).fetchone()[0]
        if not exists:
            continue
        root = lake / "ops" / name
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / "data.parquet.tmp"
        con.execute(f"copy (select * from ops.{name}) to {_q(tmp)} (format parquet)")
        tmp.replace(root / "data.parquet")
        n += 1
    return n
