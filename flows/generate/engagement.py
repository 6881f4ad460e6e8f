"""CRM touchpoints on a per-segment cadence, and the tasks the team owns."""

from __future__ import annotations

import numpy as np

from flows.generate import params as P
from flows.generate import vocab as V
from flows.generate.accounts import Accounts, Team
from flows.generate.lifecycle import Lifecycle
from flows.generate.sampling import choice_by_row, expand, seconds
from flows.generate.signals import Signals
from flows.generate.writer import ids, pick

CHANNELS = np.array(["email", "call", "meeting", "qbr"])
CHANNEL_P = np.array([[0.30, 0.30, 0.28, 0.12], [0.40, 0.30, 0.24, 0.06], [0.55, 0.35, 0.10, 0.0]])
CSM, CSL, RENEWAL, ONBOARDING = range(4)


def _any_member(team: Team, role: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """n random active members of a role."""
    pool = team.members(role)
    return pool[rng.integers(0, len(pool), n)]


def make_touchpoints(acc: Accounts, lc: Lifecycle, sig: Signals, team: Team,
                     window: P.Window, rng: np.random.Generator) -> dict:
    """Touchpoints every cadence days; churners are contacted less and sound worse before churn."""
    n = len(acc)
    cadence = P.CADENCE_DAYS[acc.segment] * rng.uniform(0.8, 1.3, n)
    s_acct, lo, hi = lc.spans(window.start, window.end)
    c = cadence[s_acct]
    phase = rng.random(len(s_acct)) * c
    parent, k = expand(np.maximum(0, np.floor((hi - lo - phase) / c) + 1).astype(np.int64))
    acct = s_acct[parent]
    m = len(acct)
    jitter = rng.normal(0, 0.1, m) * c[parent]
    day = np.clip(np.round(lo[parent] + phase[parent] + k * c[parent] + jitter), lo[parent], hi[parent])
    day = day.astype(np.int64)
    health = sig.decline(day, acct)
    keep = rng.random(m) < np.where(health < 1, 0.2 + 0.5 * health, 0.92)
    acct, day, health = acct[keep], day[keep], health[keep]
    m = len(acct)
    sentiment = np.clip(sig.sentiment[acct] + rng.normal(0, 0.2, m) - 1.1 * (1 - health), -1, 1)
    sentiment = np.where(rng.random(m) < 0.1, np.nan, np.round(sentiment, 2))
    user = _touchpoint_owner(acc, lc, team, acct, day, window, rng)
    sec = seconds(day, rng)
    order = np.argsort(sec, kind="stable")
    channel = CHANNELS[choice_by_row(rng, CHANNEL_P[acc.segment[acct]])]
    return {
        "touchpoint_id": ids("T", m, 7), "account_id": acc.ids[acct[order]],
        "user_id": team.ids[user[order]], "occurred_at": sec[order], "channel": channel[order],
        "sentiment": sentiment[order], "_acct": acct[order], "_user": user[order],
    }


def _touchpoint_owner(acc, lc, team, acct, day, window, rng) -> np.ndarray:
    """The owning CSM (or a pooled CSM), onboarding staff early on, sometimes renewal managers."""
    m = len(acct)
    owner = np.where(acc.owner[acct] >= 0, acc.owner[acct], _any_member(team, CSM, m, rng))
    onboarding = (lc.first_paid[acct] >= window.start) & (day < lc.first_paid[acct] + 45)
    u = rng.random(m)
    owner = np.where(onboarding & (u < 0.7), _any_member(team, ONBOARDING, m, rng), owner)
    return np.where(~onboarding & (u < 0.08), _any_member(team, RENEWAL, m, rng), owner)


def make_tasks(acc: Accounts, lc: Lifecycle, subs: dict, tp: dict, team: Team,
               window: P.Window, rng: np.random.Generator) -> dict:
    """Follow-ups from touchpoints, onboarding and renewal tasks; one CSM misses most deadlines."""
    follow = rng.random(len(tp["_acct"])) < 0.4
    f_created = tp["occurred_at"][follow]
    f_due = f_created // 86400 + rng.integers(2, 15, len(f_created))
    new = np.flatnonzero((lc.first_paid >= window.start) & (lc.first_paid <= window.end) & ~lc.trial_only)
    o_acct, o_k = expand(np.full(len(new), len(V.ONBOARDING_TITLES)))
    o_acct = new[o_acct]
    o_created = lc.first_paid[o_acct] * 86400 + 9 * 3600
    renew = np.flatnonzero((subs["interval"] == 1) & (subs["end"] >= P.OPEN) & (subs["status"] != 1)
                           & (subs["renewal"] - 90 <= window.end))
    r_created = (subs["renewal"][renew] - 90) * 86400 + 9 * 3600
    parts = [
        (tp["_acct"][follow], tp["_user"][follow], f_created, f_due,
         pick(rng, V.FOLLOW_UP_TITLES, len(f_due))),
        (o_acct, _any_member(team, ONBOARDING, len(o_acct), rng), o_created,
         lc.first_paid[o_acct] + np.array([7, 14, 21, 30])[o_k], np.asarray(V.ONBOARDING_TITLES)[o_k]),
        (subs["acct"][renew], _any_member(team, RENEWAL, len(renew), rng), r_created,
         subs["renewal"][renew] - 45, pick(rng, V.RENEWAL_TITLES, len(renew))),
    ]
    acct, owner, created, due_day, title = (np.concatenate(c) for c in zip(*parts))
    due = due_day * 86400 + 17 * 3600
    done = _completion(owner == team.late_csm, created, due, window, rng)
    order = np.lexsort((acct, created))
    return {
        "task_id": ids("K", len(acct), 7), "account_id": acc.ids[acct[order]],
        "owner_id": team.ids[owner[order]], "title": title[order], "due_at": due[order],
        "completed_at": done[order], "source": np.full(len(acct), "crm"),
    }


def _completion(late: np.ndarray, created, due, window: P.Window, rng) -> np.ndarray:
    """Completion time: mostly on time; the planted late CSM is mostly late or never done."""
    m = len(late)
    p_on, p_late = np.where(late, 0.2, 0.82), np.where(late, 0.55, 0.12)
    u = rng.random(m)
    on_time = created + (rng.random(m) * (due - created)).astype(np.int64)
    late_at = due + rng.integers(1, 26, m) * 86400 + rng.integers(-8, 4, m) * 3600
    done = np.where(u < p_on, on_time, np.where(u < p_on + p_late, late_at, P.NONE))
    return np.where(done > (window.end + 1) * 86400 - 1, P.NONE, done)
