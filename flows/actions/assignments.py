"""Ownership: reconcile actions.fct_account_roles_required into ops.assignments, and pooled to-dos.

dbt says which roles each account needs and who may hold them (docs: ownership_rules). This
module makes the stateful choices: who gets a role nobody holds (CRM owner, previous holder,
least load ÷ capacity), and stickiness (a current holder stays while needed and still a
candidate, so nothing flaps between runs). ops.assignments is history: a row is only ever
released (released_as_of, release_reason), never rewritten. Pooled accounts get a
`pooled_contact` to-do in ops.tasks when their contact cadence is due.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb

from flows.actions._txn import transaction
from flows.actions.assignment_plan import (
    POOLED_CONTACT, AssignmentPlan, Candidate, ContactPlan, Holding, Need, OpenTask, PooledAccount,
    plan_assignments, plan_pool_contacts)
from flows.config import Config


# -- reading, applying, the run -----------------------------------------------------------------

@dataclass
class AssignmentRunResult:
    """What one ownership reconcile did (RunSummary.assignments)."""

    assigned: int = 0
    released: int = 0
    kept: int = 0
    unfilled: int = 0
    over_capacity: int = 0            # people holding more accounts than their capacity after the run
    current: dict[str, int] = field(default_factory=dict)   # holdings by role after the run
    contacts_created: int = 0
    contacts_done: int = 0
    contacts_cancelled: int = 0
    contacts_open: int = 0
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)


def latest_change(con: duckdb.DuckDBPyConnection) -> date | None:
    """The latest as_of at which ownership history records a change (assignment or pooled to-do)."""
    return con.execute(
        "select max(d) from ("
        " select max(greatest(assigned_as_of, coalesce(released_as_of, assigned_as_of))) as d from ops.assignments"
        " union all select max(greatest(created_as_of, coalesce(completed_as_of, created_as_of)))"
        " from ops.tasks where source = ?)", [POOLED_CONTACT]).fetchone()[0]


def _read_needs(con) -> list[Need]:
    rows = con.execute(
        "select account_id, role, segment, reason, lifecycle, assign_to, crm_owner_id, current_arr "
        "from actions.fct_account_roles_required").fetchall()
    return [Need(a, r, s, why, lc, to, crm, float(arr or 0)) for a, r, s, why, lc, to, crm, arr in rows]


def _read_candidates(con) -> dict[tuple[str, str], list[Candidate]]:
    out: dict[tuple[str, str], list[Candidate]] = {}
    for seg, role, user_id, cap in con.execute(
            "select segment, role, user_id, capacity from actions.fct_ownership_candidates "
            "order by segment, role, user_id").fetchall():
        out.setdefault((seg, role), []).append(Candidate(user_id, cap))
    return out


def _read_current(con) -> list[Holding]:
    rows = con.execute("select account_id, role, user_id, assigned_as_of from ops.assignments "
                       "where released_as_of is null").fetchall()
    return [Holding(*r) for r in rows]


def _read_context(con):
    team = {u: (r, bool(a)) for u, r, a in con.execute(
        "select user_id, role, is_active from marts.dim_team").fetchall()}
    phases = {a: (p, s) for a, p, s in con.execute(
        "select t.account_id, t.phase, d.segment from actions.fct_account_phase_target t "
        "left join marts.dim_accounts d on t.account_id = d.account_id").fetchall()}
    previous = {(a, r): u for a, r, u in con.execute(
        "select account_id, role, user_id from ops.assignments where released_as_of is not null "
        "qualify row_number() over (partition by account_id, role "
        "order by released_as_of desc, assigned_as_of desc, user_id) = 1").fetchall()}
    return team, phases, previous


def _apply_assignments(con, plan: AssignmentPlan, as_of: date) -> None:
    if plan.release:
        con.execute(
            "update ops.assignments set released_as_of = $1, release_reason = r.reason "
            "from (select unnest($2::varchar[]) as account_id, unnest($3::varchar[]) as role, "
            "unnest($4::varchar[]) as user_id, unnest($5::varchar[]) as reason) as r "
            "where ops.assignments.account_id = r.account_id and ops.assignments.role = r.role "
            "and ops.assignments.user_id = r.user_id and ops.assignments.released_as_of is null",
            [as_of, [x.holding.account_id for x in plan.release], [x.holding.role for x in plan.release],
             [x.holding.user_id for x in plan.release], [x.reason for x in plan.release]])
    if plan.assign:
        con.execute(
            "insert into ops.assignments (account_id, role, user_id, assigned_as_of, released_as_of, reason, "
            "created_at) select unnest($1::varchar[]), unnest($2::varchar[]), unnest($3::varchar[]), $4, null, "
            "unnest($5::varchar[]), now()",
            [[a.account_id for a in plan.assign], [a.role for a in plan.assign], [a.user_id for a in plan.assign],
             as_of, [a.reason for a in plan.assign]])


def _pooled_after(con, plan: AssignmentPlan, as_of: date) -> list[PooledAccount]:
    """Pooled accounts once the plan is applied, with their last touchpoint (from the needs mart)."""
    pools = [(h.account_id, h.user_id, h.assigned_as_of) for h in plan.keep if h.role == "pool"]
    pools += [(a.account_id, a.user_id, as_of) for a in plan.assign if a.role == "pool"]
    facts = {a: (n, t) for a, n, t in con.execute(
        "select account_id, account_name, last_touchpoint_date from actions.fct_account_roles_required "
        "where role = 'pool'").fetchall()}
    return [PooledAccount(a, facts.get(a, (None, None))[0], pool, since, facts.get(a, (None, None))[1])
            for a, pool, since in pools]


def _apply_contacts(con, plan: ContactPlan, as_of: date) -> None:
    if plan.done:
        con.execute("update ops.tasks set status = 'done', completed_as_of = d.touched "
                    "from (select unnest($1::varchar[]) as task_id, unnest($2::date[]) as touched) as d "
                    "where ops.tasks.task_id = d.task_id",
                    [[t for t, _ in plan.done], [d for _, d in plan.done]])
    if plan.cancel:
        con.execute("update ops.tasks set status = 'cancelled', completed_as_of = ? "
                    "where list_contains(?, task_id)", [as_of, plan.cancel])
    if plan.create:
        con.execute(
            "insert into ops.tasks (task_id, account_id, owner_id, title, source, source_ref, created_as_of, "
            "due_date, completed_as_of, status, created_at) select unnest($1::varchar[]), unnest($2::varchar[]), "
            "unnest($3::varchar[]), unnest($4::varchar[]), $5, unnest($3::varchar[]), $6, $6, null, 'open', now()",
            [[t.task_id for t in plan.create], [t.account_id for t in plan.create],
             [t.owner_id for t in plan.create], [t.title for t in plan.create], POOLED_CONTACT, as_of])


def reconcile_assignments(con: duckdb.DuckDBPyConnection, config: Config, as_of: date) -> AssignmentRunResult:
    """Make ops.assignments and the pooled to-dos match the marts for as_of, in one transaction.

    Idempotent for a rerun of the same as_of. A run for an as_of before the latest recorded change
    is skipped: history is append-only, so a backfill never rewrites what later days decided.
    """
    own = config.ownership
    if not own.enabled:
        return AssignmentRunResult(skipped="ownership.enabled is false")
    latest = latest_change(con)
    if latest is not None and as_of < latest:
        return AssignmentRunResult(skipped=f"ownership history already has changes up to {latest}; "
                                           f"not rewritten for an earlier as_of ({as_of})")
    team, phases, previous = _read_context(con)
    plan = plan_assignments(_read_needs(con), _read_current(con), _read_candidates(con), team=team,
                            phases=phases, previous=previous, balance_by=own.balance_by,
                            follow_crm_owner=own.follow_crm_owner)
    open_tasks = [OpenTask(*r) for r in con.execute(
        "select task_id, account_id, owner_id, created_as_of from ops.tasks where source = ? and status = 'open'",
        [POOLED_CONTACT]).fetchall()]
    so_far = dict(con.execute("select account_id, count(*) from ops.tasks where source = ? group by 1",
                              [POOLED_CONTACT]).fetchall())
    contacts = plan_pool_contacts(_pooled_after(con, plan, as_of), open_tasks, as_of, own.pool_contact_days, so_far)
    with transaction(con):
        _apply_assignments(con, plan, as_of)
        _apply_contacts(con, contacts, as_of)
    current: dict[str, int] = {}
    for role in [h.role for h in plan.keep] + [a.role for a in plan.assign]:
        current[role] = current.get(role, 0) + 1
    notes = [f"{n.account_id} {n.role} unfilled: {why}" for n, why in plan.unfilled]
    notes += [f"{u} holds {c} accounts, capacity {cap}" for u, (c, cap) in sorted(plan.over_capacity.items())]
    return AssignmentRunResult(
        assigned=len(plan.assign), released=len(plan.release), kept=len(plan.keep), unfilled=len(plan.unfilled),
        over_capacity=len(plan.over_capacity), current=dict(sorted(current.items())),
        contacts_created=len(contacts.create), contacts_done=len(contacts.done),
        contacts_cancelled=len(contacts.cancel), contacts_open=contacts.still_open + len(contacts.create),
        notes=notes)
