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
    opened_per_day: list[int] = field(default_factory=list)
    opened_non_task_per_day: list[int] = field(default_factory=list)  # without task_due / task_overdue
    task_alerts_over_tasks: int = 0  # task alerts without a task behind them (must be 0)
    resolved_per_day: list[int] = field(default_factory=list)
    digests_per_day: list[int] = field(default_factory=list)
    phase_changes_per_day: list[int] = field(default_factory=list)
    accounts: int = 0
    churners: list[dict] = field(default_factory=list)  # account, churn_date, first risk alert, lead days
    duplicate_alerts: int = 0
    duplicate_emails: int = 0

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
        per_day = dict(con.execute(
            "select first_as_of, count(*) from ops.alerts where rule not in ('task_due', 'task_overdue') "
            "group by 1").fetchall())
        stats.opened_non_task_per_day = [per_day.get(date.fromisoformat(d), 0) for d in stats.days]
        stats.task_alerts_over_tasks = con.execute(
            "select count(*) from ops.alerts a where a.rule in ('task_due', 'task_overdue') and not exists ("
            "select 1 from ops.tasks t where t.task_id = a.subject union all "
            "select 1 from staging.stg_crm__tasks c where c.task_id = a.subject)").fetchone()[0]
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


def fresh_generated(root: Path, accounts: int, as_of: date, months: int = 24, seed: int = 7, **sections):
    """A new workspace with generated landing data and truth, nothing loaded yet."""
    from flows.generate.core import generate
    from tests.conftest import make_config

    cfg = make_config(root / "ws", **sections)
    generate(cfg.path("landing"), cfg.path("truth"), accounts=accounts, seed=seed, as_of=as_of, months=months)
    return cfg
