"""dbt on Apache Spark (`dbt.engine: spark`), with DuckDB kept as the control plane.

Before the build, the gated raw rows and the ops state dbt reads go to the workspace's Parquet
lake (flows/lake.py), which the spark target reads as its sources. After the build, every table
that build wrote (Parquet under <workspace>/spark/warehouse) is copied into the DuckDB warehouse under
the same schema and name, and so are the few views the Python side queries: reconcilers, reports,
model scoring and the analyst copy then run unchanged.

    landing ─ingest─▶ raw (DuckDB) ─gate─▶ lake/ (Parquet) ─▶ dbt on Spark ─▶ spark/warehouse (Parquet)
                        ledger, quarantine, ops ◀──────── marts copied back ◀───────┘
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable

import duckdb

from flows.lake import export_ops, export_raw
from flows.publish import built_tables
from flows.warehouse import quote_ident

# Views (in Spark) that the Python side reads by name, besides every view in marts and actions
# (fct_account_usage_daily, fct_survey_invitations, ...); tables are copied back wholesale.
CONTROL_PLANE_VIEWS = ("stg_crm__accounts", "stg_crm__contacts", "stg_crm__team",
                       "int_health__components", "int_subscriptions__normalised")


LOG4J = Path(__file__).with_name("spark_log4j2.properties")
SPARK_RUN_RESULTS = "spark_run_results.json"  # in dbt's target folder: the last Spark `dbt run`


@dataclass
class SparkImport:
    tables: int = 0
    views: int = 0
    rows: int = 0
    kept: int = 0  # tables this run did not build, left as the last copy


def spark_dir(workspace: Path) -> Path:
    return workspace / "spark"


def lake_dir(workspace: Path) -> Path:
    return workspace / "lake"


def spark_output(config: Any) -> dict[str, Any]:
    """The `spark` output of the dbt profile: an in-process session whose tables and metastore live
    under <workspace>/spark. On a cluster, a thrift or http output replaces it (README)."""
    root = spark_dir(config.path("workspace"))
    sp = config.dbt.spark
    params = {
        "spark.master": sp.master,
        "spark.sql.shuffle.partitions": str(sp.shuffle_partitions),
        "spark.driver.memory": sp.driver_memory,
        "spark.sql.warehouse.dir": str(root / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={root}/metastore_db;create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={root} -Dlog4j2.configurationFile=file:{LOG4J}",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        # timestamps without time zone (as DuckDB's), written as plain Parquet timestamps DuckDB reads back
        "spark.sql.timestampType": "TIMESTAMP_NTZ",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        **sp.conf,
    }
    return {"type": "spark", "method": "session", "host": "localhost", "schema": "staging",
            "threads": config.dbt.threads, "server_side_parameters": params}


def quiet_spark(verbose: bool = False) -> None:
    """Spark's JVM and py4j chatter stays out of the console unless --verbose."""
    level = logging.INFO if verbose else logging.ERROR
    for name in ("py4j", "py4j.clientserver", "py4j.java_gateway", "pyspark"):
        logging.getLogger(name).setLevel(level)
    import warnings

    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")


def spark_log(workspace: Path) -> Path:
    return workspace / "logs" / "spark.log"


def start_jvm(config: Any, verbose: bool = False) -> None:
    """Launch Spark's JVM before dbt-spark asks for a session, with the same settings, so that
    the JVM's own stdout/stderr (log4j, and lines such as "Using incubator modules" that no log
    configuration reaches) go to <workspace>/logs/spark.log; with --verbose they stay on the console.
    dbt-spark's SparkSession.builder then finds this gateway and starts its context on it."""
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    if SparkContext._gateway is not None:  # one JVM per process
        return
    conf = SparkConf(loadDefaults=False).setAll(list(spark_output(config)["server_side_parameters"].items()))
    popen: dict[str, Any] | None = None
    if not verbose:
        log = spark_log(config.path("workspace"))
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as sink:  # the JVM keeps its own copy of the descriptor
            popen = {"stdout": sink, "stderr": sink}
            gateway = launch_gateway(conf, popen)
    else:
        gateway = launch_gateway(conf)
    SparkContext._ensure_initialized(gateway=gateway)


def prepare(warehouse: Path, workspace: Path) -> None:
    """Write the lake Spark reads: raw (incremental, per load batch) and the ops sources."""
    lake = lake_dir(workspace)
    with duckdb.connect(str(warehouse)) as con:
        export_raw(con, lake)
        export_ops(con, lake)


def _built_models(target_path: Path) -> list[dict]:
    manifest = json.loads((target_path / "manifest.json").read_text(encoding="utf-8"))
    return [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]


def _spark_session():
    from pyspark.sql import SparkSession

    return SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()


