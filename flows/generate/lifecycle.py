"""Subscription lifecycle simulated month by month: trials, starts, changes, churn, reactivation.

Each change is Stripe-style: the current row ends on the change day and a new row starts that day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flows.generate import params as P
from flows.generate.accounts import Accounts
from flows.generate.dates import day_in_month, month_index, month_start

OPEN_ROW, CHURNED, CHANGED, TRIAL_END = 0, 1, 2, 3  # why a row ended
SEG_CHURN = np.array([0.5, 0.8, 1.2])
SEG_EXPAND = np.array([1.5, 1.2, 0.8])
ROW_FIELDS = ("acct", "plan", "interval", "seats", "amount", "discount", "start", "end", "reason")


@dataclass
class Lifecycle:
    """Raw subscription rows (through the hidden horizon) and per-account lifecycle facts."""

    rows: dict[str, np.ndarray]
    first_paid: np.ndarray
    trial: np.ndarray
    trial_only: np.ndarray
    churn: np.ndarray  # first day without a subscription, NONE if never
    reactivation: np.ndarray
    risk: np.ndarray
    seats_by_month: np.ndarray  # main-plan seats at each simulated month end
    months: np.ndarray

    def first_span(self) -> tuple[np.ndarray, np.ndarray]:
        """Start and exclusive end of each account's first trial-or-paid span."""
        start = np.where(self.trial, self.first_paid - 14, self.first_paid)
        end = np.where(self.trial_only, self.first_paid, np.where(self.churn >= 0, self.churn, P.OPEN))
        return start, end

    def active_on(self, day, acct=slice(None)) -> np.ndarray:
        """Whether a paid or trial subscription covers day, per account or per row of acct."""
        start, end = self.first_span()
        react = np.where(self.reactivation >= 0, self.reactivation, P.OPEN)
        return ((start[acct] <= day) & (day < end[acct])) | (react[acct] <= day)

    def spans(self, lo: int, hi: int, tail: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(account, first day, last day) of activity clipped to [lo, hi], ends extended by tail days."""
        start, end = self.first_span()
        back = np.flatnonzero(self.reactivation >= 0)
        acct = np.concatenate([np.arange(len(start)), back])
        first = np.maximum(np.concatenate([start, self.reactivation[back]]), lo)
        last = np.minimum(np.concatenate([end - 1 + tail, np.full(len(back), hi)]), hi)
        keep = first <= last
        return acct[keep], first[keep], last[keep]


def amount_of(plan, interval, seats) -> np.ndarray:
    """Price per billing interval before discount."""
    return np.round(P.SEAT_PRICE[plan] * seats * np.where(interval == 1, P.ANNUAL_MONTHS_BILLED, 1), 2)


class _Sim:
    """Mutable per-account subscription state advanced one month at a time."""

    def __init__(self, acc: Accounts, window: P.Window, rng: np.random.Generator):
        n, seg = len(acc), acc.segment
        self.rng, self.n, self.seg = rng, n, seg
        self.plan = (rng.random(n)[:, None] > P.PLAN_P.cumsum(1)[seg]).sum(1)
        self.interval = (rng.random(n) < P.ANNUAL_P[seg]).astype(np.int64)
        self.seats = self._initial_seats(seg)
        share = np.array([0.35, 0.18, 0.10])[seg]
        u = rng.random(n)
        self.discount = np.where(u < share, rng.integers(5, 31, n).astype(float),
                                 np.where(u < share + 0.15, 0.0, np.nan))
        self.trial = ~acc.preexisting & (rng.random(n) < 0.3)
        self.trial_only = self.trial & (rng.random(n) < 0.15)
        self.created = acc.created_day
        self.first_paid = np.where(acc.preexisting, acc.created_day + rng.integers(0, 30, n),
                                   acc.created_day + np.where(self.trial, 14, 0))
        self.paying = acc.preexisting.copy()
        self.cur_start = np.where(acc.preexisting, self.first_paid, P.NONE)
        self.addon = np.zeros(n, dtype=bool)
        self.addon_start = np.full(n, P.NONE)
        self.addon_amount = np.zeros(n)
        self.churn = np.full(n, P.NONE)
        self.react = np.full(n, P.NONE)
        self.risk = rng.lognormal(-0.32, 0.8, n)
        self.chunks: list[tuple] = []
        # Some older accounts churned during the year before the window; they may come back.
        prior = window.start - rng.integers(1, 300, n)
        self.churn_now(acc.preexisting & (rng.random(n) < 0.08) & (prior > self.first_paid + 30), prior)

    def _initial_seats(self, seg: np.ndarray) -> np.ndarray:
        """Seats by segment: enterprise 100-2000, mid-market 20-200, smb 2-25."""
        u = self.rng.random(self.n)
        ent = np.exp(np.log(100) + u * np.log(20))
        mid = np.exp(np.log(20) + u * np.log(10))
        smb = 2 + np.floor(u * 24)
        return np.round(np.select([seg == 0, seg == 1], [ent, mid], smb)).astype(np.int64)

    def emit(self, mask, end, reason, trial=False) -> None:
        """Record the current main row of masked accounts as ending on end."""
        i = np.flatnonzero(mask)
        amount = np.zeros(len(i)) if trial else amount_of(self.plan[i], self.interval[i], self.seats[i])
        start = self.created[i] if trial else self.cur_start[i]
        self.chunks.append((i, self.plan[i], self.interval[i], self.seats[i], amount,
                            self.discount[i], start, np.broadcast_to(end, mask.shape)[i], reason))

    def emit_addon(self, mask, end, reason) -> None:
        """Record the add-on rows of masked accounts as ending on end."""
        i = np.flatnonzero(mask & self.addon)
        k = len(i)
        self.chunks.append((i, np.full(k, P.ADDON), np.zeros(k, np.int64), np.zeros(k, np.int64),
                            self.addon_amount[i], np.full(k, np.nan), self.addon_start[i],
                            np.broadcast_to(end, mask.shape)[i], reason))

    def start_new(self, ms: int, me: int) -> None:
        """Accounts created this month: an optional 14-day trial, then a paid row."""
        new = (self.cur_start == P.NONE) & (self.churn == P.NONE) & (self.created >= ms) & (self.created < me)
        self.emit(new & self.trial, self.created + 14, TRIAL_END, trial=True)
        starts = new & ~self.trial_only
        self.paying |= starts
        self.cur_start = np.where(starts, self.first_paid, self.cur_start)

    def step(self, m: int) -> None:
        """Advance one month: churn, expansion, contraction, plan switch, add-ons, reactivation."""
        rng, n = self.rng, self.n
        ms, me = int(month_start(m)), int(month_start(m + 1))
        self.start_new(ms, me)
        old = self.paying & (self.cur_start < ms)
        anchor = ms + np.minimum(day_in_month(np.maximum(self.cur_start, 0)), me - ms - 1)
        any_day = rng.integers(ms, me, n)
        anniv = (self.interval == 1) & (month_index(np.maximum(self.cur_start, 0)) % 12 == m % 12) \
            & (self.cur_start <= ms - 300)
        p_churn = np.where(self.interval == 0, 0.02, np.where(anniv, 0.14, 0.0)) \
            * SEG_CHURN[self.seg] * self.risk * (self.react == P.NONE)
        p_expand = 0.035 * SEG_EXPAND[self.seg] * np.where(self.interval == 1, 0.5, 1.0)
        p_contract = np.where(self.interval == 0, 0.015, np.where(anniv, 0.15, 0.0))
        p_switch = np.where(anniv, 0.2, 0.0)
        edges = np.cumsum([p_churn, p_expand, p_contract, p_switch], axis=0)
        u = rng.random(n)
        kind = (u[None, :] >= edges).sum(0)  # 0 churn, 1 expand, 2 contract, 3 switch, 4 none
        self.churn_now(old & (kind == 0), anchor)
        self.resize(old & (kind == 1), any_day, up=True)
        self.resize(old & (kind == 2), np.where(self.interval == 1, anchor, any_day), up=False)
        self.change(old & (kind == 3), anchor, interval=np.zeros(n, np.int64))
        self.add_addons(old & (kind != 0), any_day)
        self.reactivate(m, any_day)

    def churn_now(self, mask, day) -> None:
        """End every row of masked accounts on day."""
        self.emit(mask, day, CHURNED)
        self.emit_addon(mask, day, CHURNED)
        self.paying &= ~mask
        self.addon &= ~mask
        self.churn = np.where(mask & (self.churn == P.NONE), day, self.churn)

    def change(self, mask, day, plan=None, seats=None, interval=None) -> None:
        """Close the current row and open a changed one the same day."""
        self.emit(mask, day, CHANGED)
        if plan is not None:
            self.plan = np.where(mask, plan, self.plan)
        if seats is not None:
            self.seats = np.where(mask, seats, self.seats)
        if interval is not None:
            self.interval = np.where(mask, interval, self.interval)
        self.cur_start = np.where(mask, day, self.cur_start)

    def resize(self, mask, day, up: bool) -> None:
        """Expansion (more seats or a plan upgrade) or contraction (fewer seats or a downgrade)."""
        rng, n = self.rng, self.n
        by_plan = rng.random(n) < (0.25 if up else 0.3)
        if up:
            by_plan &= self.plan < 2
            seats = np.minimum(50_000, np.ceil(self.seats * rng.uniform(1.1, 1.6, n))).astype(np.int64)
            plan = np.where(by_plan, self.plan + 1, self.plan)
        else:
            by_plan &= self.plan > 0
            seats = np.maximum(1, np.floor(self.seats * rng.uniform(0.55, 0.9, n))).astype(np.int64)
            plan = np.where(by_plan, self.plan - 1, self.plan)
            mask = mask & (by_plan | (seats < self.seats))
        self.change(mask, day, plan=plan, seats=np.where(by_plan, self.seats, seats))

    def add_addons(self, mask, day) -> None:
        """A few larger accounts buy a premium-support add-on: a second, overlapping subscription."""
        p = np.array([0.012, 0.006, 0.0])[self.seg]
        new = mask & ~self.addon & (self.rng.random(self.n) < p)
        mrr = amount_of(self.plan, self.interval, self.seats) / np.where(self.interval == 1, 12, 1)
        self.addon_amount = np.where(new, np.round(np.maximum(50.0, 0.1 * mrr)), self.addon_amount)
        self.addon_start = np.where(new, day, self.addon_start)
        self.addon |= new

    def reactivate(self, m: int, day) -> None:
        """Some churned accounts come back after at least one whole month without MRR."""
        rng, n = self.rng, self.n
        gap_ok = (self.churn != P.NONE) & (month_index(np.maximum(self.churn, 0)) <= m - 2)
        back = ~self.paying & gap_ok & (self.react == P.NONE) & (rng.random(n) < 0.08)
        self.seats = np.where(back, np.maximum(1, np.round(self.seats * rng.uniform(0.5, 1.0, n))),
                              self.seats).astype(np.int64)
        self.interval = np.where(back & (rng.random(n) < 0.8), 0, self.interval)
        self.cur_start = np.where(back, day, self.cur_start)
        self.react = np.where(back, day, self.react)
        self.paying |= back

    def rows(self) -> dict[str, np.ndarray]:
        """All emitted rows plus the rows still open, as column arrays."""
        self.emit(self.paying, P.OPEN, OPEN_ROW)
        self.emit_addon(self.paying, P.OPEN, OPEN_ROW)
        cols = [np.concatenate([np.broadcast_to(np.asarray(c[k]), len(c[0])) for c in self.chunks])
                for k in range(len(ROW_FIELDS))]
        return dict(zip(ROW_FIELDS, cols))


def simulate(acc: Accounts, window: P.Window, rng: np.random.Generator) -> Lifecycle:
    """Run the lifecycle from the window start through the hidden horizon."""
    sim = _Sim(acc, window, rng)
    months = window.sim_months
    seats = np.zeros((len(acc), len(months)), dtype=np.int32)
    for i, m in enumerate(months):
        sim.step(int(m))
        seats[:, i] = sim.seats
    return Lifecycle(rows=sim.rows(), first_paid=sim.first_paid, trial=sim.trial,
                     trial_only=sim.trial_only, churn=sim.churn, reactivation=sim.react,
                     risk=sim.risk, seats_by_month=seats, months=months)
