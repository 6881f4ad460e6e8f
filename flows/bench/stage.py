"""One benchmark stage in its own process: `python -m flows.bench.stage STAGE WORKSPACE TIER`.

Running each stage in a fresh process lets the parent read that stage's own peak RSS
(os.wait4). The stage prints one JSON line with its measurements last.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from flows.bench.tiers import TIERS

AS_OF = date(2026, 6, 30)  # the dataset's as_of; the incremental run is the day after
NEXT = AS_OF + timedelta(days=1)


def _config(ws: Path):
    from flows.config import load_config

    return load_config(overrides={"paths": {"workspace": str(ws)}})


def _next_partition(ws: Path) -> tuple[Path, Path]:
    landing = ws / "landing" / "product" / "usage_events" / f"date={NEXT}"
    return landing, ws / "held" / f"date={NEXT}"


BENCH_TOUCHPOINT = "TBENCH"  # id prefix of the touchpoint the incremental stage adds


def reset_dataset(ws: Path) -> None:
    """Undo what the incremental stage did to a cached dataset: hold the next day's usage back again
    and drop its touchpoint, so every run starts from the data `generate` wrote."""
    src, held = _next_partition(ws)
    if src.exists() and not held.exists():
        shutil.move(str(src), str(held))
    for touch in (ws / "landing").rglob("touchpoints.csv"):
        lines = touch.read_text().splitlines(keepends=True)
        kept = [ln for ln in lines if not ln.startswith(BENCH_TOUCHPOINT)]
        if len(kept) != len(lines):
            touch.write_text("".join(kept))


def generate(ws: Path, tier: str) -> dict:
    """The tier's dataset through as_of + 1 day, with the last day's partition held back."""
    from flows.generate import generate as gen

    t = TIERS[tier]
    r = gen(ws / "landing", ws / "truth", t.accounts, 7, NEXT, t.months, t.events_per_account_day)
    src, held = _next_partition(ws)
    held.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(src), str(held))
    return {"rows": sum(r.rows.values()), "events": r.rows["usage_events"], "rows_per_second": r.rows_per_second}


def _in_flow(fn):
    from prefect import flow

    return flow(name="steward-bench-stage")(fn)()


def ingest(ws: Path, tier: str) -> dict:
    from flows.ingest.flow import ingest as ingest_flow

    return {"rows": ingest_flow(_config(ws)).rows_loaded}


def gate(ws: Path, tier: str) -> dict:
    """The quality gate on the batch the ingest stage just loaded."""
    from flows.quality.flow import docs_dir
    from flows.quality.gate import run_gate
    from flows.warehouse import session

    cfg = _config(ws)
    with session(cfg.path("warehouse")) as con:
        batch = con.execute("select batch_id from ops.load_ledger order by loaded_at desc limit 1").fetchone()[0]
        r = run_gate(con, batch, docs_dir=docs_dir(cfg))
    return {"rows_checked": r.rows_checked, "quarantined": r.quarantined}


# The incremental usage and health chain (issue 5's "incremental vs full refresh" ratio is theirs).
INCREMENTAL_CHAIN = ("stg_product__usage_events", "int_usage__user_feature_daily", "fct_usage_daily", "int_usage__user_daily",
                     "int_usage__feature_day_loads", "int_health__input_facts", "int_health__account_days",
                     "int_usage__account_daily", "fct_account_usage_daily",
                     "int_health__signals_daily", "int_health__component_scores_daily",
                     "fct_account_health_daily")


def dbt_timings(ws: Path) -> dict:
    """From the last dbt invocation's run_results.json: its wall time, and the seconds the
    incremental chain's models took (node time, so threads running side by side both count)."""
    from flows.spark_engine import SPARK_RUN_RESULTS

    path = ws / "dbt" / "target" / "run_results.json"
    spark = path.with_name(SPARK_RUN_RESULTS)  # on Spark, the build's (run_results.json is DuckDB's `dbt test`)
    if os.environ.get("STEWARD_DBT__ENGINE") == "spark" and spark.exists():
        path = spark
    if not path.exists():
        return {}
    results = json.loads(path.read_text())
    keep = ws / "run_results"  # each stage's own copy, for the note on where the time goes
    keep.mkdir(exist_ok=True)
    (keep / f"{results['args'].get('which', 'dbt')}-{len(list(keep.iterdir()))}.json").write_text(path.read_text())
    chain = [r["execution_time"] for r in results["results"]
             if r["unique_id"].startswith("model.") and r["unique_id"].rsplit(".", 1)[-1] in INCREMENTAL_CHAIN]
    return {"dbt_seconds": round(results["elapsed_time"], 2),
            "chain_model_seconds": round(sum(chain), 2), "chain_models": len(chain)}


def dbt_full(ws: Path, tier: str) -> dict:
    from flows.transform import dbt_build

    from flows.build_plan import record_full_build
    from flows.warehouse import session

    cfg = _config(ws)
    r = dbt_build(cfg, AS_OF, full_refresh=True)
    with session(cfg.path("warehouse")) as con:  # as the daily run records it: the next day starts from here
        record_full_build(con, cfg, AS_OF)
    return {"models": r.models, "tests": r.tests, **dbt_timings(ws)}


