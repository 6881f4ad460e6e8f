"""Run the daily flow over consecutive days on generated data and measure what the alerts did.

Shared by the CI-sized test (tests/integration/test_time_travel.py) and the 60-day scale run
(`-m scale`), which also writes its numbers to bench/results/time_travel-<date>.json.
"""

from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

RISK_RULES = ("health_dip", "health_trend", "touchpoint_trend", "champion_lost", "mrr_dip", "feature_dip",
              "payment_overdue", "renewal_window")


@dataclass
class TravelStats:
    days: list[str] = field(default_factory=list)
    opened_per_day: list[int] = field(default_factory=list)  # opened + reopened, all rules
    opened_non_task_per_day: list[int] = field(default_factory=list)  # without task_due / task_overdue
    opened_task_per_day: list[int] = field(default_factory=list)  # task_due / task_overdue
    task_alerts: int = 0  # task_due / task_overdue alerts, one per owner and due date
    task_owners: int = 0  # owners (people, pools) those alerts went to
    task_alerts_over_tasks: int = 0  # tasks listed in task alerts that do not exist (must be 0)
    resolved_per_day: list[int] = field(default_factory=list)
    digests_per_day: list[int] = field(default_factory=list)
    phase_changes_per_day: list[int] = field(default_factory=list)
    accounts: int = 0
    churners: list[dict] = field(default_factory=list)  # account, churn_date, first risk alert, lead days
    duplicate_alerts: int = 0
    precision_by_rule: dict = field(default_factory=dict)  # rule -> accounts alerted, how many churned (truth)
    duplicate_emails: int = 0

    def storm_days(self, first: int = 0) -> list[str]:
        """Days (from index `first`) over the bounds: condition alerts opened > 10 % of the accounts, or
        task alerts > 2 per owner (one due date entering task_due and one task_overdue a day, each
        grouping all of that owner's tasks; a cohort of new tasks can add a few more)."""
        return [d for d, cond, task in zip(self.days[first:], self.opened_non_task_per_day[first:],
                                           self.opened_task_per_day[first:])
                if cond > 0.1 * self.accounts or task > 2 * max(self.task_owners, 1)]

    @property
    def churners_alerted(self) -> int:
        return sum(1 for c in self.churners if c["lead_days"] is not None)

    @property
    def median_lead_days(self) -> float | None:
        leads = [c["lead_days"] for c in self.churners if c["lead_days"] is not None]
        return statistics.median(leads) if leads else None

    def as_dict(self) -> dict:
        return {**self.__dict__, "churners_alerted": self.churners_alerted,
                "median_lead_days": self.median_lead_days}


