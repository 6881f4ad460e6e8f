"""The same dbt project on Apache Spark: same landing data, same marts, same alerts and outbox.

One small generated dataset (15 accounts, 6 months: renewals in their window, usage on most days,
alerts that fire) is run end to end twice through the real CLI: on DuckDB (the default) and with
`--engine spark` (dbt-spark's session method, local pyspark, one JVM in that subprocess). The
seven marts the control plane reads must agree row for row (money to the cent, other numbers to
1e-9), and the reconcilers, which read the marts Spark built through DuckDB, must open the same
alerts, tasks and playbook runs and queue the same emails (scripts/compare_runs.py, which masks
random ids and wall-clock stamps). The Spark run's console must carry none of the JVM's log lines.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from scripts.compare_runs import compare
from tests.conftest import steward
from tests.support.spark import java_or_skip

AS_OF = date(2026, 6, 30)
MARTS = ["marts.fct_mrr", "marts.rpt_mrr_monthly", "marts.rpt_revenue_retention", "marts.fct_renewals",
         "marts.fct_account_usage_daily", "marts.fct_account_health_daily", "actions.fct_alert_candidates"]
# what the reconcilers wrote; the outbox's .eml files are compared too
OPS = {"ops.alerts", "ops.tasks", "ops.playbook_runs", "ops.outbox", "ops.assignments",
       "ops.account_phase_history", "ops.survey_invitations", "ops.campaign_sends"}
JVM_NOISE = ("WARN", "log4j", "NativeCodeLoader")
# Small data: one shuffle partition, no whole-stage code generation (compiling
# each stage's Java costs more than it saves on a few thousand rows); the driver keeps its 2g: with
# 1g it stalled on the health models' plans, and on a shared machine the in-process executor's
# heartbeat (10 s by default) can miss the driver: it gets a minute
SMALL_SPARK = {"STEWARD_DBT__SPARK__SHUFFLE_PARTITIONS": "1",
               "STEWARD_DBT__SPARK__CONF": "{spark.sql.codegen.wholeStage: 'false', "
                                           "spark.executor.heartbeatInterval: 60s, spark.network.timeout: 600s}"}

# the fixture's two runs count against the first test's timeout: 5-6 minutes on an idle 2-core
# machine, far longer when it is shared
pytestmark = [pytest.mark.integration, pytest.mark.spark, pytest.mark.timeout(3600)]


@dataclass
class Engines:
    duck: Path                    # workspaces
    spark: Path
    spark_console: str
    seconds: dict[str, float]


@pytest.fixture(scope="module")
def engines(prefect_harness, tmp_path_factory) -> Engines:
    """One dataset, run once on DuckDB and once on Spark (each its own workspace)."""
    java_or_skip()
    from prefect.settings import PREFECT_API_URL

    api = PREFECT_API_URL.value()
    root = tmp_path_factory.mktemp("engines")
    duck, spark = root / "duckdb", root / "spark"
    gen = steward("generate", "--accounts", "15", "--months", "6", "--as-of", AS_OF.isoformat(), ws=duck, api_url=api)
    assert gen.returncode == 0, gen.stdout + gen.stderr
    shutil.copytree(duck / "landing", spark / "landing")
    seconds, console = {}, ""
    for ws, extra in ((duck, ()), (spark, ("--engine", "spark"))):
        started = time.monotonic()
        with pytest.MonkeyPatch.context() as env:  # steward() passes os.environ to the subprocess
            for var, value in SMALL_SPARK.items():
                env.setenv(var, value)
            res = steward("run", "--as-of", AS_OF.isoformat(), *extra, ws=ws, api_url=api, timeout=3000)
        seconds[ws.name] = round(time.monotonic() - started, 1)
        assert res.returncode == 0, res.stdout + res.stderr
        console = res.stdout + res.stderr
    print(f"steward run seconds: {seconds}")
    return Engines(duck, spark, console, seconds)


def _norm(value, money: bool):
    """Comparable form: money to the cent, JSON parsed, dates as text; other numbers stay floats."""
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and money:
        return round(value, 2)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.dumps(json.loads(value), sort_keys=True)
        except ValueError:
            return value
    return value


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=0, abs_tol=1e-9)
    return a == b


def _rows(warehouse: Path, table: str, columns: list[str] | None = None) -> tuple[list[str], list[tuple]]:
    """The table's rows, normalised and in one fixed order (every column, nulls last)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        described = con.execute(f"describe {table}").fetchall()
        cols = columns or [r[0] for r in described if not r[0].startswith("_")]  # _meta: engine-own hashes
        money = {r[0] for r in described if r[1].startswith("DECIMAL")}
        rows = con.execute(f"select {', '.join(cols)} from {table}").fetchall()
    norm = [tuple(_norm(v, c in money) for c, v in zip(cols, row)) for row in rows]
    key = lambda r: tuple((v is None, round(v, 6) if isinstance(v, float) else str(v)) for v in r)  # noqa: E731
    return cols, sorted(norm, key=key)