# The models whose tables the floor and the peer also produce (fct_mrr, fct_usage_daily,
# fct_account_usage_daily: same columns and rows) and their parents; no tests.
CORE_SELECT = "+fct_mrr +fct_usage_daily +fct_account_usage_daily"


def dbt_core(ws: Path, tier: str) -> dict:
    """Only the like-for-like outputs, as a full refresh: the fair comparison with floor and peer."""
    from flows.transform import run_dbt

    r = run_dbt(_config(ws), ["run", "--full-refresh", "--select", CORE_SELECT], AS_OF)
    return {"models": r.models}


def reconcile_deliver(ws: Path, tier: str) -> dict:
    from flows.actions.alerts import reconcile_alerts
    from flows.delivery.outbox import drain
    from flows.delivery.transport import transport_for
    from flows.warehouse import session

    cfg = _config(ws)
    from flows.build_plan import record_run_end

    with session(cfg.path("warehouse")) as con:
        a = reconcile_alerts(con, AS_OF)
        d = drain(con, transport_for(cfg), 100_000)
        record_run_end(con, cfg.paths.dbt_target / "manifest.json")  # the ops state the next day starts from
    return {"alerts_opened": a.opened, "emails": d.sent}


def reports(ws: Path, tier: str) -> dict:
    from flows.reports.flow import REPORT_NAMES, run_report

    cfg = _config(ws)
    return {"pages": sum(len(run_report(cfg, n, AS_OF, send=False).pages) for n in REPORT_NAMES)}


def day_end(ws: Path, tier: str) -> dict:
    """The rest of the full day's run: the daily flow for the same as_of, which finds nothing to
    load or build and runs every reconciler, delivery, the run-end ops state and the first analyst
    copy. The next day then starts where a daily run leaves it (not from the bench's own stages)."""
    from flows.daily_run import run_pipeline

    s = run_pipeline(_config(ws), AS_OF)
    return {"models": s.models_built, "dbt_mode": s.dbt.get("mode"), "tables_published": s.published.get("tables"),
            "emails": s.emails.get("sent", 0)}


def incremental(ws: Path, tier: str) -> dict:
    """The next day: its usage partition lands, one CRM file changes, the daily flow runs."""
    from flows.daily_run import run_pipeline

    src, held = _next_partition(ws)
    if held.exists():
        shutil.move(str(held), str(src))
    touch = next((ws / "landing").rglob("touchpoints.csv"))
    with touch.open("a") as fh:
        fh.write(f"{BENCH_TOUCHPOINT}{NEXT:%Y%m%d},{_first_account(ws)},U001,{NEXT} 10:00:00,call,0.5\n")
    s = run_pipeline(_config(ws), NEXT)
    return {"rows_loaded": sum(s.rows_loaded.values()), "models": s.models_built,
            "models_skipped": s.dbt.get("models_skipped"), "tables_published": s.published.get("tables"),
            "rebuilt_because": "; ".join(s.dbt.get("because") or []), **dbt_timings(ws)}


def empty_day(ws: Path, tier: str) -> dict:
    """The daily flow again for the same day: nothing new to load (Prefect + dbt + no-op work)."""
    from flows.daily_run import run_pipeline

    s = run_pipeline(_config(ws), NEXT)
    if not s.models_built:  # dbt did not run: run_results.json is the day before's
        return {"rows_loaded": sum(s.rows_loaded.values()), "models": 0, "dbt_mode": s.dbt.get("mode"),
                "dbt_seconds": 0.0, "chain_model_seconds": 0.0, "chain_models": 0}
    return {"rows_loaded": sum(s.rows_loaded.values()), "models": s.models_built, **dbt_timings(ws)}


def _first_account(ws: Path) -> str:
    with next((ws / "landing").rglob("accounts.csv")).open() as fh:
        fh.readline()
        return fh.readline().split(",")[0]


def floor(ws: Path, tier: str) -> dict:
    from flows.bench.floor import run_floor

    return run_floor(ws / "landing", AS_OF, ws / "floor.duckdb")


def peer(ws: Path, tier: str) -> dict:
    from flows.bench.peer import run_peer

    try:
        return run_peer(ws / "landing", AS_OF)
    except MemoryError:
        return {"did_not_fit": "pandas ran out of the memory limit"}


STAGES = {f.__name__: f for f in (generate, ingest, gate, dbt_full, dbt_core, reconcile_deliver, reports,
                                  day_end, incremental, empty_day, floor, peer)}
FLOW_STAGES = {"ingest", "dbt_full", "dbt_core", "day_end", "incremental", "empty_day"}


def main(argv: list[str]) -> None:
    name, ws, tier = argv[0], Path(argv[1]), argv[2]
    started = time.perf_counter()
    fn = STAGES[name]
    result = _in_flow(lambda: fn(ws, tier)) if name in FLOW_STAGES else fn(ws, tier)
    result["wall_seconds_inside"] = time.perf_counter() - started
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
