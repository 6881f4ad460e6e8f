"""Accounts and the customer-success team, with account ownership."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flows.generate import params as P
from flows.generate import vocab as V
from flows.generate.writer import ids, join, pick


@dataclass
class Accounts:
    """Per-account attributes as parallel arrays, ordered by creation."""

    ids: np.ndarray
    number: np.ndarray
    segment: np.ndarray
    industry: np.ndarray  # index into INDUSTRIES, -1 unknown
    region: np.ndarray  # index into REGIONS, -1 unknown
    created_day: np.ndarray
    created_sec: np.ndarray
    preexisting: np.ndarray
    name: np.ndarray
    domain: np.ndarray
    owner: np.ndarray  # index into Team, -1 unowned

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Team:
    """Customer-success team members; role indexes contract TEAM_ROLES."""

    ids: np.ndarray
    role: np.ndarray
    name: np.ndarray
    email: np.ndarray
    capacity: np.ndarray
    active: np.ndarray
    late_csm: int  # index of the planted deadline-missing CSM

    def members(self, role: int) -> np.ndarray:
        """Indices of active members with a role."""
        return np.flatnonzero((self.role == role) & self.active)


def make_accounts(n: int, window: P.Window, team: Team, rng: np.random.Generator) -> Accounts:
    """Draw n accounts: ~45% created before the window (up to five years), the rest inside it."""
    pre = rng.random(n) < 0.45
    created = np.where(pre, window.start - rng.integers(60, 5 * 365, n),
                       rng.integers(window.start, window.end + 1, n))
    order = np.argsort(created, kind="stable")
    created, pre = created[order], pre[order]
    segment = rng.choice(3, n, p=P.SEGMENT_P)
    industry = np.where(rng.random(n) < 0.02, -1, rng.integers(0, len(P.INDUSTRIES), n))
    region = np.where(rng.random(n) < 0.01, -1, rng.choice(4, n, p=P.REGION_P))
    words = [pick(rng, w, n) for w in (V.COMPANY_A, V.COMPANY_B, V.COMPANY_C)]
    name = join(words[0], " ", words[1], " ", words[2])
    domain = join(np.strings.lower(join(words[0], words[1])), np.arange(1, n + 1).astype(str), ".example")
    csms = team.members(0)
    owner = np.where(rng.random(n) < 0.05, -1, csms[rng.integers(0, len(csms), n)])
    return Accounts(
        ids=ids("A", n, 6), number=np.arange(1, n + 1, dtype=np.int64), segment=segment,
        industry=industry, region=region, created_day=created,
        created_sec=created * 86400 + rng.integers(8 * 3600, 19 * 3600, n), preexisting=pre,
        name=name, domain=domain, owner=owner,
    )


def make_team(n_accounts: int, rng: np.random.Generator) -> Team:
    """About one CSM per 50 accounts (at least 3), 1-2 leaders, renewal and onboarding staff."""
    n_csm = max(3, round(n_accounts / 50))
    counts = [n_csm, 1 if n_accounts < 5000 else 2, max(1, n_csm // 8), max(1, n_csm // 6)]
    role = np.repeat(np.arange(4), counts)
    n = len(role)
    first, last = pick(rng, V.FIRST, n), pick(rng, V.LAST, n)
    user_ids = ids("U", n, 3)
    email = join(np.strings.lower(join(first, ".", last, ".", user_ids)), "@steward-cs.example")
    capacity = np.select([role == 0, role == 1], [rng.integers(40, 61, n), 0], rng.integers(80, 151, n))
    active = np.ones(n, dtype=bool)
    if n_csm > 3:  # one former CSM, kept in the CRM as inactive
        active[n_csm - 1] = False
    late = int(rng.integers(0, min(n_csm, 3)))
    return Team(ids=user_ids, role=role, name=join(first, " ", last),
                email=email, capacity=capacity, active=active, late_csm=late)
