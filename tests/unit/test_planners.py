"""The reconcilers' pure planners on hand-made cases, and the one transaction they are applied in.

plan_alert_changes and plan_assignments / plan_pool_contacts have their own files
(test_alerts_plan.py, test_assignments_plan.py); campaign selection is set-based SQL
(tests/integration/test_campaigns.py).
"""

from datetime import date, timedelta

import duckdb
import pytest

from flows.actions._txn import counts, transaction
from flows.actions.journey import Stay, plan_phase_changes
from flows.actions.playbooks import is_held_out, plan_episodes, plan_playbook_runs, run_id, task_id
from flows.actions.surveys import Candidate, _Ledger, plan_invitations
from flows.config import Playbook

D = date(2026, 6, 30)


# --- journey phases ----------------------------------------------------------------------------

def test_phase_plan_enters_new_accounts_moves_changed_ones_and_redoes_a_same_day_stay():
    target = {"new": ("onboarding", "created"), "same": ("adoption", "a"), "moved": ("risk", "health red"),
              "today": ("adoption", "decided again")}
    current = {"same": Stay("adoption", D - timedelta(days=40), "a"),
               "moved": Stay("adoption", D - timedelta(days=10)),
               "today": Stay("onboarding", D),          # entered by an earlier run of this same as_of
               "gone": Stay("adoption", D - timedelta(days=5))}  # not in the target: left as it is
    plan = plan_phase_changes(target, current, D)
    assert plan.enter == [("new", "onboarding", "created")]
    assert plan.move == [("moved", "risk", "health red")]
    assert plan.redo == [("today", "adoption", "decided again")]
    assert dict(plan.transitions) == {"->onboarding": 1, "adoption->risk": 1, "onboarding->adoption (same day)": 1}


def test_phase_plan_of_an_unchanged_portfolio_is_empty():
    current = {"a": Stay("adoption", D - timedelta(days=1)), "b": Stay("renewal", D)}
    plan = plan_phase_changes({"a": ("adoption", "x"), "b": ("renewal", "y")}, current, D)
    assert (plan.enter, plan.move, plan.redo, dict(plan.transitions)) == ([], [], [], {})


# --- playbook episodes -------------------------------------------------------------------------

def test_episodes_start_for_newly_eligible_and_end_when_eligibility_ends():
    eligible = {("rescue", "A"), ("rescue", "B"), ("expand", "A")}
    open_episodes = {("rescue", "A"), ("rescue", "C"), ("expand", "B")}
    start, ended = plan_episodes(eligible, open_episodes)
    assert start == {("rescue", "B"), ("expand", "A")}  # same account, other playbook: its own episode
    assert ended == {("rescue", "C"), ("expand", "B")}
    assert plan_episodes(set(), set()) == (set(), set())
    assert plan_episodes(eligible, eligible) == (set(), set())  # still eligible: nothing starts twice


def playbook(name, holdout=0.0, exits=("condition_cleared", "all_tasks_done", "expired")):
    return Playbook(name=name, trigger={"health_band": "red"}, holdout_pct=holdout, exit_when=list(exits), steps=[
        {"task": "Call {account_name}", "due_days": 2},
        {"email_subject": "Hi", "email_body": "Hello", "to": "owner"},            # an email: no task row
        {"task": "Plan with the leader", "owner_role": "csl", "due_days": 5}])


