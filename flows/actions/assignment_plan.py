"""Ownership planning, pure: who should hold which role, and which pooled to-dos to open or close.

plan_assignments diffs actions.fct_account_roles_required (what each account needs) against the
current ops.assignments rows: who gets a role nobody holds (CRM owner, previous holder, least
load ÷ capacity) and stickiness (a current holder stays while needed and still a candidate, so
nothing flaps between runs). plan_pool_contacts does the pooled accounts' contact cadence.
Nothing here reads or writes the warehouse (flows/actions/assignments.py does).
"""

from __future__ import annotations

import hashlib
import heapq
from dataclasses import dataclass, field
from datetime import date

OWNER_ROLES = ("csm", "pool")
POOLED_CONTACT = "pooled_contact"
_LIFECYCLE = {"new": "new account", "reactivated": "reactivated account"}


@dataclass(frozen=True)
class Need:
    """One row of actions.fct_account_roles_required: an account needs a role."""

    account_id: str
    role: str
    segment: str
    reason: str
    lifecycle: str = "existing"
    assign_to: str | None = None      # the rule names the holder outright (pools)
    crm_owner_id: str | None = None
    arr: float = 0.0


@dataclass(frozen=True)
class Holding:
    """A current (unreleased) row of ops.assignments."""

    account_id: str
    role: str
    user_id: str
    assigned_as_of: date


@dataclass(frozen=True)
class Candidate:
    """Someone who may hold a role for a segment's accounts (actions.fct_ownership_candidates)."""

    user_id: str
    capacity: int | None


@dataclass(frozen=True)
class Assign:
    account_id: str
    role: str
    user_id: str
    reason: str


@dataclass(frozen=True)
class Release:
    holding: Holding
    reason: str


@dataclass
class AssignmentPlan:
    """What reconciling changes; `keep` and `assign` together are the holdings after the run."""

    assign: list[Assign] = field(default_factory=list)
    release: list[Release] = field(default_factory=list)
    keep: list[Holding] = field(default_factory=list)
    unfilled: list[tuple[Need, str]] = field(default_factory=list)
    over_capacity: dict[str, tuple[int, int]] = field(default_factory=dict)  # user -> (accounts, capacity)


class _Loads:
    """Accounts and ARR each person holds, updated as picks are made; ranks candidates by load ÷ capacity."""

    def __init__(self, capacity: dict[str, int], balance_by: str) -> None:
        self.capacity = capacity
        self.balance_by = balance_by
        self.count: dict[str, int] = {}
        self.arr: dict[str, float] = {}
        self._heaps: dict[tuple[str, str], list] = {}

    def add(self, user_id: str, arr: float) -> None:
        self.count[user_id] = self.count.get(user_id, 0) + 1
        self.arr[user_id] = self.arr.get(user_id, 0.0) + arr

    def has_room(self, user_id: str) -> bool:
        return self.count.get(user_id, 0) < self.capacity.get(user_id, 0)

    def key(self, user_id: str) -> tuple:
        cap = self.capacity[user_id]
        by_count = self.count.get(user_id, 0) / cap
        if self.balance_by == "arr":
            return (self.arr.get(user_id, 0.0) / cap, by_count, user_id)
        return (by_count, user_id)

    def least_loaded(self, group: tuple[str, str], candidates: list[Candidate]) -> str | None:
        """The candidate with the lowest load ÷ capacity (ties: user_id); capacity 0 never picked.

        One heap per (segment, role); loads only grow during a run, so a stale entry is simply
        re-pushed with its current key (lazy update) and the pick stays exact.
        """
        heap = self._heaps.get(group)
        if heap is None:
            heap = [(self.key(c.user_id), c.user_id) for c in candidates if self.capacity.get(c.user_id, 0) > 0]
            heapq.heapify(heap)
            self._heaps[group] = heap
        while heap:
            key, user_id = heap[0]
            current = self.key(user_id)
            if key == current:
                return user_id
            heapq.heapreplace(heap, (current, user_id))
        return None

    def describe(self, user_id: str) -> str:
        cap = self.capacity.get(user_id, 0)
        if self.balance_by == "arr":
            return f"held ARR {self.arr.get(user_id, 0.0):,.0f} at capacity {cap}"
        return f"held {self.count.get(user_id, 0)} accounts of capacity {cap}"


