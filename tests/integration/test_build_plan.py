"""A daily run builds what changed (flows/build_plan.py), on copies of the shared generated workspace.

The day after the generated as_of lands nothing: the usage models are skipped, yet every mart
table equals a full build for that as_of. The same day again builds nothing at all.
"""

import json
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from tests.conftest import GENERATED_AS_OF, make_config

pytestmark = pytest.mark.integration

NEXT = GENERATED_AS_OF + timedelta(days=1)
CUTOFF_MODELS = {"int_usage__user_feature_daily", "int_usage__user_daily", "fct_usage_daily"}


def _copy(src, dest):
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("*.lock", "run.lock"))
    return make_config(dest)


def _tables(con, catalog):
    return sorted(con.execute(
        "select table_schema, table_name from information_schema.tables where table_catalog = ? "
        "and table_type = 'BASE TABLE' and table_schema in ('marts', 'actions', 'intermediate')",
        [catalog]).fetchall())


@pytest.fixture(scope="module")
def next_day(generated_workspace, tmp_path_factory, prefect_harness):
    """A: the daily run of the next day (selective); B: a full-refresh build of that day, from the
    same state (copied before A ran)."""
    from flows.daily_run import run_pipeline
    from flows.transform import dbt_build

    root = tmp_path_factory.mktemp("plan")
    a, b = _copy(generated_workspace, root / "a"), _copy(generated_workspace, root / "b")
    summary = run_pipeline(a, NEXT)
    executed = {r["unique_id"].split(".")[-1] for r in
                json.loads((a.paths.dbt_target / "run_results.json").read_text())["results"]}
    full = dbt_build(b, NEXT, full_refresh=True)
    return a, b, summary, executed, full


def test_manifest_knows_every_model_that_reads_as_of(generated_workspace):
    """Independently of the macro graph: a model whose compiled SQL holds the as_of date literal
    is an as_of model (or an as_of_cutoff one), and only the usage models are cutoff ones."""
    from flows.build_plan import manifest_graph

    target = make_config(generated_workspace).paths.dbt_target
    graph = manifest_graph(target / "manifest.json")
    known = set(graph["as_of"]) | set(graph["cutoff"])
    models = {n["name"] for n in json.loads((target / "manifest.json").read_text())["nodes"].values()
              if n["resource_type"] == "model"}
    compiled = {p.stem: p.read_text() for p in (target / "compiled").rglob("*.sql") if p.stem in models}
    literal = f"'{GENERATED_AS_OF.isoformat()}'"
    with_date = {name for name, sql in compiled.items() if literal in sql}
    assert len(compiled) >= 60 and len(with_date) >= 30
    assert with_date - known == set()
    assert set(graph["cutoff"]) == CUTOFF_MODELS
    assert "int_health__account_days" in known  # reads as_of only through macros


def test_a_day_without_new_usage_skips_the_usage_models(next_day):
    a, _, summary, executed, full = next_day
    assert summary.status == "succeeded"
    assert summary.dbt["mode"] == "changed"
    assert any("as_of moved" in line for line in summary.dbt["because"])
    assert any("int_usage__user_feature_daily" in line and "no usage events" in line for line in summary.dbt["skipped"])
    assert executed & CUTOFF_MODELS == set()
    assert "fct_account_health_daily" in executed and "fct_mrr" in executed
    assert 0 < summary.models_built < full.models
    assert summary.dbt["models_skipped"] == full.models - summary.models_built
    with duckdb.connect(str(a.path("warehouse")), read_only=True) as con:
        assert con.execute("select max(as_of) from ops.dbt_builds").fetchone()[0] == NEXT


