"""Playbooks on the hand-written scenario: trigger -> exactly one run with the right tasks and due
dates; a rerun adds nothing; finishing the tasks or the trigger clearing closes the run; a closed
run is not started again inside the same episode. Real ingest, dbt build and Prefect runs."""

import shutil
from datetime import date

import pytest

from tests.conftest import FIXTURES, make_config
from tests.support.warehouse import rows as q

pytestmark = pytest.mark.integration

# A1 (Casey) and A2 (Robin) renew on 2026-04-01: 17 days after 2026-03-15. A3 renews 2026-05-20
# (66 days) and A4 is monthly (not a term plan): neither is inside 30 days.
PLAYBOOK = {
    "name": "renewal_prep", "trigger": {"renewal_within_days": 30},
    "steps": [
        {"task": "Confirm renewal with {account_name}", "owner_role": "csm", "due_days": 3},
        {"task": "Escalate {account_name} if no answer", "owner_role": "csl", "due_days": 10},
        {"email_subject": "Renewal coming up for {account_name}", "email_body": "Hi {contact_name},\n\nCheck it.",
         "to": "owner", "due_days": 0},
    ],
}


@pytest.fixture(scope="module")
def story(prefect_harness, tmp_path_factory):
    from flows.actions.tasks import complete_task
    from flows.daily_run import daily_run_for
    from flows.warehouse import session

    root = tmp_path_factory.mktemp("playbooks")
    shutil.copytree(FIXTURES / "landing" / "minimal", root / "landing")
    cfg = make_config(root / "ws", root / "landing", playbooks=[PLAYBOOK])
    s = {"day1": daily_run_for(cfg, date(2026, 3, 15))}
    s["runs1"] = q(cfg, "select account_id, status, episode_start from ops.playbook_runs order by 1")
    s["tasks1"] = q(cfg, "select account_id, owner_id, title, due_date, status from ops.tasks order by 1, 4")
    s["mail1"] = q(cfg, "select to_email, subject from ops.outbox where category = 'playbook_renewal_prep' order by 1")
    s["rerun"] = daily_run_for(cfg, date(2026, 3, 15))
    s["counts_after_rerun"] = q(cfg, "select (select count(*) from ops.playbook_runs), (select count(*) from ops.tasks), "
                                     "(select count(*) from ops.outbox)")
    a1_tasks = [t for (t,) in q(cfg, "select task_id from ops.tasks where account_id = 'A1'")]
    with session(cfg.path("warehouse")) as con:
        for t in a1_tasks:
            complete_task(con, t, date(2026, 3, 16))
    s["day2"] = daily_run_for(cfg, date(2026, 3, 16))
    s["runs2"] = q(cfg, "select account_id, status, close_reason from ops.playbook_runs order by 1")
    s["day3"] = daily_run_for(cfg, date(2026, 3, 17))
    s["runs3"] = q(cfg, "select count(*) from ops.playbook_runs")
    s["after_renewal"] = daily_run_for(cfg, date(2026, 4, 2))
    s["runs4"] = q(cfg, "select account_id, status, close_reason, episode_ended_as_of from ops.playbook_runs order by 1")
    s["tasks4"] = q(cfg, "select account_id, status, count(*) from ops.tasks group by all order by 1, 2")
    s["progress"] = q(cfg, "select runs, runs_completed, runs_exited, tasks, tasks_done, share_done_on_time "
                           "from actions.rpt_playbook_progress where slice = 'all'")
    return s


def test_a_trigger_starts_exactly_one_run_with_its_tasks_and_due_dates(story):
    assert story["runs1"] == [("A1", "active", date(2026, 3, 15)), ("A2", "active", date(2026, 3, 15))]
    # csm tasks go to the account's CSM; csl tasks to the CS leader on the team (U9)
    assert story["tasks1"] == [
        ("A1", "U1", "Confirm renewal with Acme Corp", date(2026, 3, 18), "open"),
        ("A1", "U9", "Escalate Acme Corp if no answer", date(2026, 3, 25), "open"),
        ("A2", "U2", "Confirm renewal with Beta <b>Labs</b> & Co", date(2026, 3, 18), "open"),
        ("A2", "U9", "Escalate Beta <b>Labs</b> & Co if no answer", date(2026, 3, 25), "open"),
    ]
    assert story["mail1"] == [("casey@example.com", "Renewal coming up for Acme Corp"),
                              ("robin@example.com", "Renewal coming up for Beta <b>Labs</b> & Co")]
    assert story["day1"]["playbooks"]["started"] == 2 and story["day1"]["playbooks"]["tasks_created"] == 4


def test_rerunning_the_day_adds_nothing(story):
    assert story["rerun"]["playbooks"]["started"] == 0 and story["rerun"]["playbooks"]["emails_queued"] == 0
    assert story["counts_after_rerun"] == [(2, 4, story["counts_after_rerun"][0][2])]


def test_all_tasks_done_closes_the_run_and_the_episode_does_not_restart(story):
    assert story["runs2"] == [("A1", "completed", "all tasks done"), ("A2", "active", None)]
    # A1 is still 15 days from renewal (same episode): no second run the next day
    assert story["day3"]["playbooks"]["started"] == 0 and story["runs3"] == [(2,)]


def test_the_trigger_clearing_exits_the_run_and_cancels_its_open_tasks(story):
    # 2026-04-02: both renewed on 04-01; next renewal a year away -> the trigger no longer holds
    assert story["runs4"] == [("A1", "completed", "all tasks done", date(2026, 4, 2)),
                              ("A2", "exited", "condition cleared", date(2026, 4, 2))]
    assert story["tasks4"] == [("A1", "done", 2), ("A2", "cancelled", 2)]


def test_progress_mart_counts_runs_and_on_time_tasks(story):
    # 2 runs, 1 completed, 1 exited; 4 tasks, 2 done, both before their due dates
    assert story["progress"] == [(2, 1, 1, 4, 2, 1.0)]


def test_holdout_is_seeded_stable_and_close_to_its_share():
    from flows.actions.playbooks import is_held_out
    from flows.config import Playbook

    pb = Playbook(name="risk", trigger={"phase": "risk"}, steps=[{"task": "x"}], holdout_pct=10)
    picks = [is_held_out(pb, f"A{i:05d}", date(2026, 3, 1)) for i in range(10_000)]
    assert 900 <= sum(picks) <= 1100
    assert picks == [is_held_out(pb, f"A{i:05d}", date(2026, 3, 1)) for i in range(10_000)]
    none = Playbook(name="risk", trigger={"phase": "risk"}, steps=[{"task": "x"}])
    assert not any(is_held_out(none, f"A{i}", date(2026, 3, 1)) for i in range(1000))
