"""reconcile_assignments on a real DuckDB file, the marts it reads replaced by hand-made tables.

Four days of a small book: what lands in ops.assignments (history kept, releases with reasons)
and ops.tasks (pooled to-dos created, answered, cancelled), reruns that add nothing, and a
backfill before recorded history that is skipped.
"""

from datetime import date

import pytest

from flows.actions.assignments import reconcile_assignments
from flows.warehouse import connect
from tests.conftest import make_config

MARTS = """
create schema if not exists actions; create schema if not exists marts;
create or replace table actions.fct_account_roles_required (account_id varchar, role varchar, rule varchar,
    reason varchar, assign_to varchar, account_name varchar, segment varchar, phase varchar, lifecycle varchar,
    crm_owner_id varchar, current_arr decimal(18, 2), last_touchpoint_date date);
create or replace table actions.fct_ownership_candidates (segment varchar, role varchar, user_id varchar,
    name varchar, capacity bigint, basis varchar);
create or replace table actions.fct_account_phase_target (account_id varchar, phase varchar);
create or replace table marts.dim_accounts (account_id varchar, segment varchar);
create or replace table marts.dim_team (user_id varchar, role varchar, is_active boolean);
"""


def set_marts(con, needs, team, phases):
    """needs: (account, role, segment, crm_owner, last_touch); team: (user, role, capacity, active)."""
    con.execute(MARTS)
    for account, role, segment, crm, touched in needs:
        con.execute("insert into actions.fct_account_roles_required values (?, ?, 'r', ?, ?, ?, ?, 'adoption', "
                    "'existing', ?, 1200, ?)",
                    [account, role, f"{role} needed", f"pool:{segment}" if role == "pool" else None,
                     f"Acct {account}", segment, crm, touched])
    for user, role, capacity, active in team:
        con.execute("insert into marts.dim_team values (?, ?, ?)", [user, role, active])
        if active:
            for segment in ("mid_market", "smb"):
                con.execute("insert into actions.fct_ownership_candidates values (?, ?, ?, ?, ?, 'role')",
                            [segment, role, user, user, capacity])
    for account, (phase, segment) in phases.items():
        con.execute("insert into actions.fct_account_phase_target values (?, ?)", [account, phase])
        con.execute("insert into marts.dim_accounts values (?, ?)", [account, segment])


TEAM = [("U1", "csm", 10, True), ("U2", "csm", 10, True), ("R1", "renewal_manager", 50, True)]
PHASES = {"a1": ("renewal", "mid_market"), "a2": ("adoption", "mid_market"), "a3": ("adoption", "smb"),
          "a4": ("adoption", "smb")}


@pytest.fixture
def run(tmp_path):
    con = connect(tmp_path / "warehouse.duckdb")
    cfg = make_config(tmp_path / "ws")

    def reconcile(as_of):
        first = reconcile_assignments(con, cfg, as_of)
        counts = con.execute("select (select count(*) from ops.assignments), (select count(*) from ops.tasks), "
                             "(select count(*) from ops.tasks where status = 'open')").fetchall()
        again = reconcile_assignments(con, cfg, as_of)
        assert (again.assigned, again.released, again.contacts_created, again.contacts_done,
                again.contacts_cancelled) == (0, 0, 0, 0, 0), "a rerun for the same as_of changed something"
        assert con.execute("select (select count(*) from ops.assignments), (select count(*) from ops.tasks), "
                           "(select count(*) from ops.tasks where status = 'open')").fetchall() == counts
        return first

    yield con, reconcile, cfg
    con.close()


def rows(con, sql):
    return con.execute(sql).fetchall()


