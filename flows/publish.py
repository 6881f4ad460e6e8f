"""Publish the read-only analyst copy of the warehouse after a successful run (one writer).

The copy is built next to its final place as `<copy>.tmp-<run id>` and moved over the old one
with os.replace, an atomic rename: a reader opening the copy gets the previous complete run or
the new one, never a half-written file, and a reader who holds the old file keeps reading its
snapshot (the old inode lives on until closed). Readers never open the writer's file, so a
notebook left open overnight cannot block the 06:00 run.

A daily run usually changes a few tables (a day with nothing new: its own ops.runs row). Then the
temporary file starts as a byte copy of the previous analyst copy and only the tables whose
content changed are replaced in it before the same atomic rename (`dbt_relations` given):
- dbt tables are replaced when dbt built them since the last publish (`dbt_changed`; None: all);
- every other table (ops state, scores, backtests: written by Python) when its row count or row
  hash differs from the copy's;
- a dbt view when it or a dbt table it reads was built since (one reading a source: always);
- other views always;
- a table whose published columns changed (config's exclude_columns, a new column) is replaced,
  and a table gone from the warehouse is dropped from the copy.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from flows.warehouse import analyst_copy_path, connect, quote_ident

# Column names that are never published, whatever the configuration says.
_SECRET_NAMES = ("token", "secret", "password", "api_key")


@dataclass
class PublishResult:
    path: str
    tables: int = 0  # tables written into the copy this run
    rows: int = 0
    seconds: float = 0.0
    left_out: list[str] = field(default_factory=list)  # schema.table.column dropped as secret or configured
    mode: str = "full"  # full: every table copied; changed: the previous copy kept, changed tables replaced
    unchanged: int = 0  # tables kept as the previous copy had them
    dropped: int = 0  # tables no longer in the warehouse, dropped from the copy


def _is_secret(column: str) -> bool:
    name = column.lower()
    return any(name == s or name.endswith("_" + s) for s in _SECRET_NAMES)


_DBT_BUILT = ("model", "seed", "snapshot")


def _dbt_nodes(manifest_path: Path) -> dict[str, dict]:
    """The manifest's nodes that dbt builds into a relation (models, seeds, snapshots)."""
    m = json.loads(Path(manifest_path).read_text())
    return {uid: n for uid, n in m["nodes"].items() if n["resource_type"] in _DBT_BUILT}


def _relation(node: dict) -> tuple[str, str]:
    return (node["schema"], node.get("alias") or node["name"])


def dbt_tables(manifest_path: Path) -> set[tuple[str, str]]:
    """(schema, name) of every relation dbt builds (models, seeds, snapshots), from its manifest."""
    return {_relation(n) for n in _dbt_nodes(manifest_path).values()}


def dbt_view_inputs(manifest_path: Path) -> dict[tuple[str, str], set[tuple[str, str]] | None]:
    """For each dbt view: the dbt tables it reads, through other views; None when it reads a
    source (raw or ops rows change without dbt), so its rows may change whenever the run writes."""
    nodes = _dbt_nodes(manifest_path)

    def inputs(uid: str, seen: set) -> set | None:
        out: set = set()
        for parent in nodes[uid]["depends_on"]["nodes"]:
            if parent not in nodes:
                return None  # a source (or anything dbt does not build)
            p = nodes[parent]
            if p["config"].get("materialized") in ("view", "ephemeral") and parent not in seen:
                up = inputs(parent, seen | {parent})
                if up is None:
                    return None
                out |= up | {_relation(p)}
            else:
                out.add(_relation(p))
        return out

    return {_relation(n): inputs(uid, {uid}) for uid, n in nodes.items() if n["config"].get("materialized") == "view"}


def built_tables(run_results_path: Path, manifest_path: Path) -> set[tuple[str, str]]:
    """(schema, name) of the models and seeds one dbt invocation wrote (its run_results.json)."""
    done = {r["unique_id"] for r in json.loads(Path(run_results_path).read_text())["results"]
            if r["status"] == "success"}
    return {_relation(n) for uid, n in _dbt_nodes(manifest_path).items() if uid in done}


def _projection(schema: str, table: str, cols: list[str], excluded: set[str],
                left_out: list[str]) -> tuple[list[str], list[str]]:
    """The published expressions of a table and the column names they have in the copy."""
    keep, names = [], []
    for c in cols:
        if f"{schema}.{table}.{c}".lower() in excluded:
            left_out.append(f"{schema}.{table}.{c}")
        elif _is_secret(c):  # never the secret; its hash lets `steward serve` find the row
            left_out.append(f"{schema}.{table}.{c}")
            keep.append(f"sha256({quote_ident(c)})")
            names.append(c + "_sha256")
        else:
            keep.append(quote_ident(c))
            names.append(c)
    return keep, names


