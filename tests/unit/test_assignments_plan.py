"""plan_assignments and plan_pool_contacts: the pure ownership decisions, on hand-made rows."""

import random
from datetime import date

from flows.actions.assignments import (
    Candidate, Holding, Need, OpenTask, PooledAccount, plan_assignments, plan_pool_contacts)

D0, D1 = date(2026, 6, 1), date(2026, 6, 30)
TEAM = {"U1": ("csm", True), "U2": ("csm", True), "U3": ("csm", False),
        "S1": ("onboarding_specialist", True), "R1": ("renewal_manager", True)}


def csms(**capacity):
    return {("mid_market", "csm"): [Candidate(u, c) for u, c in sorted(capacity.items())]}


def need(account, role="csm", segment="mid_market", crm=None, arr=0.0, lifecycle="existing", assign_to=None):
    return Need(account, role, segment, f"{role} needed", lifecycle, assign_to, crm, arr)


def held(account, user, role="csm", since=D0):
    return Holding(account, role, user, since)


def holders(plan):
    """(account, role) -> user after the plan is applied."""
    out = {(h.account_id, h.role): h.user_id for h in plan.keep}
    out.update({(a.account_id, a.role): a.user_id for a in plan.assign})
    return out


def apply(current, plan, as_of=D1):
    released = {(r.holding.account_id, r.holding.role, r.holding.user_id) for r in plan.release}
    kept = [h for h in current if (h.account_id, h.role, h.user_id) not in released]
    return kept + [Holding(a.account_id, a.role, a.user_id, as_of) for a in plan.assign]


def test_new_account_goes_to_the_candidate_with_the_lowest_load_over_capacity():
    # U1 holds 10 of 50 (0.20), U2 holds 5 of 20 (0.25): U1 is less loaded despite holding more.
    current = [held(f"a{i}", "U1") for i in range(10)] + [held(f"b{i}", "U2") for i in range(5)]
    needs = [need(h.account_id) for h in current] + [need("new", lifecycle="new")]
    plan = plan_assignments(needs, current, csms(U1=50, U2=20), team=TEAM)
    assert [(a.account_id, a.user_id) for a in plan.assign] == [("new", "U1")]
    assert plan.assign[0].reason.startswith("new account; least loaded (held 10 accounts of capacity 50)")
    assert len(plan.keep) == 15 and not plan.release


def test_a_batch_of_new_accounts_is_spread_in_proportion_to_capacity():
    plan = plan_assignments([need(f"n{i}") for i in range(6)], [], csms(U1=4, U2=2), team=TEAM)
    counts = {}
    for a in plan.assign:
        counts[a.user_id] = counts.get(a.user_id, 0) + 1
    assert counts == {"U1": 4, "U2": 2} and not plan.over_capacity


def test_when_everyone_is_full_the_least_loaded_still_gets_it_and_is_reported():
    plan = plan_assignments([need(f"n{i}") for i in range(4)], [], csms(U1=1, U2=1), team=TEAM)
    assert len(plan.assign) == 4 and not plan.unfilled
    assert plan.over_capacity == {"U1": (2, 1), "U2": (2, 1)}


def test_capacity_zero_is_never_picked_by_balancing_and_no_candidate_leaves_the_role_unfilled():
    plan = plan_assignments([need("n1"), need("n2", role="renewal_manager")], [], csms(U1=0, U2=3), team=TEAM)
    assert holders(plan) == {("n1", "csm"): "U2"}
    assert [(n.account_id, why) for n, why in plan.unfilled] == [
        ("n2", "no active renewal_manager candidate for mid_market")]
    only_zero = plan_assignments([need("n1")], [], csms(U1=0), team=TEAM)
    assert only_zero.unfilled[0][1] == "no csm candidate for mid_market has capacity"


def test_arr_balancing_weighs_arr_held_against_capacity():
    # U1 holds 100k ARR at capacity 50 (2,000 per unit), U2 30k at capacity 10 (3,000): U1 is lighter.
    current = [held("big", "U1"), held("mid", "U2")]
    needs = [need("big", arr=100_000), need("mid", arr=30_000), need("new", arr=5_000)]
    plan = plan_assignments(needs, current, csms(U1=50, U2=10), team=TEAM, balance_by="arr")
    assert holders(plan)[("new", "csm")] == "U1"
    by_count = plan_assignments(needs, current, csms(U1=50, U2=10), team=TEAM, balance_by="accounts")
    assert holders(by_count)[("new", "csm")] == "U1"  # 1/50 < 1/10 too; now make ARR disagree:
    needs[1] = need("mid", arr=1_000)
    plan = plan_assignments(needs, current, csms(U1=50, U2=10), team=TEAM, balance_by="arr")
    assert holders(plan)[("new", "csm")] == "U2"  # 100 per unit vs 2,000