def test_four_days_of_ownership_history_and_pooled_to_dos(run):
    con, reconcile, cfg = run
    # Day 1: a1 is the CRM's U1's and renewing; a2 has no CRM owner; a3 (touched 60 days ago) and
    # a4 (never touched) are pooled.
    set_marts(con, [("a1", "csm", "mid_market", "U1", None), ("a1", "renewal_manager", "mid_market", None, None),
                    ("a2", "csm", "mid_market", None, None), ("a3", "pool", "smb", None, date(2026, 5, 1)),
                    ("a4", "pool", "smb", None, None)], TEAM, PHASES)
    day1 = reconcile(date(2026, 6, 30))
    assert (day1.assigned, day1.contacts_created, day1.current) == (
        5, 1, {"csm": 2, "pool": 2, "renewal_manager": 1})
    assert rows(con, "select account_id, role, user_id from ops.assignments order by 1, 2") == [
        ("a1", "csm", "U1"), ("a1", "renewal_manager", "R1"), ("a2", "csm", "U2"),
        ("a3", "pool", "pool:smb"), ("a4", "pool", "pool:smb")]
    assert rows(con, "select account_id, owner_id, source, source_ref, status, created_as_of, due_date, title "
                     "from ops.tasks") == [
        ("a3", "pool:smb", "pooled_contact", "pool:smb", "open", date(2026, 6, 30), date(2026, 6, 30),
         "Contact Acct a3: last touchpoint 60 days ago (pooled accounts: every 45 days)")]

    # Day 2: U2 leaves, a1's renewal is done, a3 was called on 07-03.
    team = [("U1", "csm", 10, True), ("U2", "csm", 10, False), ("R1", "renewal_manager", 50, True)]
    set_marts(con, [("a1", "csm", "mid_market", "U1", None), ("a2", "csm", "mid_market", None, None),
                    ("a3", "pool", "smb", None, date(2026, 7, 3)), ("a4", "pool", "smb", None, None)],
              team, {**PHASES, "a1": ("adoption", "mid_market")})
    day2 = reconcile(date(2026, 7, 5))
    assert (day2.assigned, day2.released, day2.kept, day2.contacts_done) == (1, 2, 3, 1)
    assert rows(con, "select account_id, role, user_id, assigned_as_of, released_as_of, release_reason "
                     "from ops.assignments where released_as_of is not null order by 1, 2") == [
        ("a1", "renewal_manager", "R1", date(2026, 6, 30), date(2026, 7, 5), "no renewal inside the window"),
        ("a2", "csm", "U2", date(2026, 6, 30), date(2026, 7, 5), "U2 is inactive")]
    reason = rows(con, "select reason from ops.assignments where account_id = 'a2' and user_id = 'U1'")[0][0]
    assert reason.startswith("least loaded") and reason.endswith("replaces U2 (U2 is inactive)")
    assert rows(con, "select status, completed_as_of from ops.tasks") == [("done", date(2026, 7, 3))]

    # A backfill before recorded history is refused, not applied.
    before = rows(con, "select count(*) from ops.assignments")
    skipped = reconcile_assignments(con, cfg, date(2026, 7, 1))
    assert skipped.skipped.startswith("ownership history already has changes up to 2026-07-05")
    assert rows(con, "select count(*) from ops.assignments") == before

    # Day 3: a4 (never touched) has been in the pool 45 days: due.
    day3 = reconcile(date(2026, 8, 14))
    assert day3.contacts_created == 1 and day3.assigned == day3.released == 0
    assert rows(con, "select account_id, title from ops.tasks where status = 'open'") == [
        ("a4", "Contact Acct a4: not contacted since joining pool:smb 45 days ago")]

    # Day 4: a4 moves to mid_market: the pool lets go, its to-do is cancelled, a CSM takes over.
    set_marts(con, [("a1", "csm", "mid_market", "U1", None), ("a2", "csm", "mid_market", None, None),
                    ("a3", "pool", "smb", None, date(2026, 7, 3)), ("a4", "csm", "mid_market", None, None)],
              team, {**PHASES, "a1": ("adoption", "mid_market"), "a4": ("adoption", "mid_market")})
    day4 = reconcile(date(2026, 8, 20))
    assert (day4.assigned, day4.released, day4.contacts_cancelled) == (1, 1, 1)
    assert day4.contacts_created == 1  # a3: 48 days since its last call
    assert rows(con, "select status, completed_as_of from ops.tasks where account_id = 'a4'") == [
        ("cancelled", date(2026, 8, 20))]
    assert rows(con, "select release_reason from ops.assignments where account_id = 'a4' and role = 'pool'") == [
        ("segment mid_market is not pooled",)]
    # history: every row ever written is still there, one current owner per account
    assert rows(con, "select count(*), count(*) filter (where released_as_of is null) from ops.assignments") == [(7, 4)]
