"""generate(): the whole synthetic landing folder plus its planted truth, from one seed."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flows.generate import params as P
from flows.generate.accounts import Accounts, Team, make_accounts, make_team
from flows.generate.billing import (ACTIVE, PAST_DUE, TRIALING, Billing, invoice_columns,
                                    make_billing, subscription_columns)
from flows.generate.contacts import make_contacts
from flows.generate.dates import month_start
from flows.generate.engagement import make_tasks, make_touchpoints
from flows.generate.lifecycle import simulate
from flows.generate.signals import plant
from flows.generate.support import make_surveys, make_tickets
from flows.generate.truth import summarise, truth_columns, write_truth
from flows.generate.usage import write_usage
from flows.generate.writer import write_csv

DEFAULT_EVENTS_PER_ACCOUNT_DAY = 2.5
MODES = ("standard", "hard")
# Stream order is part of the output: append new streams, never reorder.
STREAMS = ("team", "accounts", "lifecycle", "signals", "subscriptions", "invoices", "contacts",
           "touchpoints", "tasks", "tickets", "surveys", "usage")


@dataclass
class GenerateResult:
    """What one generate() call wrote and how fast."""

    rows: dict[str, int]
    files: int
    seconds: float
    rows_per_second: float


def _live_mrr(b: Billing, n: int, as_of: int) -> tuple[np.ndarray, np.ndarray]:
    """(MRR on as_of, has a trialing row) per account, from the visible subscriptions."""
    s = b.subs
    live = np.isin(s["status"], [ACTIVE, PAST_DUE]) & (s["start"] <= as_of) & (s["end"] > as_of)
    monthly = s["amount"] * (1 - np.nan_to_num(s["discount"]) / 100) / np.where(s["interval"] == 1, 12, 1)
    mrr = np.bincount(s["acct"], weights=np.where(live, monthly, 0.0), minlength=n)
    trialing = np.bincount(s["acct"], weights=s["status"] == TRIALING, minlength=n) > 0
    return mrr, trialing


def _account_columns(acc: Accounts, team: Team, lc, mrr, trialing, as_of: int) -> dict:
    """The accounts table, with a lifecycle stage read from billing on as_of."""
    stage = np.select([trialing, (mrr > 0) & (lc.first_paid >= as_of - 60), mrr > 0],
                      ["trial", "onboarding", "customer"], "churned")
    return {
        "account_id": acc.ids, "name": acc.name, "segment": np.asarray(P.SEGMENTS)[acc.segment],
        "industry": np.where(acc.industry >= 0, np.asarray(P.INDUSTRIES)[np.maximum(acc.industry, 0)], ""),
        "region": np.where(acc.region >= 0, np.asarray(P.REGIONS)[np.maximum(acc.region, 0)], ""),
        "created_at": acc.created_sec,
        "owner_csm_id": np.where(acc.owner >= 0, team.ids[np.maximum(acc.owner, 0)], ""),
        "lifecycle_stage": stage,
    }


def _team_columns(team: Team) -> dict:
    """The team table."""
    return {"user_id": team.ids, "name": team.name, "email": team.email,
            "role": np.asarray(["csm", "csl", "renewal_manager", "onboarding_specialist"])[team.role],
            "capacity": team.capacity, "active": team.active}


def _check_dirs(landing: Path, truth: Path) -> None:
    """The planted truth must never be readable by ingest."""
    landing, truth = landing.resolve(), truth.resolve()
    if truth == landing or landing in truth.parents:
        raise ValueError(f"truth_dir {truth} must not be inside landing_dir {landing}")


def _table_builders(acc, team, lc, sig, billing, mrr, trialing, window, rng) -> dict[str, Callable]:
    """One builder per CSV table, in writing order; each returns contract columns."""
    contacts = make_contacts(acc, sig, window, rng["contacts"])
    touchpoints = make_touchpoints(acc, lc, sig, team, window, rng["touchpoints"])
    return {
        "accounts": lambda: _account_columns(acc, team, lc, mrr, trialing, window.end),
        "team": lambda: _team_columns(team),
        "subscriptions": lambda: subscription_columns(billing, acc.ids),
        "invoices": lambda: invoice_columns(billing, acc.ids),
        "contacts": lambda: contacts,
        "touchpoints": lambda: touchpoints,
        "tasks": lambda: make_tasks(acc, lc, billing.subs, touchpoints, team, window, rng["tasks"]),
        "support_tickets": lambda: make_tickets(acc, lc, sig, window, rng["tickets"]),
        "survey_responses": lambda: make_surveys(acc, lc, sig, contacts, window, rng["surveys"]),
    }


def _write_truth(truth_dir, acc, team, lc, sig, mrr, window: P.Window, rows, usage, params) -> int:
    """Truth files, with the churn rate measured against paying account-months in the window."""
    month_ends = np.minimum(month_start(window.sim_months[: window.months] + 1) - 1, window.end)
    usage = usage | {"paying_account_months": sum(int(lc.active_on(int(d)).sum()) for d in month_ends)}
    cols = truth_columns(acc, team, lc, sig, mrr, window)
    return write_truth(truth_dir, cols, team, summarise(cols, rows, params, team, window, usage))


def generate(landing_dir: Path, truth_dir: Path, accounts: int, seed: int, as_of: dt.date,
             months: int, events_per_account_day: float | None = None,
             progress: Callable[[str, int, int], None] | None = None, mode: str = "standard") -> GenerateResult:
    """Write every landing-contract table for a synthetic company, and its planted truth.

    mode "hard" plants churn that follows hidden drivers seen only noisily, and some churn with no
    warning at all (the story: flows/generate/signals.py)."""
    if accounts < 1 or months < 1:
        raise ValueError("accounts and months must be at least 1")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    landing_dir, truth_dir = Path(landing_dir), Path(truth_dir)
    _check_dirs(landing_dir, truth_dir)
    rate = DEFAULT_EVENTS_PER_ACCOUNT_DAY if events_per_account_day is None else events_per_account_day
    report = progress or (lambda stage, done, total: None)
    started = time.perf_counter()
    seeds = np.random.SeedSequence(seed).spawn(len(STREAMS))
    rng = {name: np.random.default_rng(s) for name, s in zip(STREAMS, seeds)}
    window = P.Window(as_of, months)
    team = make_team(accounts, rng["team"])
    acc = make_accounts(accounts, window, team, rng["accounts"])
    lc = simulate(acc, window, rng["lifecycle"])
    sig = plant(acc, lc, window, rng["signals"], mode)
    run_up = None if mode == "standard" else (lc.churn < 0) | (sig.decline_start >= 0)
    billing = make_billing(lc, window, rng["subscriptions"], rng["invoices"], run_up)
    mrr, trialing = _live_mrr(billing, accounts, window.end)
    tables = _table_builders(acc, team, lc, sig, billing, mrr, trialing, window, rng)
    rows = {}
    for i, (name, build) in enumerate(tables.items()):
        rows[name] = write_csv(landing_dir, name, build())
        report(name, i + 1, len(tables))
    usage = write_usage(landing_dir, acc, lc, sig, window, rate, rng["usage"], report)
    rows["usage_events"] = usage["events"]
    params = {"accounts": accounts, "seed": seed, "as_of": as_of.isoformat(), "months": months,
              "events_per_account_day": rate, "mode": mode}
    files = _write_truth(truth_dir, acc, team, lc, sig, mrr, window, rows, usage, params)
    report("truth", 1, 1)
    seconds = time.perf_counter() - started
    return GenerateResult(rows=rows, files=len(tables) + usage["files"] + files, seconds=seconds,
                          rows_per_second=sum(rows.values()) / max(seconds, 1e-9))