def test_the_crm_owner_is_honoured_when_eligible_even_if_more_loaded():
    current = [held(f"a{i}", "U1") for i in range(5)]
    needs = [need(h.account_id) for h in current] + [need("new", crm="U1"), need("other", crm="U3")]
    plan = plan_assignments(needs, current, csms(U1=10, U2=10), team=TEAM)
    assert holders(plan)[("new", "csm")] == "U1" and plan.assign[0].reason.startswith("CRM owner")
    # U3 is inactive (not a candidate): balancing decides
    assert holders(plan)[("other", "csm")] == "U2"
    ignored = plan_assignments(needs, current, csms(U1=10, U2=10), team=TEAM, follow_crm_owner=False)
    assert holders(ignored)[("new", "csm")] == "U2"


def test_a_changed_crm_owner_moves_the_account_once():
    current = [held("a", "U2")]
    plan = plan_assignments([need("a", crm="U1")], current, csms(U1=10, U2=10), team=TEAM)
    assert [(r.holding.user_id, r.reason) for r in plan.release] == [("U2", "CRM owner is now U1")]
    assert holders(plan) == {("a", "csm"): "U1"}
    again = plan_assignments([need("a", crm="U1")], apply(current, plan), csms(U1=10, U2=10), team=TEAM)
    assert not again.assign and not again.release


def test_stickiness_a_rerun_with_shifted_loads_keeps_every_holder():
    # Day 1: six accounts spread over U1 and U2. Day 2: U2's capacity shrinks to 1 and U1's grows,
    # so balancing would now prefer U1 for everything; nobody moves, because nobody must.
    day1 = plan_assignments([need(f"n{i}") for i in range(6)], [], csms(U1=3, U2=3), team=TEAM)
    current = apply([], day1)
    day2 = plan_assignments([need(f"n{i}") for i in range(6)], current, csms(U1=100, U2=1), team=TEAM)
    assert not day2.assign and not day2.release and len(day2.keep) == 6
    assert day2.over_capacity == {"U2": (3, 1)}  # reported, not acted on


def test_an_inactive_holder_is_released_and_the_role_reassigned():
    current = [held("a", "U3"), held("b", "U1")]
    cands = csms(U1=10, U2=10)  # U3 inactive: not a candidate any more
    plan = plan_assignments([need("a"), need("b")], current, cands, team=TEAM)
    assert [(r.holding.user_id, r.reason) for r in plan.release] == [("U3", "U3 is inactive")]
    assert holders(plan) == {("a", "csm"): "U2", ("b", "csm"): "U1"}
    assert "replaces U3 (U3 is inactive)" in plan.assign[0].reason
    gone = plan_assignments([need("a")], [held("a", "U9")], cands, team=TEAM)
    assert gone.release[0].reason == "U9 is not in the team"


def test_a_churned_account_releases_every_role():
    current = [held("a", "U1"), held("a", "R1", "renewal_manager"), held("a", "S1", "onboarding_specialist")]
    plan = plan_assignments([], current, csms(U1=10), team=TEAM, phases={"a": ("churned", "mid_market")})
    assert sorted((r.holding.role, r.reason) for r in plan.release) == [
        ("csm", "account churned"), ("onboarding_specialist", "account churned"),
        ("renewal_manager", "account churned")]
    assert not plan.assign and not plan.keep


def test_onboarding_adds_a_specialist_then_releases_them_when_the_period_ends():
    cands = {**csms(U1=10), ("mid_market", "onboarding_specialist"): [Candidate("S1", 100)]}
    day1 = plan_assignments([need("a", crm="U1", lifecycle="new"), need("a", "onboarding_specialist")], [],
                            cands, team=TEAM)
    assert holders(day1) == {("a", "csm"): "U1", ("a", "onboarding_specialist"): "S1"}
    later = plan_assignments([need("a", crm="U1")], apply([], day1), cands, team=TEAM,
                             phases={"a": ("adoption", "mid_market")})
    assert [(r.holding.role, r.reason) for r in later.release] == [("onboarding_specialist", "onboarding period over")]
    assert [h.role for h in later.keep] == ["csm"]


def test_a_renewal_manager_joins_in_addition_to_the_csm_and_leaves_after_the_window():
    cands = {**csms(U1=10), ("mid_market", "renewal_manager"): [Candidate("R1", 100)]}
    current = [held("a", "U1")]
    plan = plan_assignments([need("a"), need("a", "renewal_manager")], current, cands, team=TEAM)
    assert [h.user_id for h in plan.keep] == ["U1"]
    assert [(a.role, a.user_id) for a in plan.assign] == [("renewal_manager", "R1")]
    after = plan_assignments([need("a")], apply(current, plan), cands, team=TEAM,
                             phases={"a": ("adoption", "mid_market")})
    assert [r.reason for r in after.release] == ["no renewal inside the window"]