def test_playbook_plan_starts_runs_with_their_tasks_and_closes_runs_whose_condition_cleared():
    books = {"rescue": playbook("rescue"), "keep": playbook("keep", exits=("expired",))}
    held = playbook("held", holdout=99.99)  # nearly every episode to the control group
    assert is_held_out(held, "B", D)
    books["held"] = held
    owners = {("A", "csm"): "u_csm", ("*", "csl"): "u_lead"}
    facts = {"A": ("smb", 35.0, "u_crm", "Acme"), "B": ("enterprise", 20.0, None, None)}
    eligible = {("rescue", "A"): "health red", ("held", "B"): "health red"}
    open_eps = {("rescue", "C"): ("pr_c", "active", D - timedelta(days=9)),
                ("keep", "C"): ("pr_k", "active", D - timedelta(days=9)),     # closes only by expiry
                ("rescue", "E"): ("pr_e", "completed", D - timedelta(days=30))}  # already closed: episode ends only
    plan = plan_playbook_runs({("rescue", "A"), ("held", "B")}, {("rescue", "C"), ("keep", "C"), ("rescue", "E")},
                              eligible, open_eps, books, facts, owners, D)
    rid = run_id("rescue", "A", D)
    assert plan.run_rows == [
        (run_id("held", "B", D), "held", "B", D, "held_out", "health red", None, "enterprise", 20.0),
        (rid, "rescue", "A", D, "active", "health red", "u_crm", "smb", 35.0)]
    assert plan.task_rows == [  # step 1 is the email: task ids follow the step index
        (task_id(rid, 0), "A", "u_csm", "Call Acme", "playbook:rescue", rid, D, D + timedelta(days=2)),
        (task_id(rid, 2), "A", "u_lead", "Plan with the leader", "playbook:rescue", rid, D, D + timedelta(days=5))]
    assert (plan.held_out, dict(plan.per_playbook)) == (1, {"rescue": 1})
    assert sorted(plan.end) == ["pr_c", "pr_e", "pr_k"] and plan.exit == ["pr_c"]


# --- survey invitations ------------------------------------------------------------------------

def cand(contact, survey="nps", email=None, period="2026"):
    return Candidate(survey, contact, "A1", email or f"{contact}@x.io", None, None, period, "due")


RULES = {"onboarding": (True, None, None), "nps": (True, 365, 30)}


def test_invitations_skip_by_ledger_and_respect_the_daily_nps_cap():
    ledger = _Ledger(invitations=[("nps", "old", "2025", D - timedelta(days=100)),       # NPS 100 days ago
                                  ("onboarding", "recent", "once", D - timedelta(days=10))],  # any survey 10 days ago
                     suppressed={"bounced@x.io"})
    due = [cand("o1", "onboarding", period="once"), cand("old"), cand("recent"), cand("bounced"),
           cand("n1"), cand("n2"), cand("n3")]
    plan = plan_invitations(due, ledger, D, RULES, nps_cap=3, nps_sent_today=1)
    assert [c.contact_id for c in plan.invite] == ["o1", "n1", "n2"]  # onboarding is not capped
    assert dict(plan.skipped) == {"already invited": 1, "surveyed recently": 1, "suppressed address": 1}
    assert dict(plan.not_yet) == {"nps": 1}                            # n3: the 4th NPS of the day


def test_a_contact_is_planned_once_and_a_disabled_survey_not_at_all():
    due = [cand("a"), cand("a"), cand("b", "onboarding", period="once")]
    plan = plan_invitations(due, _Ledger(), D, {"nps": (True, 365, None), "onboarding": (False, None, None)})
    assert [c.contact_id for c in plan.invite] == ["a"]
    assert dict(plan.skipped) == {"already invited": 1} and not plan.not_yet


# --- the shared transaction --------------------------------------------------------------------

@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "t.duckdb"))
    c.execute("create table t (x integer)")
    yield c
    c.close()


def test_transaction_commits_the_block_and_rolls_back_any_exception(con):
    with transaction(con):
        con.execute("insert into t values (1)")
    for exc in (ValueError("bad row"), KeyboardInterrupt()):
        with pytest.raises(type(exc)):
            with transaction(con):
                con.execute("insert into t values (2)")
                raise exc
    assert con.execute("select list(x) from t").fetchone()[0] == [1]
    with transaction(con):  # the connection is usable again after a rollback
        con.execute("insert into t values (3)")
    assert con.execute("select list(x order by x) from t").fetchone()[0] == [1, 3]


def test_a_disabled_transaction_runs_the_block_as_is(con):
    con.execute("begin transaction")  # e.g. a dry run inside the caller's own transaction
    with transaction(con, enabled=False):
        con.execute("insert into t values (4)")
    con.execute("rollback")
    assert con.execute("select count(*) from t").fetchone()[0] == 0


def test_counts_fragment():
    assert counts({"b": 2, "a": 1}) == "a 1, b 2"
    assert counts({}, "none") == "none"
