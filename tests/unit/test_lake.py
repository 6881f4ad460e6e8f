"""The Parquet lake (flows/lake.py): raw rows per load batch, kept in line with the raw tables."""

from __future__ import annotations

import duckdb

from flows.lake import EMPTY_BATCH, export_ops, export_raw
from flows.warehouse import migrate


def _lake_rows(con, path) -> list[tuple]:
    return sorted(con.execute(
        f"select account_id, _batch_id from read_parquet('{path}/*/*.parquet', hive_partitioning = true)").fetchall())


def test_raw_export_follows_batches_replacements_and_removals(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    migrate(con)
    con.execute("create table raw.accounts (account_id varchar, name varchar, _batch_id varchar, "
                "_source_file varchar, _source_row bigint, _loaded_at timestamp)")
    con.execute("insert into raw.accounts values ('a1', 'A', 'b1', 'f1', 1, '2026-01-01'), "
                "('a2', 'B', 'b1', 'f1', 2, '2026-01-01'), ('a3', 'C', 'b2', 'f2', 1, '2026-01-02')")
    lake = tmp_path / "lake"

    first = export_raw(con, lake)
    root = lake / "raw" / "accounts"
    assert sorted(p.name for p in root.iterdir()) == ["_batch_id=b1", "_batch_id=b2"]
    assert _lake_rows(con, root) == [("a1", "b1"), ("a2", "b1"), ("a3", "b2")]
    assert first.rows_written == 3

    again = export_raw(con, lake)  # nothing changed: nothing rewritten
    assert again.batches_written == 0 and again.batches_removed == 0

    # a new version of f1 replaced one of batch b1's rows; batch b2's file was withdrawn
    con.execute("delete from raw.accounts where account_id in ('a2', 'a3')")
    changed = export_raw(con, lake)
    assert (changed.batches_written, changed.batches_removed) == (1, 1)
    assert _lake_rows(con, root) == [("a1", "b1")]

    # an empty table still gives its columns to the engine reading the lake
    con.execute("delete from raw.accounts")
    export_raw(con, lake)
    assert [p.name for p in root.iterdir()] == [f"_batch_id={EMPTY_BATCH}"]
    cols = [r[0] for r in con.execute(f"describe select * from read_parquet('{root}/*/*.parquet')").fetchall()]
    assert cols == ["account_id", "name", "_source_file", "_source_row", "_loaded_at", "_batch_id"]


def test_ops_export_rewrites_each_table(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    migrate(con)
    n = export_ops(con, tmp_path / "lake")
    assert n >= 5
    assert con.execute(f"select count(*) from read_parquet('{tmp_path}/lake/ops/alerts/data.parquet')").fetchone() == (0,)
