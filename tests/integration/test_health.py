"""Health marts on a generated dataset: real ingest, real dbt builds under Prefect, real backtest.

One module-scoped warehouse (200 accounts x 6 months): built for AS_OF - 10 days, then for AS_OF
incrementally, the way daily runs follow each other.
"""

from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest

from tests.conftest import make_config

pytestmark = pytest.mark.integration

AS_OF = date(2026, 6, 30)
EARLIER = AS_OF - timedelta(days=10)
USAGE_MODELS = ("marts.fct_usage_daily", "intermediate.int_usage__user_daily")


def q(cfg, sql):
    with duckdb.connect(str(cfg.path("warehouse"))) as con:
        return con.execute(sql).df()


@pytest.fixture(scope="module")
def built(prefect_harness, tmp_path_factory):
    from flows.generate import generate
    from flows.ingest.flow import ingest
    from flows.transform import run_dbt

    cfg = make_config(tmp_path_factory.mktemp("health") / "ws")
    generate(cfg.path("landing"), cfg.path("truth"), accounts=200, seed=11, as_of=AS_OF, months=6)
    ingest(cfg)
    run_dbt(cfg, ["build"], EARLIER)
    with duckdb.connect(str(cfg.path("warehouse"))) as con:
        con.execute("create schema if not exists snap")
        con.execute("create table snap.health_earlier as select * from marts.fct_account_health_daily")
    run_dbt(cfg, ["build"], AS_OF)  # incremental: aggregates only the 10 new days
    with duckdb.connect(str(cfg.path("warehouse"))) as con:
        for m in USAGE_MODELS:
            con.execute(f"create table snap.{m.split('.')[1]} as select * from {m}")
    return cfg


def _sorted(df):
    return df.sort_values(list(df.columns)).reset_index(drop=True)


def test_incremental_usage_equals_full_refresh(built):
    from flows.transform import run_dbt

    run_dbt(built, ["build", "--select", "fct_usage_daily+", "int_usage__user_daily+", "--full-refresh"], AS_OF)
    for m in USAGE_MODELS:
        incremental = _sorted(q(built, f"select * from snap.{m.split('.')[1]}"))
        full = _sorted(q(built, f"select * from {m}"))
        assert len(full) > 1000
        pd.testing.assert_frame_equal(incremental, full)
    assert q(built, "select max(usage_date) as d from marts.fct_usage_daily")["d"][0].date() == AS_OF


def test_backfill_of_a_past_day_equals_the_daily_run(built):
    # health rows the AS_OF run holds for days up to EARLIER equal those the EARLIER run wrote;
    # the _-columns record the inputs known at each as_of (a subscription starting in between)
    skip = "health_change_7d, health_change_30d, top_mover_7d, _account_hash, _dated_hash, _usage_loaded_at"
    diff = q(built, f"""
        select count(*) as n from (
            select * exclude ({skip}) from snap.health_earlier
            where health_date > date '{AS_OF}' - 365
            except
            select * exclude ({skip}) from marts.fct_account_health_daily
        )""")
    assert diff["n"][0] == 0
    assert q(built, "select max(health_date) as d from snap.health_earlier")["d"][0].date() == EARLIER


def test_health_history_for_every_paying_account_and_day(built):
    counts = q(built, f"""
        select (select count(*) from marts.fct_account_health_daily) as health,
               (select count(*) from intermediate.int_health__account_days
                where is_customer and date_day > date '{AS_OF}' - 365) as paying_days,
               (select count(*) from marts.dim_accounts where is_paying) as paying_now,
               (select count(health_score) from marts.dim_accounts where is_paying) as scored_now""")
    assert counts["health"][0] == counts["paying_days"][0] > 10_000
    assert counts["paying_now"][0] == counts["scored_now"][0] > 100
    assert q(built, "select count(*) as n from intermediate.int_health__components where is_skipped")["n"][0] == 0


def test_planted_lost_champion_shows_lost_from_the_right_day(built):
    truth = pd.read_csv(built.path("truth") / "accounts.csv", dtype=str)
    planted = truth[truth["champion_lost_date"].notna() & (truth["champion_lost_date"] <= str(AS_OF))]
    assert len(planted) >= 3
    eng = q(built, "select account_id, champion_status, champion_lost_date from marts.fct_engagement")
    got = eng.set_index("account_id").loc[planted["account_id"]]
    assert (got["champion_status"] == "lost").all()
    assert (got["champion_lost_date"].dt.strftime("%Y-%m-%d").to_numpy() == planted["champion_lost_date"].to_numpy()).all()
    # in the daily history the champion component drops from 100 to 0 on exactly that day
    ids = ", ".join(f"'{a}'" for a in planted["account_id"])
    daily = q(built, f"""select account_id, health_date, champion_score from marts.fct_account_health_daily
                         where account_id in ({ids})""")
    lost_on = dict(zip(planted["account_id"], pd.to_datetime(planted["champion_lost_date"])))
    daily["expected"] = [0.0 if d >= lost_on[a] else 100.0 for a, d in zip(daily["account_id"], daily["health_date"])]
    assert (daily["champion_score"] == daily["expected"]).all()
    assert (daily["expected"] == 100).any() and (daily["expected"] == 0).any()


def test_backtest_writes_the_table_and_beats_the_baselines(built):
    from flows.health.backtest import run_backtest

    result = run_backtest(built.path("warehouse"), built.path("truth"), 40)
    stored = q(built, "select * from backtest.rpt_health_backtest")
    assert len(stored) == len(result.table) == 3 * 12
    assert "planted churn" in result.label_source
    auc = stored.set_index(["horizon_days", "predictor"])["auc"]
    for h in (30, 60, 90):
        assert abs(auc[(h, "baseline_random")] - 0.5) < 0.05  # averaged over draws, not one lucky one
        assert auc[(h, "health_score")] > auc[(h, "baseline_random")] + 0.2
    assert auc[(60, "health_score")] >= 0.8


def test_without_planted_truth_the_backtest_labels_are_the_churn_days_dbt_decides(built):
    """No truth file (a real company): labels are marts.fct_churn_events, the day paid MRR hit 0."""
    from flows.health.backtest import run_backtest

    result = run_backtest(built.path("warehouse"), None, 40)
    assert result.label_source.startswith("billing")
    labels = _sorted(q(built, "select account_id, churn_date from backtest.churn_labels"))
    events = _sorted(q(built, "select account_id, churn_date from marts.fct_churn_events"))
    assert len(labels) > 0 and labels.equals(events)
    # the generator's planted churn dates by as_of are exactly such days, and each lies in a churn month of fct_mrr
    truth = pd.read_csv(built.path("truth") / "accounts.csv", usecols=["account_id", "churn_date"], dtype=str).dropna()
    truth["churn_date"] = pd.to_datetime(truth["churn_date"]).dt.date
    truth = truth[truth["churn_date"] <= AS_OF]
    days = set(zip(events["account_id"], pd.to_datetime(events["churn_date"]).dt.date))
    assert len(truth) > 0 and set(zip(truth["account_id"], truth["churn_date"])) <= days
    months = q(built, """select count(*) as n from marts.fct_churn_events e where not exists (
                           select 1 from marts.fct_mrr m where m.account_id = e.account_id and m.movement = 'churn'
                             and m.month = date_trunc('month', e.churn_date))""")
    assert months["n"][0] == 0