def _release_reason(h: Holding, need: Need | None, roles_of_account: set[str], phase: str | None,
                    segment: str | None, team: dict[str, tuple[str, bool]],
                    eligible: dict[tuple[str, str], frozenset[str]]) -> str | None:
    """Why a current holding must go, or None to keep it."""
    if need is None:
        if phase is None:
            return "account not in the CRM at as_of"
        if phase == "churned":
            return "account churned"
        if h.role == "onboarding_specialist":
            return "onboarding period over"
        if h.role == "renewal_manager":
            return "no renewal inside the window"
        if h.role == "csm" and "pool" in roles_of_account:
            return f"segment {segment} is pooled"
        if h.role == "pool" and "csm" in roles_of_account:
            return f"segment {segment} is not pooled"
        return f"role {h.role} no longer required"
    if need.assign_to is not None:
        return None if h.user_id == need.assign_to else f"moved to {need.assign_to}"
    if h.user_id not in eligible.get((need.segment, need.role), frozenset()):
        member = team.get(h.user_id)
        if member is None:
            return f"{h.user_id} is not in the team"
        if not member[1]:
            return f"{h.user_id} is inactive"
        return f"{h.user_id} is not a {need.role} candidate for {need.segment}"
    return None


def plan_assignments(
    needs: list[Need],
    current: list[Holding],
    candidates: dict[tuple[str, str], list[Candidate]],
    *,
    team: dict[str, tuple[str, bool]] | None = None,
    phases: dict[str, tuple[str, str | None]] | None = None,
    previous: dict[tuple[str, str], str] | None = None,
    balance_by: str = "accounts",
    follow_crm_owner: bool = True,
) -> AssignmentPlan:
    """Pure: the changes that make `current` holdings match `needs`. Deterministic.

    candidates: (segment, role) -> who may hold it; team: user_id -> (role, active), for reasons;
    phases: account_id -> (phase, segment), for reasons; previous: (account_id, role) -> the last
    released holder. A current holder is kept while the role is needed and they are a candidate
    (and, for csm with follow_crm_owner, the CRM names nobody else eligible): loads shifting never
    moves an account. A role nobody holds goes to, in order: the rule's named holder (pools); the
    CRM owner if a candidate; the previous holder if a candidate with room; the least loaded.
    """
    team, phases, previous = team or {}, phases or {}, previous or {}
    plan = AssignmentPlan()
    wanted = {(n.account_id, n.role): n for n in needs}
    roles_by_account: dict[str, set[str]] = {}
    for n in needs:
        roles_by_account.setdefault(n.account_id, set()).add(n.role)
    eligible = {group: frozenset(c.user_id for c in cands) for group, cands in candidates.items()}
    nobody: frozenset[str] = frozenset()
    capacity: dict[str, int] = {}
    for group in candidates.values():
        for c in group:
            capacity[c.user_id] = max(capacity.get(c.user_id, 0), c.capacity or 0)
    loads = _Loads(capacity, balance_by)

    held: dict[tuple[str, str], Holding] = {}
    replaced: dict[tuple[str, str], str] = {}
    for h in sorted(current, key=lambda h: (h.account_id, h.role, h.assigned_as_of, h.user_id)):
        key = (h.account_id, h.role)
        need = wanted.get(key)
        phase, segment = phases.get(h.account_id, (None, None))
        reason = _release_reason(h, need, roles_by_account.get(h.account_id, set()), phase, segment, team,
                                 eligible)
        if reason is None and key in held:
            reason = f"duplicate {h.role} holding (kept {held[key].user_id})"
        if (reason is None and need is not None and need.role == "csm" and follow_crm_owner
                and need.crm_owner_id and need.crm_owner_id != h.user_id
                and need.crm_owner_id in eligible.get((need.segment, need.role), nobody)):
            reason = f"CRM owner is now {need.crm_owner_id}"
        if reason is None:
            held[key] = h
            plan.keep.append(h)
            loads.add(h.user_id, need.arr)
        else:
            plan.release.append(Release(h, reason))
            replaced.setdefault(key, f"{h.user_id} ({reason})")

    open_needs = [n for k, n in sorted(wanted.items()) if k not in held]

    def assign(n: Need, user_id: str, how: str | None) -> None:
        parts = [_LIFECYCLE.get(n.lifecycle) if n.role in OWNER_ROLES else None, how, n.reason]
        if (n.account_id, n.role) in replaced:
            parts.append("replaces " + replaced[(n.account_id, n.role)])
        plan.assign.append(Assign(n.account_id, n.role, user_id, "; ".join(p for p in parts if p)))
        loads.add(user_id, n.arr)

    rest = []
    for n in open_needs:  # holders the rules or the CRM name outright come first, so loads include them
        if n.assign_to is not None:
            assign(n, n.assign_to, None)
        elif n.role == "csm" and follow_crm_owner and n.crm_owner_id in eligible.get((n.segment, n.role), nobody):
            assign(n, n.crm_owner_id, "CRM owner")
        else:
            rest.append(n)
    balanced = []
    for n in rest:
        before = previous.get((n.account_id, n.role))
        if before in eligible.get((n.segment, n.role), nobody) and loads.has_room(before):
            assign(n, before, f"previous {n.role.replace('_', ' ')}")
        else:
            balanced.append(n)
    for n in sorted(balanced, key=lambda n: (-n.arr, n.account_id)):  # big accounts first spread ARR evenly
        group = (n.segment, n.role)
        user_id = loads.least_loaded(group, candidates.get(group, []))
        if user_id is None:
            why = (f"no active {n.role} candidate for {n.segment}" if not candidates.get(group)
                   else f"no {n.role} candidate for {n.segment} has capacity")
            plan.unfilled.append((n, why))
        else:
            assign(n, user_id, f"least loaded ({loads.describe(user_id)})")
    for user_id, count in loads.count.items():
        if user_id in capacity and count > capacity[user_id]:
            plan.over_capacity[user_id] = (count, capacity[user_id])
    return plan


