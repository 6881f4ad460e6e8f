"""Incremental daily health equals a full rebuild, on a generated dataset.

One warehouse goes through three daily builds the way the daily flow runs them: FIRST, then two
days whose usage partitions land late (held back until their day), each with small CRM, support
and billing edits dated in the past. A copy of it is then rebuilt with --full-refresh for the
same as_of; every row of the daily health tables must be equal.
"""

import shutil
from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest

from tests.conftest import make_config
from tests.support.warehouse import frame as q

pytestmark = pytest.mark.integration

FIRST = date(2026, 6, 28)
DAY1, DAY2 = FIRST + timedelta(days=1), FIRST + timedelta(days=2)
CHECK_DAY = FIRST - timedelta(days=10)  # a past day every late edit below reaches
TABLES = ("intermediate.int_health__account_days", "marts.fct_account_usage_daily", "intermediate.int_health__signals_daily",
          "intermediate.int_health__component_scores_daily", "marts.fct_account_health_daily")


def edit_csv(path, rows, column, value):
    """Set `column` on the landing CSV rows that `rows` selects (a DataFrame of strings)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    chosen = rows(frame)
    assert chosen.any(), f"no row of {path.name} to edit"
    frame.loc[chosen, column] = value(frame.loc[chosen, column])
    frame.to_csv(path, index=False)


def pick_accounts(cfg):
    """Accounts paying on CHECK_DAY and FIRST to edit: any one, one with touchpoint sentiment by CHECK_DAY, one
    whose only champion is still there, one with a single open-ended paid subscription that
    started before CHECK_DAY."""
    paying = f"""select account_id from marts.fct_account_health_daily
                 where health_date in (date '{CHECK_DAY}', date '{FIRST}') group by account_id having count(*) = 2"""
    ticketed = q(cfg, f"{paying} order by account_id limit 1")["account_id"][0]
    toucher = q(cfg, f"""select account_id from intermediate.int_health__signals_daily
                         where date_day = date '{CHECK_DAY}' and touch_sentiment_90d > -0.5
                           and account_id in ({paying})
                         order by account_id limit 1""")["account_id"][0]
    champion = q(cfg, f"""select account_id from staging.stg_crm__contacts
                          where is_champion and account_id in ({paying})
                          group by account_id having count(*) = 1 and count(left_at) = 0
                          order by account_id desc limit 1""")["account_id"][0]
    upsized = q(cfg, f"""select account_id from intermediate.int_subscriptions__normalised
                         where mrr > 0 and account_id in ({paying})
                         group by account_id
                         having count(*) = 1 and count(end_date) = 0 and min(start_date) < date '{CHECK_DAY}'
                         order by account_id desc limit 1""")["account_id"][0]
    return {"toucher": toucher, "ticketed": ticketed, "champion": champion, "upsized": upsized}


def rows_on_check_day(cfg, accounts):
    ids = ", ".join(f"'{a}'" for a in accounts.values())
    return q(cfg, f"""select s.account_id, s.touch_sentiment_90d, s.open_high_tickets, s.champion_status, u.seats
                      from intermediate.int_health__signals_daily s
                      join marts.fct_account_usage_daily u using (account_id, date_day)
                      where s.date_day = date '{CHECK_DAY}' and s.account_id in ({ids})""").set_index("account_id")


@pytest.fixture(scope="module")
def workspaces(prefect_harness, tmp_path_factory):
    from flows.generate import generate
    from flows.ingest.flow import ingest
    from flows.transform import run_dbt

    root = tmp_path_factory.mktemp("health_incremental")
    cfg = make_config(root / "daily")
    landing = cfg.path("landing")
    generate(landing, cfg.path("truth"), accounts=150, seed=23, as_of=DAY2, months=6)
    usage = landing / "product" / "usage_events"
    for day in (DAY1, DAY2):
        shutil.move(usage / f"date={day}", root / f"held-{day}")
    ingest(cfg)
    run_dbt(cfg, ["build"], FIRST)

    accounts = pick_accounts(cfg)
    before = rows_on_check_day(cfg, accounts)
    # day 1: its usage lands; a touchpoint from 20 days ago is entered late; a champion left 30 days ago
    shutil.move(root / f"held-{DAY1}", usage / f"date={DAY1}")
    with (landing / "crm" / "touchpoints.csv").open("a") as fh:
        fh.write(f"TLATE1,{accounts['toucher']},U001,{FIRST - timedelta(days=20)} 11:00:00,call,-0.9\n")
    edit_csv(landing / "crm" / "contacts.csv",
             lambda f: (f["account_id"] == accounts["champion"]) & (f["is_champion"] == "true"),
             "left_at", lambda _: f"{FIRST - timedelta(days=30)} 09:00:00")
    ingest(cfg)
    run_dbt(cfg, ["build"], DAY1)
    # day 2: its usage lands; an urgent ticket opened 40 days ago shows up; a subscription gains seats
    shutil.move(root / f"held-{DAY2}", usage / f"date={DAY2}")
    with (landing / "support" / "support_tickets.csv").open("a") as fh:
        fh.write(f"TKLATE1,{accounts['ticketed']},{FIRST - timedelta(days=40)} 10:00:00,,urgent,\n")
    edit_csv(landing / "billing" / "subscriptions.csv",
             lambda f: (f["account_id"] == accounts["upsized"]) & (f["end_date"] == ""),
             "seats", lambda seats: (seats.astype(int) + 5).astype(str))
    ingest(cfg)
    run_dbt(cfg, ["build"], DAY2)

    full = make_config(root / "full")
    full.path("warehouse").parent.mkdir(parents=True)
    with duckdb.connect(str(cfg.path("warehouse"))) as con:
        con.execute("checkpoint")  # dbt's in-process instance may still hold recent writes in the WAL
    shutil.copy(cfg.path("warehouse"), full.path("warehouse"))
    run_dbt(full, ["build", "--full-refresh"], DAY2)
    return {"daily": cfg, "full": full, "accounts": accounts, "before": before,
            "after": rows_on_check_day(cfg, accounts)}


def differing_rows(daily, full, table):
    """Rows of `table` in one warehouse and not the other (doubles compared to 9 decimals:
    window sums of floats differ in the last bits between runs)."""
    # the full build's file through the process's own DuckDB instance (dbt may still hold it)
    with duckdb.connect(str(full.path("warehouse"))) as con:
        con.execute(f"attach '{daily.path('warehouse')}' as daily (read_only)")
        try:
            cols = con.execute(f"select column_name, column_type from (describe {table})").fetchall()
            sel = ", ".join(f"round({c}, 9) as {c}" if t == "DOUBLE" else c for c, t in cols)
            counts = [con.execute(f"select count(*) from (select {sel} from {a}{table} except all "
                                  f"select {sel} from {b}{table})").fetchone()[0]
                      for a, b in (("daily.", ""), ("", "daily."))]
            rows = con.execute(f"select count(*) from {table}").fetchone()[0]
        finally:
            con.execute("detach daily")
    return counts, rows


@pytest.mark.parametrize("table", TABLES)
def test_incremental_daily_health_equals_full_refresh(workspaces, table):
    counts, rows = differing_rows(workspaces["daily"], workspaces["full"], table)
    assert rows > 10_000
    assert counts == [0, 0], f"{table}: {counts[0]} rows only in the daily build, {counts[1]} only in the full one"


def test_the_late_edits_changed_past_days(workspaces):
    """The edits do change history, so the equality above covers recomputing past days."""
    acc, before, after = workspaces["accounts"], workspaces["before"], workspaces["after"]
    assert after.loc[acc["toucher"], "touch_sentiment_90d"] < before.loc[acc["toucher"], "touch_sentiment_90d"]
    assert after.loc[acc["ticketed"], "open_high_tickets"] == before.loc[acc["ticketed"], "open_high_tickets"] + 1
    assert (before.loc[acc["champion"], "champion_status"], after.loc[acc["champion"], "champion_status"]) \
        == ("present", "lost")
    assert after.loc[acc["upsized"], "seats"] == before.loc[acc["upsized"], "seats"] + 5


def test_daily_history_covers_exactly_the_window(workspaces):
    bounds = q(workspaces["daily"], "select min(health_date) as lo, max(health_date) as hi "
                                    "from marts.fct_account_health_daily")
    assert bounds["hi"][0].date() == DAY2
    assert bounds["lo"][0].date() >= DAY2 - timedelta(days=364)


def test_a_changed_incremental_table_asks_for_a_full_refresh(workspaces):
    """An upgrade that changes an incremental model's columns fails with the fix in the message
    (models use on_schema_change='fail' rather than guessing); `--full-refresh` rebuilds it."""
    from flows.transform import DbtBuildError, run_dbt

    full = workspaces["full"]  # the last test to use it
    with duckdb.connect(str(full.path("warehouse"))) as con:
        con.execute("alter table marts.fct_account_health_daily add column from_an_older_version integer")
    with pytest.raises(DbtBuildError, match=r"steward run --full-refresh"):
        run_dbt(full, ["build", "--select", "fct_account_health_daily"], DAY2)
    run_dbt(full, ["build", "--select", "fct_account_health_daily", "--full-refresh"], DAY2)
    cols = q(full, "select column_name from (describe marts.fct_account_health_daily)")["column_name"]
    assert "from_an_older_version" not in set(cols)
