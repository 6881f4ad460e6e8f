"""Subscriptions as seen on as_of, and the invoices they produced."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flows.generate import params as P
from flows.generate.dates import add_months, month_index, next_anniversary
from flows.generate.lifecycle import CHURNED, TRIAL_END, Lifecycle
from flows.generate.writer import ids

STATUSES = np.array(["active", "trialing", "past_due", "canceled"])
ACTIVE, TRIALING, PAST_DUE, CANCELED = range(4)
INVOICE_STATUSES = np.array(["paid", "open", "void", "uncollectible"])


@dataclass
class Billing:
    """Visible subscription rows and invoices, keyed by account index."""

    subs: dict[str, np.ndarray]
    invoices: dict[str, np.ndarray]


def visible_subscriptions(lc: Lifecycle, window: P.Window, rng: np.random.Generator) -> dict:
    """Clip simulated rows to what billing shows on as_of; later changes are not yet known."""
    a = window.end
    r = {k: v[lc.rows["start"] <= a] for k, v in lc.rows.items()}
    order = np.lexsort((r["plan"], r["acct"], r["start"]))
    r = {k: v[order] for k, v in r.items()}
    # About half of the cancellations due within 45 days are already scheduled (cancel at period end).
    soon = (lc.churn > a) & (lc.churn - a <= 45) & (rng.random(len(lc.churn)) < 0.5)
    future = r["end"] > a
    scheduled = future & (r["reason"] == CHURNED) & soon[r["acct"]]
    trial = r["reason"] == TRIAL_END
    end = np.where(future & ~scheduled, P.OPEN, r["end"])
    status = np.where(end <= a, CANCELED, np.where(trial, TRIALING, ACTIVE))
    step = np.where(r["interval"] == 1, 12, 1)
    renewal = np.where((end <= a) | scheduled | trial, r["end"], next_anniversary(r["start"], a, step))
    r.update(end=end, status=status, renewal=renewal, scheduled=scheduled)
    return r


def _periods(subs: dict, window: P.Window) -> tuple[np.ndarray, np.ndarray]:
    """(row index, period start) for every billing period of paid rows issued inside the window."""
    start, step = subs["start"], np.where(subs["interval"] == 1, 12, 1)
    last_day = np.minimum(subs["end"], window.end + 1) - 1
    k_lo = np.maximum(0, (month_index(window.start) - month_index(start)) // step)
    k_hi = (month_index(last_day) - month_index(start)) // step
    k_hi = np.where(add_months(start, k_hi * step) > last_day, k_hi - 1, k_hi)
    n = np.where(subs["amount"] > 0, np.maximum(0, k_hi - k_lo + 1), 0)
    row = np.repeat(np.arange(len(start)), n)
    k = k_lo[row] + np.arange(len(row)) - np.repeat(np.cumsum(n) - n, n)
    issued = add_months(start[row], k * step[row])
    keep = issued >= window.start
    return row[keep], issued[keep]


def make_invoices(subs: dict, lc: Lifecycle, window: P.Window, rng: np.random.Generator,
                  run_up: np.ndarray | None = None) -> dict:
    """Invoices per billing period: due 30 days after issue, mostly paid on time.

    run_up (per account, default all): churners whose invoices go unpaid in the run-up to churn."""
    a = window.end
    row, issued = _periods(subs, window)
    order = np.lexsort((subs["acct"][row], issued))
    row, issued = row[order], issued[order]
    acct, n = subs["acct"][row], len(row)
    churn = lc.churn[acct]
    near_churn = (churn >= 0) & (issued >= churn - 120) & (issued < churn)
    if run_up is not None:
        near_churn &= run_up[acct]
    unpaid = rng.random(n) < np.where(near_churn, 0.4, np.where(lc.risk[acct] > 2, 0.03, 0.012))
    void = ~unpaid & (rng.random(n) < 0.004)
    delay = np.where(rng.random(n) < 0.05, rng.integers(31, 61, n), np.floor(29 * rng.random(n) ** 2))
    due = issued + 30
    # Outside the run-up to churn, a missed payment is usually collected a month or two later.
    collected = unpaid & ~near_churn & (rng.random(n) < 0.85)
    delay = np.where(collected, rng.integers(40, 76, n), delay)
    unpaid &= ~collected
    paid = np.where(unpaid | void, P.NONE, issued + delay.astype(np.int64))
    paid = np.where(paid > a, P.NONE, paid)
    lost = unpaid & (churn >= 0) & (churn <= a) & (due < a - 60) & (rng.random(n) < 0.6)
    status = np.select([void, paid >= 0, lost], [2, 0, 3], 1)
    disc = np.nan_to_num(subs["discount"][row]) / 100
    amount = np.round(subs["amount"][row] * (1 - disc), 2)
    return dict(row=row, acct=acct, issued=issued, due=due, paid=paid, amount=amount, status=status)


def make_billing(lc: Lifecycle, window: P.Window, rng_subs, rng_inv, run_up: np.ndarray | None = None) -> Billing:
    """Subscriptions and invoices; a live row with an overdue open invoice is past_due."""
    subs = visible_subscriptions(lc, window, rng_subs)
    inv = make_invoices(subs, lc, window, rng_inv, run_up)
    overdue = np.zeros(len(subs["acct"]), dtype=bool)
    overdue[inv["row"][(inv["status"] == 1) & (inv["due"] < window.end)]] = True
    subs["status"] = np.where(overdue & (subs["status"] == ACTIVE), PAST_DUE, subs["status"])
    return Billing(subs=subs, invoices=inv)


def subscription_columns(b: Billing, account_ids: np.ndarray) -> dict[str, np.ndarray]:
    """The subscriptions table in contract columns."""
    s = b.subs
    n = len(s["acct"])
    return {
        "subscription_id": ids("S", n, 7), "account_id": account_ids[s["acct"]],
        "plan": np.asarray(P.PLANS)[s["plan"]],
        "billing_interval": np.where(s["interval"] == 1, "year", "month"),
        "amount": s["amount"], "currency": np.full(n, "USD"), "seats": s["seats"],
        "start_date": s["start"], "end_date": np.where(s["end"] >= P.OPEN, P.NONE, s["end"]),
        "renewal_date": s["renewal"], "status": STATUSES[s["status"]], "discount_pct": s["discount"],
    }


def invoice_columns(b: Billing, account_ids: np.ndarray) -> dict[str, np.ndarray]:
    """The invoices table in contract columns."""
    v = b.invoices
    return {
        "invoice_id": ids("I", len(v["acct"]), 8), "account_id": account_ids[v["acct"]],
        "issued_at": v["issued"], "due_at": v["due"], "paid_at": v["paid"],
        "amount": v["amount"], "status": INVOICE_STATUSES[v["status"]],
    }
