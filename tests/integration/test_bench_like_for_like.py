"""The bench compares like with like: floor (DuckDB SQL) = peer (pandas) = dbt, table by table, row for row."""

from __future__ import annotations

import duckdb
import pytest

from flows.bench.floor import OUTPUTS, run_floor
from flows.bench.peer import peer_tables
from flows.bench.stage import AS_OF as BENCH_AS_OF
from tests.conftest import GENERATED_AS_OF

TABLES = [table for table, _ in OUTPUTS.values()]


def _typed(con: duckdb.DuckDBPyConnection, relation: str, columns: list[tuple[str, str]]) -> str:
    """The relation in dbt's column types; doubles rounded (sums may add in another order)."""
    def expr(name: str, kind: str) -> str:
        if kind == "DOUBLE":
            return f"round(cast({name} as double), 9) as {name}"
        return f"cast({name} as {kind}) as {name}"

    return f"select {', '.join(expr(n, k) for n, k in columns)} from {relation}"


def differences(con: duckdb.DuckDBPyConnection, table: str, other: str) -> tuple[int, int, list]:
    """Rows only in dbt's marts.<table>, rows only in `other`, and a few examples."""
    columns = [(n, t) for n, t in con.execute(
        "select column_name, data_type from information_schema.columns where table_catalog = 'dbt' "
        "and table_schema = 'marts' and table_name = ? order by ordinal_position", [table]).fetchall()
        if not n.startswith("_")]  # dbt's incremental bookkeeping, nothing a one-shot build has
    assert columns, f"dbt built no marts.{table}"
    ours, theirs = _typed(con, f"dbt.marts.{table}", columns), _typed(con, other, columns)
    only_dbt = con.execute(f"select * from ({ours} except all {theirs}) limit 3").fetchall()
    only_other = con.execute(f"select * from ({theirs} except all {ours}) limit 3").fetchall()
    n_dbt = con.execute(f"select count(*) from ({ours} except all {theirs})").fetchone()[0]
    n_other = con.execute(f"select count(*) from ({theirs} except all {ours})").fetchone()[0]
    return n_dbt, n_other, only_dbt + only_other


@pytest.fixture(scope="module")
def tier_s(prefect_harness, tmp_path_factory):
    """The bench's own tier S dataset (1k accounts, 1.1M events) up to dbt core, stage by stage as
    `steward bench` runs them: the ratios it reports are about these tables."""
    from prefect.settings import PREFECT_API_URL

    from flows.bench.run import run_stage, stage_env

    ws = tmp_path_factory.mktemp("tier") / "S"
    env = stage_env(PREFECT_API_URL.value())
    for stage in ("generate", "ingest", "gate", "dbt_core"):
        result = run_stage(stage, ws, "S", env)
        assert result.ok, (stage, result.detail)
    return ws


@pytest.fixture(scope="module", params=["generated", "tier_s"])
def compared(request, tmp_path_factory):
    """dbt's marts (the session's generated run, or the bench's tier S), the floor's database and
    the peer's frames, in one connection."""
    assert BENCH_AS_OF == GENERATED_AS_OF
    con = duckdb.connect()
    if request.param == "generated":  # the analyst copy: every relation a table
        ws = request.getfixturevalue("generated_workspace")
        con.execute(f"attach '{ws / 'analyst' / 'warehouse.duckdb'}' as dbt (read_only)")
    else:  # the warehouse itself: dbt's views name their catalog after the file, so attach it so and copy
        ws = request.getfixturevalue("tier_s")
        con.execute(f"attach '{ws / 'warehouse.duckdb'}' as warehouse (read_only)")
        con.execute("attach ':memory:' as dbt")
        con.execute("create schema dbt.marts")
        for table in TABLES:
            con.execute(f"create table dbt.marts.{table} as select * from warehouse.marts.{table}")
    floor_db = tmp_path_factory.mktemp("floor") / "floor.duckdb"
    floor = run_floor(ws / "landing", GENERATED_AS_OF, floor_db)
    frames = peer_tables(ws / "landing", GENERATED_AS_OF)
    con.execute(f"attach '{floor_db}' as floor (read_only)")
    for name, frame in frames.items():
        con.register(f"peer_{name}", frame)
    yield con, floor
    con.close()


@pytest.mark.parametrize("table", TABLES)
def test_floor_equals_dbt(compared, table):
    con, _ = compared
    assert differences(con, table, f"floor.main.{table}") == (0, 0, [])


@pytest.mark.parametrize("table", TABLES)
def test_peer_equals_dbt(compared, table):
    con, _ = compared
    assert differences(con, table, f"peer_{table}") == (0, 0, [])


def test_the_tables_are_not_trivial(compared):
    """Equal empty tables would prove nothing: rows, known and unknown usage measures, all three kinds."""
    con, floor = compared
    assert floor["mrr_rows"] > 1000 and floor["usage_daily_rows"] > 10_000 and floor["account_usage_daily_rows"] > 10_000
    nulls, known, trend = con.execute(
        "select count(*) filter (where active_users_7d is null), count(*) filter (where utilisation is not null), "
        "count(*) filter (where usage_trend is not null) from floor.main.fct_account_usage_daily").fetchone()
    assert nulls > 0 and known > 0 and trend > 0
    assert con.execute("select count(distinct movement) from floor.main.fct_mrr").fetchone()[0] >= 4