def test_a_reactivated_account_returns_to_its_previous_csm_when_they_have_room():
    cands = csms(U1=10, U2=10)
    current = [held(f"x{i}", "U2") for i in range(3)]
    needs = [need(h.account_id) for h in current] + [need("back", lifecycle="reactivated")]
    plan = plan_assignments(needs, current, cands, team=TEAM, previous={("back", "csm"): "U2"})
    assert holders(plan)[("back", "csm")] == "U2"  # although U1 is less loaded
    assert plan.assign[0].reason.startswith("reactivated account; previous csm")
    full = plan_assignments(needs, current, csms(U1=10, U2=3), team=TEAM, previous={("back", "csm"): "U2"})
    assert holders(full)[("back", "csm")] == "U1"


def test_pooled_segments_are_owned_by_the_pool_and_moving_in_releases_the_csm():
    current = [held("a", "U1")]
    pooled = need("a", role="pool", segment="smb", assign_to="pool:smb")
    plan = plan_assignments([pooled], current, csms(U1=10), team=TEAM, phases={"a": ("adoption", "smb")})
    assert [r.reason for r in plan.release] == ["segment smb is pooled"]
    assert holders(plan) == {("a", "pool"): "pool:smb"}
    back = plan_assignments([need("a")], apply(current, plan), csms(U1=10), team=TEAM,
                            phases={"a": ("adoption", "mid_market")})
    assert [r.reason for r in back.release] == ["segment mid_market is not pooled"]


def test_replanning_the_applied_plan_changes_nothing_and_input_order_does_not_matter():
    cands = {**csms(U1=5, U2=7), ("mid_market", "renewal_manager"): [Candidate("R1", 100)]}
    needs = [need(f"n{i:02}", crm="U2" if i % 5 == 0 else None, arr=float(i * 100)) for i in range(20)]
    needs += [need("n03", "renewal_manager")]
    current = [held("n01", "U1"), held("n02", "U3")]
    first = plan_assignments(needs, current, cands, team=TEAM)
    shuffled = needs[:]
    random.Random(4).shuffle(shuffled)
    assert plan_assignments(shuffled, current[::-1], cands, team=TEAM) == first
    second = plan_assignments(needs, apply(current, first), cands, team=TEAM)
    assert not second.assign and not second.release and len(second.keep) == 21


# -- pooled contact cadence ---------------------------------------------------------------------

def pooled(account, last=None, since=date(2026, 1, 1), pool="pool:smb"):
    return PooledAccount(account, f"Acct {account}", pool, since, last)


def test_a_to_do_is_created_when_the_cadence_is_due_and_not_a_day_before():
    as_of = date(2026, 6, 30)
    plan = plan_pool_contacts([pooled("due", last=date(2026, 5, 16)), pooled("early", last=date(2026, 5, 17)),
                               pooled("never", since=date(2026, 5, 16)), pooled("fresh", since=as_of)],
                              [], as_of, 45)
    assert [(t.account_id, t.owner_id) for t in plan.create] == [("due", "pool:smb"), ("never", "pool:smb")]
    assert plan.create[0].title == "Contact Acct due: last touchpoint 45 days ago (pooled accounts: every 45 days)"
    assert plan.create[1].title == "Contact Acct never: not contacted since joining pool:smb 45 days ago"


def test_an_open_to_do_is_not_duplicated_and_ids_are_deterministic():
    as_of = date(2026, 6, 30)
    accounts = [pooled("a", last=date(2026, 1, 1))]
    first = plan_pool_contacts(accounts, [], as_of, 45)
    assert first.create[0].task_id == plan_pool_contacts(accounts, [], as_of, 45).create[0].task_id
    open_task = OpenTask(first.create[0].task_id, "a", "pool:smb", as_of)
    later = plan_pool_contacts(accounts, [open_task], date(2026, 7, 20), 45)
    assert not later.create and not later.done and not later.cancel and later.still_open == 1
    # a second to-do for the same account and day (after a cancel) gets a different id
    assert plan_pool_contacts(accounts, [], as_of, 45, {"a": 1}).create[0].task_id != first.create[0].task_id


def test_a_touchpoint_on_or_after_creation_closes_the_to_do_and_restarts_the_cadence():
    created = date(2026, 6, 30)
    task = OpenTask("t1", "a", "pool:smb", created)
    before = plan_pool_contacts([pooled("a", last=date(2026, 6, 29))], [task], date(2026, 7, 3), 45)
    assert not before.done and before.still_open == 1
    answered = plan_pool_contacts([pooled("a", last=date(2026, 7, 2))], [task], date(2026, 7, 3), 45)
    assert answered.done == [("t1", date(2026, 7, 2))] and not answered.create


def test_leaving_the_pool_cancels_the_open_to_do():
    task = OpenTask("t1", "a", "pool:smb", date(2026, 6, 30))
    plan = plan_pool_contacts([], [task], date(2026, 7, 3), 45)
    assert plan.cancel == ["t1"] and not plan.create
