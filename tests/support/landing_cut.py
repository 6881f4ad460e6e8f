"""A landing folder as its exports would have looked on an earlier day: the leakage test's input.

Rows that did not exist yet are dropped (events after the day, accounts created later and their
rows); facts that were still in the future are blanked (a subscription ending later is open, an
invoice paid later is open, a ticket closed later is open, a contact who left later is still there).
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd


def _after(series: pd.Series, day: date) -> pd.Series:
    """True where a date/timestamp text falls after `day` (blank is never after)."""
    return pd.to_datetime(series, errors="coerce").dt.date > day


def cut_landing(src: Path, dst: Path, day: date) -> None:
    """Copy landing folder src to dst as known at the end of `day`."""
    read = lambda rel: pd.read_csv(src / rel, dtype=str, keep_default_na=False)  # noqa: E731
    accounts = read("crm/accounts.csv")
    accounts = accounts[~_after(accounts["created_at"], day)]
    known = set(accounts["account_id"])
    tables = {"crm/accounts.csv": accounts, "crm/team.csv": read("crm/team.csv")}

    subs = read("billing/subscriptions.csv")
    subs = subs[~_after(subs["start_date"], day)].copy()
    later = _after(subs["end_date"], day)
    subs.loc[later, "end_date"] = ""
    subs.loc[later & (subs["status"] == "canceled"), "status"] = "active"
    tables["billing/subscriptions.csv"] = subs

    inv = read("billing/invoices.csv")
    inv = inv[~_after(inv["issued_at"], day)].copy()
    paid_later = _after(inv["paid_at"], day)
    inv.loc[paid_later, "paid_at"] = ""
    inv.loc[paid_later, "status"] = "open"
    tables["billing/invoices.csv"] = inv

    contacts = read("crm/contacts.csv").copy()
    for col in ("left_at", "unsubscribed_at"):
        contacts.loc[_after(contacts[col], day), col] = ""
    tables["crm/contacts.csv"] = contacts

    touch = read("crm/touchpoints.csv")
    tables["crm/touchpoints.csv"] = touch[~_after(touch["occurred_at"], day)]
    tasks = read("crm/tasks.csv").copy()
    tasks.loc[_after(tasks["completed_at"], day), "completed_at"] = ""
    tables["crm/tasks.csv"] = tasks

    tickets = read("support/support_tickets.csv")
    tickets = tickets[~_after(tickets["opened_at"], day)].copy()
    closed_later = _after(tickets["closed_at"], day)
    tickets.loc[closed_later, ["closed_at", "csat"]] = ""
    tables["support/support_tickets.csv"] = tickets

    surveys = read("surveys/survey_responses.csv")
    tables["surveys/survey_responses.csv"] = surveys[~_after(surveys["responded_at"], day)]

    for rel, df in tables.items():
        if "account_id" in df.columns and rel != "crm/accounts.csv":
            df = df[df["account_id"].isin(known)]
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(dst / rel, index=False)

    usage_src, usage_dst = src / "product" / "usage_events", dst / "product" / "usage_events"
    usage_dst.mkdir(parents=True, exist_ok=True)
    for part in sorted(usage_src.glob("date=*")):
        if date.fromisoformat(part.name.removeprefix("date=")) <= day:
            shutil.copytree(part, usage_dst / part.name)
