"""Journey phases: reconcile actions.fct_account_phase_target into ops.account_phase_history.

dbt decides the phase each account should be in at as_of (and why); this module records a
change of phase as the end of one stay and the start of the next. Rerunning a day changes
nothing; if a rerun of the same day decides differently (data was corrected), today's stay
is rewritten rather than leaving a zero-day stay behind. A day earlier than the latest
recorded change is skipped: history is never rewritten backwards.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import duckdb

from flows.actions._txn import transaction


@dataclass(frozen=True)
class Stay:
    phase: str
    entered_as_of: date
    reason: str = ""


@dataclass
class PhasePlan:
    enter: list[tuple[str, str, str]] = field(default_factory=list)   # (account, phase, reason): new account
    move: list[tuple[str, str, str]] = field(default_factory=list)    # (account, phase, reason): phase changed
    redo: list[tuple[str, str, str]] = field(default_factory=list)    # today's stay decided again
    transitions: Counter = field(default_factory=Counter)              # "adoption->risk": count


def plan_phase_changes(target: dict[str, tuple[str, str]], current: dict[str, Stay], as_of: date) -> PhasePlan:
    """Pure diff of {account: (phase, reason)} against each account's current stay."""
    plan = PhasePlan()
    for account, (phase, reason) in sorted(target.items()):
        stay = current.get(account)
        if stay is None:
            plan.enter.append((account, phase, reason))
            plan.transitions[f"->{phase}"] += 1
        elif stay.phase == phase:
            continue
        elif stay.entered_as_of == as_of:
            plan.redo.append((account, phase, reason))
            plan.transitions[f"{stay.phase}->{phase} (same day)"] += 1
        else:
            plan.move.append((account, phase, reason))
            plan.transitions[f"{stay.phase}->{phase}"] += 1
    return plan


@dataclass
class PhaseRunResult:
    entered: int
    changed: int
    unchanged: int
    transitions: dict[str, int]
    skipped_backfill: bool = False


def apply_phase_plan(con: duckdb.DuckDBPyConnection, plan: PhasePlan, as_of: date) -> None:
    """Write the plan to ops.account_phase_history (the caller holds the transaction)."""
    if plan.move:
        con.execute("update ops.account_phase_history set exited_as_of = ? "
                    "where exited_as_of is null and list_contains(?, account_id)",
                    [as_of, [a for a, _, _ in plan.move]])
    if plan.redo:
        con.executemany("update ops.account_phase_history set phase = ?, reason = ? "
                        "where account_id = ? and exited_as_of is null",
                        [[p, r, a] for a, p, r in plan.redo])
    new_rows = plan.enter + plan.move
    if new_rows:
        con.executemany("insert into ops.account_phase_history (account_id, phase, entered_as_of, "
                        "exited_as_of, reason, created_at) values (?, ?, ?, null, ?, now())",
                        [[a, p, as_of, r] for a, p, r in new_rows])


def reconcile_phases(con: duckdb.DuckDBPyConnection, as_of: date) -> PhaseRunResult:
    """Bring ops.account_phase_history in line with the target; one transaction."""
    latest = con.execute("select greatest(max(entered_as_of), max(exited_as_of)) "
                         "from ops.account_phase_history").fetchone()[0]
    if latest is not None and as_of < latest:
        return PhaseRunResult(0, 0, 0, {}, skipped_backfill=True)
    target = {a: (p, r) for a, p, r in
              con.execute("select account_id, phase, reason from actions.fct_account_phase_target").fetchall()}
    current = {a: Stay(p, e, r) for a, p, e, r in con.execute(
        "select account_id, phase, entered_as_of, reason from ops.account_phase_history "
        "where exited_as_of is null").fetchall()}
    plan = plan_phase_changes(target, current, as_of)
    with transaction(con):
        apply_phase_plan(con, plan, as_of)
    changed = len(plan.move) + len(plan.redo)
    return PhaseRunResult(len(plan.enter), changed, len(target) - len(plan.enter) - changed,
                          dict(plan.transitions))