def mart_differences(duck: Path, spark: Path, table: str) -> list[str]:
    """Why the two builds of a table differ, one line per problem; empty when they agree."""
    cols, want = _rows(duck, table)
    _, got = _rows(spark, table, cols)
    if len(got) != len(want):
        return [f"{table}: {len(got)} rows on Spark, {len(want)} on DuckDB"]
    out = []
    for i, (w, g) in enumerate(zip(want, got)):
        bad = [c for c, a, b in zip(cols, w, g) if not _same(a, b)]
        if bad:
            out.append(f"{table} row {i} ({dict(zip(cols[:2], w[:2]))}): "
                       + ", ".join(f"{c} DuckDB {w[cols.index(c)]!r} Spark {g[cols.index(c)]!r}" for c in bad))
    return out


@pytest.mark.parametrize("table", MARTS)
def test_marts_equal_on_both_engines(engines, table):
    wh_duck, wh_spark = engines.duck / "warehouse.duckdb", engines.spark / "warehouse.duckdb"
    assert _rows(wh_duck, table)[1], f"{table} is empty on DuckDB: the comparison would prove nothing"
    diff = mart_differences(wh_duck, wh_spark, table)
    assert not diff, f"{len(diff)} rows differ:\n" + "\n".join(diff[:10])


def test_spark_build_is_what_reconcilers_read(engines):
    """The Spark run's marts came from Spark (its Parquet tables), not from a DuckDB build."""
    ws = engines.spark
    assert any((ws / "spark" / "warehouse" / "marts.db" / "fct_mrr").rglob("*.parquet"))
    assert any((ws / "lake" / "raw" / "usage_events").rglob("*.parquet"))
    with duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True) as con:
        kinds = dict(con.execute("select table_name, table_type from information_schema.tables "
                                 "where table_schema = 'staging'").fetchall())
    # DuckDB's own build would have made every staging model a view; the Spark run copies back
    # only the few the Python side reads, as tables
    assert kinds.get("stg_crm__accounts") == "BASE TABLE"
    assert "stg_product__usage_events" not in kinds


def test_same_alerts_tasks_playbooks_and_outbox(engines, capsys):
    with duckdb.connect(str(engines.duck / "warehouse.duckdb"), read_only=True) as con:
        counts = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in ("ops.alerts", "ops.outbox")}
    assert all(counts.values()), f"the DuckDB run opened no alert or queued no email: {counts}"
    status = compare(engines.duck, engines.spark, show=5, only=OPS, folders=("outbox",))
    report = capsys.readouterr().out
    assert status == 0, report
    assert report.count("same ops__") == len(OPS), report


def test_the_comparison_fails_on_one_cent_and_one_alert(engines, tmp_path, capsys):
    """Both comparers catch a one-cent change in a mart and a changed alert."""
    tampered = tmp_path / "ws"
    tampered.mkdir()
    shutil.copy(engines.spark / "warehouse.duckdb", tampered / "warehouse.duckdb")
    shutil.copytree(engines.spark / "outbox", tampered / "outbox")
    with duckdb.connect(str(tampered / "warehouse.duckdb")) as con:
        con.execute("update marts.fct_mrr set mrr = mrr + 0.01 "
                    "where rowid = (select min(rowid) from marts.fct_mrr where mrr > 0)")
        con.execute("update ops.alerts set severity = case severity when 'critical' then 'info' else 'critical' end "
                    "where rowid = (select min(rowid) from ops.alerts)")
    diff = mart_differences(engines.duck / "warehouse.duckdb", tampered / "warehouse.duckdb", "marts.fct_mrr")
    assert len(diff) == 1 and "mrr DuckDB" in diff[0], diff
    assert compare(engines.duck, tampered, only={"ops.alerts"}, folders=()) == 1
    assert "DIFF ops__alerts" in capsys.readouterr().out


def test_spark_console_is_quiet(engines):
    """Spark's JVM log goes to <workspace>/logs/spark.log, not the console (without --verbose)."""
    noisy = [line for line in engines.spark_console.splitlines() if any(n in line for n in JVM_NOISE)]
    assert not noisy, "\n".join(noisy[:10])
    assert (engines.spark / "logs" / "spark.log").is_file()