# -- pooled contact cadence ---------------------------------------------------------------------

@dataclass(frozen=True)
class PooledAccount:
    account_id: str
    account_name: str | None
    pool_id: str
    pool_since: date
    last_touchpoint_date: date | None


@dataclass(frozen=True)
class OpenTask:
    task_id: str
    account_id: str
    owner_id: str
    created_as_of: date


@dataclass(frozen=True)
class NewTask:
    task_id: str
    account_id: str
    owner_id: str
    title: str


@dataclass
class ContactPlan:
    create: list[NewTask] = field(default_factory=list)
    done: list[tuple[str, date]] = field(default_factory=list)  # (task_id, touchpoint date)
    cancel: list[str] = field(default_factory=list)
    still_open: int = 0


def _task_id(account_id: str, as_of: date, seq: int) -> str:
    digest = hashlib.blake2b(f"{POOLED_CONTACT}|{account_id}|{as_of}|{seq}".encode(), digest_size=8)
    return "tk_" + digest.hexdigest()


def plan_pool_contacts(pooled: list[PooledAccount], open_tasks: list[OpenTask], as_of: date,
                       contact_days: int, tasks_so_far: dict[str, int] | None = None) -> ContactPlan:
    """Pure: close open to-dos a touchpoint answered, cancel those of accounts that left their pool,
    and add one for each pooled account whose last touchpoint (never touched: joining the pool) is
    contact_days or more before as_of and has no open one. tasks_so_far (account -> pooled_contact
    tasks ever) keeps task ids unique and deterministic."""
    plan = ContactPlan()
    by_account = {p.account_id: p for p in pooled}
    covered: set[str] = set()
    for t in sorted(open_tasks, key=lambda t: (t.account_id, t.created_as_of, t.task_id)):
        p = by_account.get(t.account_id)
        if p is None or p.pool_id != t.owner_id or t.account_id in covered:
            plan.cancel.append(t.task_id)
        elif p.last_touchpoint_date is not None and p.last_touchpoint_date >= t.created_as_of:
            plan.done.append((t.task_id, p.last_touchpoint_date))
        else:
            covered.add(t.account_id)
    plan.still_open = len(covered)
    seen = tasks_so_far or {}
    for p in sorted(pooled, key=lambda p: p.account_id):
        if p.account_id in covered:
            continue
        since = p.last_touchpoint_date or p.pool_since
        days = (as_of - since).days
        if days < contact_days:
            continue
        name = p.account_name or p.account_id
        title = (f"Contact {name}: last touchpoint {days} days ago (pooled accounts: every {contact_days} days)"
                 if p.last_touchpoint_date else
                 f"Contact {name}: not contacted since joining {p.pool_id} {days} days ago")
        plan.create.append(NewTask(_task_id(p.account_id, as_of, seen.get(p.account_id, 0)), p.account_id,
                                   p.pool_id, title))
    return plan