def _columns(con: duckdb.DuckDBPyConnection, catalog: str | None, schemas: list[str]) -> dict:
    """{(schema, table): (table_type, [columns])} of one catalog, in one query."""
    where = "table_catalog = current_database()" if catalog is None else f"table_catalog = '{catalog}'"
    types = dict(((s, t), k) for s, t, k in con.execute(
        f"select table_schema, table_name, table_type from information_schema.tables where {where} "
        "and list_contains(?, table_schema)", [schemas]).fetchall())
    out: dict = {rel: (kind, []) for rel, kind in types.items()}
    for s, t, c in con.execute(
            f"select table_schema, table_name, column_name from information_schema.columns where {where} "
            "and list_contains(?, table_schema) order by table_schema, table_name, ordinal_position",
            [schemas]).fetchall():
        if (s, t) in out:
            out[(s, t)][1].append(c)
    return out


def _same_rows(con: duckdb.DuckDBPyConnection, schema: str, table: str, keep: list[str], names: list[str]) -> bool:
    """Row count and an order-free row hash equal in the warehouse and the copy."""
    mine = con.execute(f"select count(*), sum(hash({', '.join(keep)})) from {quote_ident(schema)}.{quote_ident(table)}"
                       ).fetchone()
    theirs = con.execute(f"select count(*), sum(hash({', '.join(quote_ident(n) for n in names)})) "
                         f"from analyst.{quote_ident(schema)}.{quote_ident(table)}").fetchone()
    return mine == theirs


def publish_analyst_copy(warehouse: Path | str, schemas: list[str], exclude_columns: list[str],
                         run_id: str, dbt_relations: set[tuple[str, str]] | None = None,
                         dbt_changed: set[tuple[str, str]] | None = None,
                         dbt_views: dict[tuple[str, str], set[tuple[str, str]] | None] | None = None) -> PublishResult:
    """Copy `schemas` of the warehouse (tables and views, as tables) into the analyst copy, atomically.

    `exclude_columns` are `schema.table.column` names left out (message bodies that carry survey
    links); columns named like a secret (`token`, `*_secret`, ...) are always left out. With
    `dbt_relations` (and a previous copy) only what changed is replaced (module docstring).
    """
    started = time.perf_counter()
    warehouse = Path(warehouse)
    target = analyst_copy_path(warehouse)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.tmp-{run_id}")
    tmp.unlink(missing_ok=True)
    result = PublishResult(str(target))
    excluded = {c.lower() for c in exclude_columns}
    incremental = dbt_relations is not None and target.exists()
    if incremental:
        shutil.copyfile(target, tmp)  # a byte copy: far cheaper than rewriting every table
        result.mode = "changed"
    # The run's own kind of connection: DuckDB refuses a read-only one to a file this process
    # (dbt's adapter) already has open read-write.
    con = connect(warehouse)
    try:
        con.execute("attach '" + str(tmp).replace("'", "''") + "' as analyst")
        mine = _columns(con, None, schemas)
        theirs = _columns(con, "analyst", schemas) if incremental else {}
        for schema in sorted({s for s, _ in mine}):
            con.execute(f"create schema if not exists analyst.{quote_ident(schema)}")
        for (schema, table) in sorted(set(theirs) - set(mine)):  # gone from the warehouse (or no longer published)
            con.execute(f"drop {'view' if theirs[(schema, table)][0] == 'VIEW' else 'table'} "
                        f"analyst.{quote_ident(schema)}.{quote_ident(table)}")
            result.dropped += 1
        for (schema, table), (kind, cols) in sorted(mine.items()):
            keep, names = _projection(schema, table, cols, excluded, result.left_out)
            if not keep:
                continue
            old = theirs.get((schema, table))
            if old is not None and old[0] != "VIEW" and old[1] == names:
                if kind == "VIEW":  # a dbt view over dbt tables none of which changed (nor the view)
                    reads = (dbt_views or {}).get((schema, table))
                    unchanged = (dbt_changed is not None and reads is not None
                                 and not (reads | {(schema, table)}) & dbt_changed)
                elif (schema, table) in (dbt_relations or set()):
                    unchanged = dbt_changed is not None and (schema, table) not in dbt_changed
                else:
                    unchanged = _same_rows(con, schema, table, keep, names)
                if unchanged:
                    result.unchanged += 1
                    continue
            select = ", ".join(e if e == quote_ident(n) else f"{e} as {quote_ident(n)}" for e, n in zip(keep, names))
            con.execute(f"create or replace table analyst.{quote_ident(schema)}.{quote_ident(table)} as "
                        f"select {select} from {quote_ident(schema)}.{quote_ident(table)}")
            result.tables += 1
            result.rows += con.execute(
                f"select count(*) from analyst.{quote_ident(schema)}.{quote_ident(table)}").fetchone()[0]
        con.execute("detach analyst")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, target)  # atomic on one filesystem: readers see the old copy or the new one
    result.seconds = time.perf_counter() - started
    return result
