"""Support tickets and survey responses (NPS yearly, onboarding after go-live)."""

from __future__ import annotations

import numpy as np

from flows.generate import params as P
from flows.generate import vocab as V
from flows.generate.accounts import Accounts
from flows.generate.lifecycle import Lifecycle
from flows.generate.sampling import between, choice_by_row, expand, seconds
from flows.generate.signals import Signals
from flows.generate.writer import ids

PRIORITIES = np.array(["low", "normal", "high", "urgent"])
PRIORITY_P = np.array([[0.30, 0.45, 0.20, 0.05], [0.10, 0.35, 0.35, 0.20]])  # healthy, declining
CLOSE_HOURS = np.array([96.0, 48.0, 20.0, 8.0])
CSAT_P = np.array([[0.03, 0.05, 0.12, 0.35, 0.45], [0.20, 0.25, 0.25, 0.20, 0.10]])


def make_tickets(acc: Accounts, lc: Lifecycle, sig: Signals, window: P.Window,
                 rng: np.random.Generator) -> dict:
    """Tickets at a per-segment rate; declining accounts open more, and more urgent, tickets."""
    s_acct, lo, hi = lc.spans(window.start, window.end)
    rate = P.TICKETS_PER_MONTH[acc.segment[s_acct]] / 30
    parent, _ = expand(rng.poisson(rate * (hi - lo + 1)))
    base_acct, base_day = s_acct[parent], between(rng, lo[parent], hi[parent])
    churner = np.flatnonzero((sig.churn >= 0) & (sig.decline_start >= 0))  # those with a run-up
    d_lo = np.maximum(sig.decline_start[churner], window.start)
    d_hi = np.minimum(sig.churn[churner] - 1, window.end)
    extra = 2 * P.TICKETS_PER_MONTH[acc.segment[churner]] / 30 + 0.03
    parent, _ = expand(rng.poisson(extra * np.maximum(0, d_hi - d_lo + 1)))
    acct = np.concatenate([base_acct, churner[parent]])
    day = np.concatenate([base_day, between(rng, d_lo[parent], d_hi[parent])])
    declining = sig.decline(day, acct) < 1
    m = len(acct)
    priority = choice_by_row(rng, PRIORITY_P[declining.astype(int)])
    opened = seconds(day, rng, 0, 24)
    closed = opened + (rng.exponential(1, m) * CLOSE_HOURS[priority] * 3600).astype(np.int64)
    closed = np.where(closed > (window.end + 1) * 86400 - 1, P.NONE, closed)
    csat = (choice_by_row(rng, CSAT_P[declining.astype(int)]) + 1).astype(float)
    csat = np.where((closed >= 0) & (rng.random(m) < 0.65), csat, np.nan)
    order = np.argsort(opened, kind="stable")
    return {
        "ticket_id": ids("TK", m, 7), "account_id": acc.ids[acct[order]], "opened_at": opened[order],
        "closed_at": closed[order], "priority": PRIORITIES[priority[order]], "csat": csat[order],
    }


def make_surveys(acc: Accounts, lc: Lifecycle, sig: Signals, contacts: dict, window: P.Window,
                 rng: np.random.Generator) -> dict:
    """Yearly NPS from ~35% of reachable contacts and an onboarding survey after go-live."""
    a, n = window.end, len(acc)
    first_nps = window.start + rng.integers(0, 365, n)
    c_acct = contacts["_acct"]
    n_waves = np.where(first_nps[c_acct] <= a, (a - first_nps[c_acct]) // 365 + 1, 0)
    contact, wave = expand(n_waves)
    acct = c_acct[contact]
    day = first_nps[acct] + 365 * wave + rng.integers(0, 10, len(acct))
    left = np.minimum(*(np.where(contacts[k] >= 0, contacts[k] // 86400, P.OPEN)
                        for k in ("left_at", "unsubscribed_at")))
    ok = (day <= a) & lc.active_on(day, acct) & (day < left[contact])
    ok &= rng.random(len(acct)) < 0.35
    contact, acct, day = contact[ok], acct[ok], day[ok]
    nps = _nps_scores(sig, acct, day, rng)
    onb = _onboarding(lc, sig, contacts, window, rng)
    contact = np.concatenate([contact, onb[0]])
    acct, day = c_acct[contact], np.concatenate([day, onb[1]])
    score = np.concatenate([nps, onb[2]])
    survey = np.repeat(["nps", "onboarding"], [len(nps), len(onb[0])])
    comment = np.where(rng.random(len(acct)) < 0.25, np.asarray(V.NPS_COMMENTS)[
        rng.integers(0, len(V.NPS_COMMENTS), len(acct))], "")
    sec = seconds(day, rng, 7, 22)
    order = np.argsort(sec, kind="stable")
    return {
        "response_id": ids("R", len(acct), 7), "account_id": acc.ids[acct[order]],
        "contact_id": contacts["contact_id"][contact[order]], "survey": survey[order],
        "score": score[order], "comment": comment[order], "responded_at": sec[order],
    }


def _nps_scores(sig: Signals, acct, day, rng) -> np.ndarray:
    """NPS 0-10: promoters dominate on healthy accounts, detractors near churn."""
    m = len(acct)
    health = sig.decline(day, acct)
    healthy = 8.4 + 1.5 * (sig.sentiment[acct] - 0.35)
    mean = np.where(health < 1, 3.0 + 3.0 * health, np.where(sig.churn[acct] >= 0, 7.0, healthy))
    return np.clip(np.round(rng.normal(mean, 1.6, m)), 0, 10)


def _onboarding(lc: Lifecycle, sig: Signals, contacts: dict, window: P.Window, rng) -> tuple:
    """(contact, day, score 1-5) from the primary contact 30-45 days after go-live."""
    primary = np.flatnonzero(contacts["is_primary"])
    acct = contacts["_acct"][primary]
    day = lc.first_paid[acct] + rng.integers(30, 46, len(acct))
    ok = (lc.first_paid[acct] >= window.start) & ~lc.trial_only[acct] & (day <= window.end)
    ok &= lc.active_on(day, acct) & (rng.random(len(acct)) < 0.6)
    soon = (sig.churn[acct] >= 0) & (sig.churn[acct] - lc.first_paid[acct] < 180)
    score = np.clip(np.round(rng.normal(np.where(soon, 3.2, 4.1), 0.8)), 1, 5)
    return primary[ok], day[ok], score[ok]
