"""Ownership on the generated 120-account workspace: real ingest, dbt build and Prefect runs.

One copy of the generated workspace goes through: 2026-06-30 (the fixture's `steward run`), the
same day again, 07-01 with CSM capacities skewed (a rebalancer would move accounts), 07-02 with
a CSM made inactive (their accounts must move, nobody else's), then 06-30 again (a backfill
before recorded history: skipped). Each test reads the state a step left.
"""

import csv
import json
import shutil
from datetime import date

import duckdb
import pytest

from tests.conftest import GENERATED_AS_OF, make_config

pytestmark = pytest.mark.integration

DAY2, DAY3 = date(2026, 7, 1), date(2026, 7, 2)
COUNTS = "select (select count(*) from ops.assignments), (select count(*) from ops.tasks)"
HOLDERS = ("select account_id, role, user_id from ops.assignments where released_as_of is null "
           "order by account_id, role")
# every non-churned account has exactly one current csm-or-pool holder; churned accounts hold nothing
OWNER_BREACHES = """
select t.account_id, t.phase,
       count(a.user_id) filter (where a.role in ('csm', 'pool')) as owners, count(a.user_id) as holdings
from actions.fct_account_phase_target t
left join ops.assignments a on a.account_id = t.account_id and a.released_as_of is null
group by t.account_id, t.phase
having (t.phase = 'churned' and count(a.user_id) > 0) or (t.phase <> 'churned' and owners <> 1)
"""
# pooled accounts whose cadence is due at as_of, by the rule in the docs
POOL_DUE = """
select a.account_id
from ops.assignments a
join actions.fct_account_roles_required r on r.account_id = a.account_id and r.role = 'pool'
where a.role = 'pool' and a.released_as_of is null
  and date_diff('day', coalesce(r.last_touchpoint_date, a.assigned_as_of), cast(? as date)) >= 45
order by 1
"""


def q(con, sql, params=None):
    return con.execute(sql, params or []).fetchall()


def snapshot(cfg, as_of):
    with duckdb.connect(str(cfg.path("warehouse"))) as con:
        return {
            "counts": q(con, COUNTS)[0],
            "holders": {(a, r): u for a, r, u in q(con, HOLDERS)},
            "owner_breaches": q(con, OWNER_BREACHES),
            "duplicate_holdings": q(con, "select account_id, role from ops.assignments where released_as_of is null "
                                         "group by all having count(*) > 1"),
            "open_todos": q(con, "select account_id, owner_id, created_as_of from ops.tasks "
                                 "where source = 'pooled_contact' and status = 'open' order by 1"),
            "pool_due": [a for (a,) in q(con, POOL_DUE, [as_of])],
            "released": q(con, "select account_id, role, user_id, release_reason from ops.assignments "
                               "where released_as_of = ? order by 1, 2", [as_of]),
            "phases": dict(q(con, "select account_id, phase from actions.fct_account_phase_target")),
        }


def edit_team(landing, changes):
    """Rewrite crm/team.csv with per-user field changes, e.g. {'U002': {'active': 'false'}}."""
    path = landing / "crm" / "team.csv"
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row.update(changes.get(row["user_id"], {}))
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


@pytest.fixture(scope="module")
def days(generated_workspace, tmp_path_factory):
    from flows.daily_run import daily_run_for

    ws = tmp_path_factory.mktemp("ownership") / "ws"
    shutil.copytree(generated_workspace, ws, ignore=shutil.ignore_patterns("prefect", "outbox"))
    cfg = make_config(ws)
    with duckdb.connect(str(cfg.path("warehouse"))) as con:
        first_summary = json.loads(q(con, "select summary::json->>'assignments' from ops.runs where as_of = ? "
                                          "and status = 'succeeded'", [GENERATED_AS_OF])[0][0])
    steps = {"first": snapshot(cfg, GENERATED_AS_OF), "first_summary": first_summary}
    steps["rerun_summary"] = daily_run_for(cfg, GENERATED_AS_OF)["assignments"]
    steps["rerun"] = snapshot(cfg, GENERATED_AS_OF)
    with duckdb.connect(str(cfg.path("warehouse"))) as con:
        capacity = dict(q(con, "select user_id, capacity from staging.stg_crm__team where role = 'csm'"))
    # Day 2: U001's capacity x10, everyone else's cut to 1: a rebalancer would move most accounts.
    edit_team(cfg.path("landing"), {u: {"capacity": str(c * 10 if u == "U001" else 1)} for u, c in capacity.items()})
    steps["day2_summary"] = daily_run_for(cfg, DAY2)["assignments"]
    steps["day2"] = snapshot(cfg, DAY2)
    # Day 3: capacities back, U002 leaves (inactive).
    restored = {u: {"capacity": str(c)} for u, c in capacity.items()}
    restored["U002"]["active"] = "false"
    edit_team(cfg.path("landing"), restored)
    steps["day3_summary"] = daily_run_for(cfg, DAY3)["assignments"]
    steps["day3"] = snapshot(cfg, DAY3)
    # The first day again: a backfill before recorded history.
    steps["backfill_summary"] = daily_run_for(cfg, GENERATED_AS_OF)["assignments"]
    steps["backfill"] = snapshot(cfg, GENERATED_AS_OF)
    with duckdb.connect(str(cfg.path("warehouse"))) as con:
        steps["history"] = q(con, "select account_id, role, user_id, assigned_as_of from ops.assignments "
                                  "order by account_id, role, assigned_as_of, created_at")
    return steps