def travel(cfg, first: date, days: int) -> TravelStats:
    """daily_run_for each day from `first`, `days` days in a row, on one workspace."""
    from flows.daily_run import daily_run_for

    stats = TravelStats()
    for i in range(days):
        as_of = first + timedelta(days=i)
        summary = daily_run_for(cfg, as_of)
        stats.days.append(as_of.isoformat())
        stats.opened_per_day.append(summary["alerts"]["opened"] + summary["alerts"]["reopened"])
        stats.resolved_per_day.append(summary["alerts"]["resolved"])
        stats.digests_per_day.append(summary["alerts"]["digests_queued"])
        stats.phase_changes_per_day.append(summary["phases"]["changed"])
    with duckdb.connect(str(cfg.path("warehouse"))) as con:  # same config as dbt-duckdb in-process
        stats.accounts = con.execute("select count(*) from marts.dim_accounts").fetchone()[0]
        stats.duplicate_alerts = con.execute(
            "select count(*) - count(distinct (rule, coalesce(account_id, ''), subject)) from ops.alerts").fetchone()[0]
        stats.duplicate_emails = con.execute(
            "select count(*) - count(distinct idempotency_key) from ops.outbox").fetchone()[0]
        for attr, cond in (("opened_non_task_per_day", "not in"), ("opened_task_per_day", "in")):
            per_day = dict(con.execute(
                f"select first_as_of, count(*) from ops.alerts where rule {cond} ('task_due', 'task_overdue') "
                "group by 1").fetchall())
            setattr(stats, attr, [per_day.get(date.fromisoformat(d), 0) for d in stats.days])
        stats.task_owners = con.execute(
            "select count(distinct owner_id) from ops.alerts where rule in ('task_due', 'task_overdue')").fetchone()[0]
        # task alerts are grouped per owner and due date: every task they list must exist and be due that day
        stats.task_alerts_over_tasks = con.execute(
            "with listed as (select unnest(cast(json_extract(details, '$.task_ids') as varchar[])) as task_id, "
            "cast(json_extract_string(details, '$.due_date') as date) as due_date from ops.alerts "
            "where rule in ('task_due', 'task_overdue')), "
            "known as (select task_id, due_date from ops.tasks union all "
            "select task_id, cast(due_at as date) from staging.stg_crm__tasks) "
            "select count(*) from listed where not exists (select 1 from known k "
            "where k.task_id = listed.task_id and k.due_date = listed.due_date)").fetchone()[0]
        stats.task_alerts = con.execute(
            "select count(*) from ops.alerts where rule in ('task_due', 'task_overdue')").fetchone()[0]
        stats.precision_by_rule = risk_alert_precision(con, cfg.path("truth") / "accounts.csv")
        first_alert = dict(con.execute(
            "select account_id, min(first_as_of) from ops.alerts where list_contains(?, rule) group by 1",
            [list(RISK_RULES)]).fetchall())
    last = first + timedelta(days=days - 1)
    with open(cfg.path("truth") / "accounts.csv", newline="") as f:
        for row in csv.DictReader(f):
            churn = row["churn_date"] and date.fromisoformat(row["churn_date"])
            if not churn or not (first < churn <= last):
                continue
            alerted = first_alert.get(row["account_id"])
            lead = (churn - alerted).days if alerted is not None and alerted < churn else None
            stats.churners.append({"account_id": row["account_id"], "churn_date": churn.isoformat(),
                                   "first_risk_alert": alerted and alerted.isoformat(), "lead_days": lead})
    return stats


PRECISION_SQL = """
with alerted as (
    select rule, account_id, min(first_as_of) as first_alert from ops.alerts
    where list_contains(?, rule) and account_id is not null group by all
),
truth as (
    select account_id,
           coalesce(try_cast(nullif(churn_date, '') as date), try_cast(nullif(future_churn_date, '') as date)) as churn,
           nullif(decline_start_date, '') is not null or nullif(champion_lost_date, '') is not null
               or has_feature_dip = 'true' as planted_risk
    from read_csv(?, all_varchar = true)
)
select rule, count(*) as accounts,
       count(*) filter (where churn between first_alert and first_alert + 90) as churned_within_90d,
       count(*) filter (where planted_risk or churn >= first_alert) as planted_risk_or_churn
from alerted join truth using (account_id) group by rule order by rule
"""


def risk_alert_precision(con, truth_csv: Path) -> dict:
    """Per risk rule: accounts it alerted on, how many of them churned within 90 days of the first
    alert, and how many carry any planted risk (decline, lost champion, feature dip, later churn);
    plus the same shares over all accounts (the base rates the precision is compared with)."""
    rows = con.execute(PRECISION_SQL, [list(RISK_RULES), str(truth_csv)]).fetchall()
    out = {rule: {"accounts": n, "churned_within_90d": c, "planted_risk_or_churn": p} for rule, n, c, p in rows}
    out["_all_accounts"] = dict(zip(("accounts", "planted_risk"), con.execute(
        "select count(*), count(*) filter (where nullif(decline_start_date, '') is not null "
        "or nullif(champion_lost_date, '') is not null or has_feature_dip = 'true' "
        "or nullif(churn_date, '') is not null or nullif(future_churn_date, '') is not null) "
        "from read_csv(?, all_varchar = true)", [str(truth_csv)]).fetchone()))
    return out


def fresh_generated(root: Path, accounts: int, as_of: date, months: int = 24, seed: int = 7, **sections):
    """A new workspace with generated landing data and truth, nothing loaded yet."""
    from flows.generate.core import generate
    from tests.conftest import make_config

    cfg = make_config(root / "ws", **sections)
    generate(cfg.path("landing"), cfg.path("truth"), accounts=accounts, seed=seed, as_of=as_of, months=months)
    return cfg