def test_the_marts_equal_a_full_build_of_that_day(next_day):
    a, b, *_ = next_day
    # dbt's adapter in this process may still hold B's file open: compare against a copy of it
    full_copy = b.path("workspace") / "full_build.duckdb"
    for suffix in ("", ".wal"):
        if Path(f"{b.path('warehouse')}{suffix}").exists():
            shutil.copy(f"{b.path('warehouse')}{suffix}", f"{full_copy}{suffix}")
    with duckdb.connect(str(a.path("warehouse")), read_only=True) as con:
        con.execute(f"attach '{full_copy}' as full_build (read_only)")
        mine, theirs = _tables(con, "warehouse"), _tables(con, "full_build")
        assert mine == theirs and len(mine) >= 35  # alert rules are views since issue 21
        rows = 0
        for schema, table in mine:
            # floating-point sums and averages may differ in the last bits with the order of the rows
            cols = ", ".join(f'round("{c}", 9)' if t in ("DOUBLE", "FLOAT") else f'"{c}"' for c, t in con.execute(
                "select column_name, data_type from information_schema.columns where table_catalog = 'warehouse' "
                "and table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall())
            a_rel, b_rel = f'warehouse."{schema}"."{table}"', f'full_build."{schema}"."{table}"'
            diff = con.execute(f"select count(*) from ((select {cols} from {a_rel} except all select {cols} from {b_rel})"
                               f" union all (select {cols} from {b_rel} except all select {cols} from {a_rel}))"
                               ).fetchone()[0]
            assert diff == 0, f"{schema}.{table} differs from a full build in {diff} row(s)"
            rows += con.execute(f"select count(*) from {a_rel}").fetchone()[0]
        assert rows > 10_000


def _assert_copy_equals_warehouse(cfg) -> int:
    """Every table of the analyst copy holds exactly the warehouse's rows (published columns)."""
    from flows.warehouse import analyst_copy_path, connect

    tables = 0
    with connect(cfg.path("warehouse")) as con:  # the run's kind: dbt's adapter in this process may hold the file
        con.execute(f"attach '{analyst_copy_path(cfg.path('warehouse'))}' as copy (read_only)")
        published = con.execute("select table_schema, table_name from information_schema.tables "
                                "where table_catalog = 'copy'").fetchall()
        assert {s for s, _ in published} >= {"marts", "ops"}
        for schema, table in published:
            cols = [f'"{c}"' for (c,) in con.execute(
                "select column_name from information_schema.columns where table_catalog = 'copy' and table_schema = ? "
                "and table_name = ? and column_name not like '%_sha256' order by ordinal_position",
                [schema, table]).fetchall()]
            if (schema, table) == ("ops", "runs"):  # the run's own row gets its finish time after publishing
                cols = ["run_id", "as_of", "status"]
            a_rel, b_rel = f'warehouse."{schema}"."{table}"', f'copy."{schema}"."{table}"'
            cols_sql = ", ".join(cols)
            diff = con.execute(f"select count(*) from ((select {cols_sql} from {a_rel} except all "
                               f"select {cols_sql} from {b_rel}) union all (select {cols_sql} from {b_rel} "
                               f"except all select {cols_sql} from {a_rel}))").fetchone()[0]
            assert diff == 0, f"analyst copy of {schema}.{table} differs from the warehouse in {diff} row(s)"
            tables += 1
    return tables


def test_the_next_day_publishes_what_it_built_and_the_copy_equals_the_warehouse(next_day):
    a, _, summary, *_ = next_day
    assert summary.published["mode"] == "changed"
    assert summary.published["tables"] > 0 and summary.published["unchanged"] > 0
    assert _assert_copy_equals_warehouse(a) == summary.published["tables"] + summary.published["unchanged"]


def test_the_same_day_again_builds_nothing(next_day):
    from flows.daily_run import run_pipeline

    a, *_ = next_day
    again = run_pipeline(a, NEXT)
    assert again.status == "succeeded"
    assert again.dbt["mode"] == "skipped" and again.models_built == 0
    assert any("nothing changed" in line for line in again.dbt["skipped"])
    # nothing new: no file read, no gate, only the tables the run itself wrote are published
    assert sum(again.rows_loaded.values()) == 0
    assert again.files_not_reread == again.files_skipped > 10
    assert again.quality["skipped"] and "quality gate: no rows loaded" in again.skipped
    pub = again.published
    assert pub["mode"] == "changed" and 0 < pub["tables"] < 15 < pub["unchanged"]
    _assert_copy_equals_warehouse(a)


def test_a_file_with_new_content_is_loaded_and_published(next_day):
    from flows.daily_run import run_pipeline
    from flows.warehouse import connect

    a, *_ = next_day
    touch = next(a.path("landing").rglob("touchpoints.csv"))
    header, first = touch.read_text().splitlines()[:2]
    account = first.split(",")[header.split(",").index("account_id")]
    with touch.open("a") as fh:  # a new touchpoint: the file grows, so size and mtime change
        fh.write(",".join({"touchpoint_id": "TNEW1", "account_id": account, "user_id": "U001",
                           "occurred_at": f"{NEXT} 09:00:00", "channel": "call", "sentiment": "0.5"}.get(c, "")
                          for c in header.split(",")) + "\n")
    run = run_pipeline(a, NEXT)
    assert run.status == "succeeded" and run.rows_loaded.get("touchpoints", 0) > 0
    # of the ops state dbt reads, only the load ledger moved (this load): what reads only the other
    # ops sources (alerts, playbook runs, assignments) is not rebuilt
    ops_lines = [line for line in run.dbt["because"] if line.startswith("ops state changed")]
    assert ops_lines == ["ops state changed since the last run (ops.load_ledger)"], run.dbt["because"]
    executed = {r["unique_id"].split(".")[-1] for r in
                json.loads((a.paths.dbt_target / "run_results.json").read_text())["results"]}
    assert "fct_touchpoints" in executed
    assert executed & {"stg_ops__alerts", "stg_ops__playbook_runs", "stg_ops__assignments", "rpt_playbook_progress"} == set()
    assert run.files_not_reread == run.files_skipped and not run.quality.get("skipped")
    assert run.models_built > 0 and run.published["mode"] == "changed"
    _assert_copy_equals_warehouse(a)
    with connect(a.path("warehouse")) as con:
        assert con.execute("select count(*) from marts.fct_touchpoints where touchpoint_id = 'TNEW1'").fetchone()[0] == 1
