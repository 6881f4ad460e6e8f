"""Planted per-account behaviour: churn decline, champion loss, usage dips and usage habits.

Two modes. In the standard mode every churner slides visibly before it leaves (usage, touchpoints,
sentiment, tickets and payments decline 45-120 days ahead, three in four lose their champion first):
the health score reads those very signals, so it separates churners almost perfectly.

The hard mode (`generate(..., mode="hard")`) tells a less convenient story:
- churn follows a hidden driver, the account's `risk` (drawn in the lifecycle), which nobody
  observes; it shows only noisily, through lower seat utilisation, narrower feature use and cooler
  sentiment, and through when the account can leave (annual plans only at their anniversary);
- only about half of the churners slide visibly first, later (30-90 days ahead) and less deeply
  (usage falls to about half, not to an eighth); half of those lose their champion first;
- the rest churn with no run-up at all (a budget cut, an acquisition): unpredictable beyond their
  hidden risk;
- healthy accounts are noisier: more temporary usage dips, more champions leaving without churn.
So neither the health score nor a model can be near-perfect by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flows.generate import params as P
from flows.generate.accounts import Accounts
from flows.generate.lifecycle import Lifecycle
from flows.generate.sampling import between


@dataclass
class Signals:
    """What each account does, decided before any engagement or usage row is drawn."""

    churn: np.ndarray  # first churn day, possibly after as_of
    decline_start: np.ndarray
    has_champion: np.ndarray
    champion_slot: np.ndarray  # which contact (0 or 1) is the champion
    champion_lost: np.ndarray
    noise_dip_start: np.ndarray
    noise_dip_end: np.ndarray
    dip_feature: np.ndarray  # index into FEATURES, -1 none
    dip_start: np.ndarray
    utilisation: np.ndarray
    breadth: np.ndarray
    feature_order: np.ndarray  # (accounts, features) preference order
    sentiment: np.ndarray
    floor: float = 0.12  # usage multiplier reached on the churn day

    def decline(self, day, acct=slice(None)) -> np.ndarray:
        """Health multiplier on a day (per account, or per row of acct): 1 healthy, `floor` at churn."""
        churn = np.where(self.churn >= 0, self.churn, P.OPEN)[acct]
        start = self.decline_start[acct]
        inside = (start >= 0) & (start <= day) & (day < churn)
        frac = (churn - day) / np.maximum(1, churn - start)
        return np.where(inside, self.floor + (1 - self.floor) * frac**2, 1.0)

    def noise(self, day) -> np.ndarray:
        """Usage multiplier of the temporary random dips planted on healthy accounts."""
        return np.where((self.noise_dip_start <= day) & (day < self.noise_dip_end), 0.4, 1.0)


def plant(acc: Accounts, lc: Lifecycle, window: P.Window, rng: np.random.Generator,
          mode: str = "standard") -> Signals:
    """Draw every planted signal from one stream so usage volume never changes them."""
    n, a = len(acc), window.end
    churner = lc.churn >= 0
    # Usage, touchpoints and sentiment start sliding 45-120 days before churn (not before go-live).
    decline_start = np.maximum(lc.churn - rng.integers(45, 121, n), lc.first_span()[0])
    decline_start = np.where(churner, decline_start, P.NONE)
    has_champion = rng.random(n) < 0.85
    slot = (rng.random(n) < 0.5).astype(np.int64)
    lost_before_churn = lc.churn - rng.integers(30, 91, n)
    lost_before_churn = np.where(lost_before_churn <= acc.created_day, P.NONE, lost_before_churn)
    random_loss = between(rng, np.maximum(window.start, acc.created_day + 30), a)
    lost = np.where(churner, np.where(rng.random(n) < 0.75, lost_before_churn, P.NONE),
                    np.where(rng.random(n) < 0.04, random_loss, P.NONE))
    lost = np.where(has_champion & (lost <= a), lost, P.NONE)
    dip_s = between(rng, np.maximum(window.start, lc.first_paid + 30), a)
    dip_s = np.where(~churner & (rng.random(n) < 0.12), dip_s, P.NONE)
    dip_e = np.where(dip_s >= 0, dip_s + rng.integers(14, 36, n), P.NONE)
    lo, hi = P.BREADTH_RANGE[acc.segment].T
    breadth = rng.integers(lo, hi)
    keys = -np.log(rng.random((n, len(P.FEATURES)))) / P.FEATURE_WEIGHT
    order = np.argsort(keys, axis=1).astype(np.int8)
    feature_dip = _feature_dip(acc, lc, window, ~churner & (dip_s < 0) & (lost < 0), order, rng)
    floor = 0.12
    if mode == "hard":
        # Drawn after every standard draw, so the standard mode's output never changes.
        visible = churner & (rng.random(n) < 0.5)
        lead = rng.integers(30, 91, n)
        decline_start = np.where(visible, np.maximum(lc.churn - lead, lc.first_span()[0]), P.NONE)
        keep_loss = visible & (rng.random(n) < 0.5 / 0.75)
        noisy_loss = np.where(~churner & has_champion & (rng.random(n) < 0.05), random_loss, P.NONE)
        lost = np.where(churner, np.where(keep_loss, lost, P.NONE), np.where(lost >= 0, lost, noisy_loss))
        lost = np.where(lost <= a, lost, P.NONE)
        extra_dip = ~churner & (dip_s < 0) & (rng.random(n) < 0.1)
        dip_s = np.where(extra_dip, between(rng, np.maximum(window.start, lc.first_paid + 30), a), dip_s)
        dip_e = np.where(dip_s >= 0, np.where(dip_e >= 0, dip_e, dip_s + rng.integers(14, 36, n)), P.NONE)
        floor = 0.5
    return Signals(
        churn=lc.churn, decline_start=decline_start, has_champion=has_champion, champion_slot=slot,
        champion_lost=lost, noise_dip_start=dip_s, noise_dip_end=dip_e,
        dip_feature=feature_dip[0], dip_start=feature_dip[1],
        # Accounts at higher churn risk adopt less and sound cooler long before any decline.
        utilisation=np.clip(rng.beta(5, 3, n) * lc.risk**-0.5, 0.05, 1.0),
        breadth=np.clip(np.round(breadth * lc.risk**-0.2), 2, len(P.FEATURES)).astype(np.int64),
        feature_order=order,
        sentiment=np.clip(rng.normal(0.35, 0.2, n) - 0.2 * np.log(lc.risk), -0.5, 0.9),
        floor=floor,
    )


def _feature_dip(acc, lc, window, eligible, order, rng) -> tuple[np.ndarray, np.ndarray]:
    """About 5% of healthy, established accounts stop using one of their top-two features."""
    n, a = len(acc), window.end
    eligible = eligible & ~lc.trial_only & (lc.first_paid <= a - 90) & lc.active_on(a)
    chosen = eligible & (rng.random(n) < 0.05)
    feature = order[np.arange(n), rng.integers(0, 2, n)].astype(np.int64)
    start = a - rng.integers(18, 25, n)
    return np.where(chosen, feature, -1), np.where(chosen, start, P.NONE)