def column_order(node: dict, columns: list[str]) -> list[str]:
    """Spark stores a table's partition columns last; put each back after the column its model's
    yml lists before it (fct_usage_daily: account_id, usage_date, feature, ...), else leave it last."""
    parts = node["config"].get("partition_by") or []
    parts = [parts] if isinstance(parts, str) else list(parts)
    documented = list(node.get("columns") or {})
    order = [c for c in columns if c not in parts]
    for p in (p for p in parts if p in columns):
        at = documented.index(p) if p in documented else -1
        if at == 0:
            order.insert(0, p)
        elif at > 0 and documented[at - 1] in order:
            order.insert(order.index(documented[at - 1]) + 1, p)
        else:
            order.append(p)
    return order


def import_marts(warehouse: Path, workspace: Path, target_path: Path) -> SparkImport:
    """Copy what Spark built into the DuckDB warehouse, each relation in one statement: the tables
    this run built (an incremental run's unselected models are as the last copy left them) or that
    DuckDB lacks, and the views the Python side reads."""
    out = SparkImport()
    tables_root = spark_dir(workspace) / "warehouse"
    run_results = target_path / "run_results.json"  # what this run's `dbt run` wrote
    built = built_tables(run_results, target_path / "manifest.json") if run_results.exists() else set()
    spark = None
    with duckdb.connect(str(warehouse)) as con:
        present = {(s, t) for s, t in con.execute("select table_schema, table_name from information_schema.tables "
                                                  "where table_type = 'BASE TABLE'").fetchall()}
        for node in _built_models(target_path):
            schema, name, mat = node["schema"], node["alias"] or node["name"], node["config"]["materialized"]
            loc = tables_root / f"{schema}.db" / name
            if mat in ("table", "incremental") and (schema, name) not in built and (schema, name) in present:
                out.kept += 1
                continue
            if mat in ("table", "incremental") and any(loc.rglob("*.parquet")):
                files = f"read_parquet('{loc}/**/*.parquet', hive_partitioning = true, union_by_name = true)"
                cols = [r[0] for r in con.execute(f"describe select * from {files}").fetchall()]
                src = f"(select {', '.join(quote_ident(c) for c in column_order(node, cols))} from {files})"
            elif mat in ("table", "incremental") or (mat == "view" and (name in CONTROL_PLANE_VIEWS
                                                                       or schema in ("marts", "actions"))):
                # a view the Python side reads, or a table with no rows (and so perhaps no file): through Spark
                spark = spark or _spark_session()
                arrow = spark.table(f"{schema}.{name}").toArrow()
                con.register("_spark_view", arrow)
                src = "_spark_view"
                out.views += mat == "view"
            else:
                continue
            con.execute(f"create schema if not exists {schema}")
            kind = con.execute("select table_type from information_schema.tables where table_schema = ? "
                               "and table_name = ?", [schema, name]).fetchone()
            if kind and kind[0] == "VIEW":  # DuckDB's own build of it, from a run on the other engine
                con.execute(f"drop view {schema}.{name}")
            con.execute(f"create or replace table {schema}.{name} as select * from {src}")
            if src == "_spark_view":
                con.unregister("_spark_view")
            out.tables += mat != "view"
            out.rows += con.execute(f"select count(*) from {schema}.{name}").fetchone()[0]
    return out


def build(config: Any, args: list[str], as_of: date, run_dbt: Callable[..., Any],
          run_vars: dict[str, Any] | None = None, verbose: bool = False) -> Any:
    """`dbt run` on Spark, tables copied back, then their data tests on DuckDB in one `dbt test`.

    Spark pays a per-query overhead that 415 small test queries would multiply (seconds each on
    a local session); the copied tables are the very rows the control plane reads, so testing them
    in DuckDB gates what matters. Tests over Spark-only views are the part left out.
    """
    quiet_spark(verbose)
    start_jvm(config, verbose)
    prepare(config.path("warehouse"), config.path("workspace"))
    run_args = ["run"] + [a for a in args[1:] if a not in ("--exclude-resource-type", "unit_test")]
    result = run_dbt(config, run_args, as_of, run_vars)
    target = config.paths.dbt_target
    if (target / "run_results.json").exists():  # the Spark run's own timings; `dbt test` below overwrites the file
        (target / SPARK_RUN_RESULTS).write_bytes((target / "run_results.json").read_bytes())
    import_marts(config.path("warehouse"), config.path("workspace"), config.paths.dbt_target)
    duck = config.model_copy(update={"dbt": config.dbt.model_copy(update={"engine": "duckdb"})})
    # the tests of the tables copied back: of the build's selection (a daily run's plan) only those
    # tables, as dbt intersections; Spark-only views are not in DuckDB
    kinds = ["config.materialized:table", "config.materialized:incremental"]
    chosen = " ".join(a for i, a in enumerate(args) if i and args[i - 1] == "--select").split()
    select = ["--select", *([f"{s},{k}" for s in chosen for k in kinds] if chosen else kinds)]
    tested = run_dbt(duck, ["test", *select, "--indirect-selection", "cautious",
                            "--exclude-resource-type", "unit_test"], as_of, run_vars)
    result.tests = tested.tests
    return result