def test_every_active_account_has_exactly_one_owner_after_every_run(days):
    for step in ("first", "rerun", "day2", "day3"):
        assert days[step]["owner_breaches"] == [], step
        assert days[step]["duplicate_holdings"] == [], step
    first = days["first"]
    by_role = {}
    for (_, role), _user in first["holders"].items():
        by_role[role] = by_role.get(role, 0) + 1
    active = sum(1 for p in first["phases"].values() if p != "churned")
    assert by_role["csm"] + by_role["pool"] == active
    assert by_role["onboarding_specialist"] > 0 and by_role["renewal_manager"] > 0
    assert all(u == "pool:smb" for (_, r), u in first["holders"].items() if r == "pool")


def test_a_rerun_for_the_same_day_adds_no_rows(days):
    assert days["rerun"]["counts"] == days["first"]["counts"]
    assert days["rerun"]["holders"] == days["first"]["holders"]
    s = days["rerun_summary"]
    assert (s["assigned"], s["released"], s["contacts_created"], s["skipped"]) == (0, 0, 0, None)
    assert s["kept"] == days["first_summary"]["assigned"]


def test_shifted_capacities_move_nobody(days):
    first, day2 = days["first"]["holders"], days["day2"]["holders"]
    moved = {k: (u, day2[k]) for k, u in first.items() if k in day2 and day2[k] != u}
    assert moved == {}
    # anything released on day 2 went because a role ended (onboarding over, renewal passed, churn), not load
    assert all(r in ("onboarding period over", "no renewal inside the window", "account churned")
               for *_, r in days["day2"]["released"])


def test_an_inactive_csm_hands_over_exactly_their_accounts(days):
    before, after = days["day2"]["holders"], days["day3"]["holders"]
    theirs = sorted(k for k, u in before.items() if u == "U002")
    assert theirs and all(role == "csm" for _, role in theirs)
    assert sorted((a, r) for a, r, u, why in days["day3"]["released"] if why == "U002 is inactive") == theirs
    assert all(after[k] in ("U001", "U003") for k in theirs if k in after)
    others = {k: u for k, u in before.items() if u != "U002" and k in after}
    assert {k: after[k] for k in others} == others


def test_no_account_flaps_between_owners_and_a_backfill_is_skipped(days):
    # day 3 recorded changes, so 06-30 again must not rewrite history: skipped, nothing moved
    assert days["backfill_summary"]["skipped"].startswith("ownership history already has changes up to 2026-07-02")
    assert days["backfill"]["holders"] == days["day3"]["holders"]
    assert days["backfill"]["counts"] == days["day3"]["counts"]
    sequences = {}
    for account, role, user, _ in days["history"]:
        sequences.setdefault((account, role), []).append(user)
    flapped = {k: seq for k, seq in sequences.items() if len(seq) != len(set(seq))}
    assert flapped == {}


def test_pooled_to_dos_are_created_when_due_and_never_duplicated(days):
    first = days["first"]
    # on the first day every pooled account whose last touchpoint is >= 45 days old has one open to-do
    assert [a for a, *_ in first["open_todos"]] == first["pool_due"] and first["pool_due"]
    assert all(owner == "pool:smb" and created == date(2026, 6, 30) for _, owner, created in first["open_todos"])
    assert days["first_summary"]["contacts_created"] == len(first["pool_due"])
    assert days["rerun"]["open_todos"] == first["open_todos"]
    for step in ("day2", "day3"):
        todo_accounts = [a for a, *_ in days[step]["open_todos"]]
        assert len(todo_accounts) == len(set(todo_accounts)), step
        # everything due has an open to-do (or was just answered by a touchpoint)
        assert set(days[step]["pool_due"]) <= set(todo_accounts), step
