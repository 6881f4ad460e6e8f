"""CRM contacts: a primary contact, usually one champion, departures and unsubscribes."""

from __future__ import annotations

import numpy as np

from flows.generate import params as P
from flows.generate import vocab as V
from flows.generate.accounts import Accounts
from flows.generate.sampling import between, expand, seconds
from flows.generate.signals import Signals
from flows.generate.writer import ids, join, pick

CHAMPION_ROLES = ("VP Operations", "Head of Data", "Director of Engineering")


def make_contacts(acc: Accounts, sig: Signals, window: P.Window, rng: np.random.Generator) -> dict:
    """2-8 contacts per account; the champion leaves on the planted champion_lost day."""
    lo, hi = np.array([4, 3, 2]), np.array([8, 6, 4])
    count = rng.integers(lo[acc.segment], hi[acc.segment] + 1)
    acct, k = expand(count)
    m = len(acct)
    champion = sig.has_champion[acct] & (k == sig.champion_slot[acct])
    first, last = pick(rng, V.FIRST, m), pick(rng, V.LAST, m)
    email = join(np.strings.lower(join(first, ".", last)), k.astype(str), "@", acc.domain[acct])
    role = np.where(champion, pick(rng, CHAMPION_ROLES, m), pick(rng, V.CONTACT_ROLES, m))
    role = np.where(rng.random(m) < 0.03, "", role)
    created = acc.created_day[acct]
    other_left = np.where(~champion & (rng.random(m) < 0.03),
                          between(rng, np.maximum(window.start, created + 30), window.end), P.NONE)
    left = np.where(champion, sig.champion_lost[acct], other_left)
    unsub = np.where(rng.random(m) < 0.03, between(rng, created, window.end), P.NONE)
    return {
        "contact_id": ids("C", m, 7), "account_id": acc.ids[acct], "email": email,
        "name": join(first, " ", last), "role": role,
        "is_champion": champion, "is_primary": k == 0,
        "left_at": seconds(left, rng, 9, 18), "unsubscribed_at": seconds(unsub, rng, 0, 24),
        "_acct": acct,
    }
