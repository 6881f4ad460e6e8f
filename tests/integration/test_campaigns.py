"""Campaign scheduling and queuing on a real DuckDB file.

The tables the reconciler reads (dim_contacts, dim_accounts, fct_campaign_targets) are filled
directly in their dbt shapes, so each rule is tested on exactly the rows it needs; the dbt side
is covered by fct_campaign_targets' unit tests and by test_campaigns_flow.py.
"""

from datetime import date, datetime, timedelta, timezone

import pytest

from flows.actions.campaigns import preview, queue_pending, reconcile_campaigns, send
from flows.delivery.outbox import drain, suppress
from flows.delivery.transport import FileTransport
from flows.warehouse import connect
from tests.conftest import make_config

pytestmark = pytest.mark.integration

DAY = date(2026, 6, 1)
OPEN = datetime(2026, 6, 1, 10, tzinfo=timezone.utc)    # inside 06-20 UTC
CLOSED = datetime(2026, 6, 1, 22, tzinfo=timezone.utc)

SHAPES = """
create schema if not exists staging; create schema if not exists marts; create schema if not exists actions;
create table marts.dim_contacts (contact_id varchar, account_id varchar, email varchar, contact_name varchar,
    role varchar, is_champion boolean, is_primary boolean, unreachable_reason varchar, is_reachable boolean);
create table marts.dim_accounts (account_id varchar, account_name varchar, segment varchar, journey_phase varchar,
    is_paying boolean, owner_name varchar);
create table actions.fct_campaign_targets (campaign varchar, step varchar, account_id varchar, contact_id varchar,
    reason varchar);
"""


@pytest.fixture
def con(tmp_path):
    c = connect(tmp_path / "ws" / "warehouse.duckdb")
    c.execute(SHAPES)
    yield c
    c.close()


def config(tmp_path, **campaigns):
    base = {"send_window_utc": {"start_hour": 6, "end_hour": 20}, **campaigns}
    return make_config(tmp_path / "ws", campaigns=base)


def account(con, account_id, name=None, segment="smb", phase="adoption", owner="Casey CSM"):
    con.execute("insert into marts.dim_accounts values (?, ?, ?, ?, true, ?)",
                [account_id, name or f"Account {account_id}", segment, phase, owner])


def contact(con, contact_id, account_id, email=None, role="IT Admin", primary=True, gone=None, name=None):
    """A dim_contacts row; gone is its unreachable_reason at as_of (left, unsubscribed), decided in dbt."""
    con.execute("insert into marts.dim_contacts values (?, ?, ?, ?, ?, false, ?, ?, ?)",
                [contact_id, account_id, email or f"{contact_id}@example.com", name or contact_id.title(), role,
                 primary, gone, gone is None])


def targets(con, rows):
    """Replace fct_campaign_targets, as each dbt build does."""
    con.execute("delete from actions.fct_campaign_targets")
    for campaign, step, account_id, contact_id in rows:
        con.execute("insert into actions.fct_campaign_targets values (?, ?, ?, ?, 'test')",
                    [campaign, step, account_id, contact_id])


def phase(con, account_id, name, entered, exited=None):
    con.execute("update ops.account_phase_history set exited_as_of = ? where account_id = ? and exited_as_of is null",
                [entered, account_id])
    con.execute("insert into ops.account_phase_history values (?, ?, ?, ?, 'test', now())",
                [account_id, name, entered, exited])


def outbox(con, category=None):
    where = "where category = ?" if category else ""
    return con.execute(f"select idempotency_key, to_email, as_of from ops.outbox {where} order by 1",
                       [category] if category else []).fetchall()


def ledger(con):
    return dict(con.execute("select idempotency_key, status || coalesce(': ' || note, '') "
                            "from ops.campaign_sends").fetchall())


BULK = {"name": "release", "audience": {"roles": ["*admin*"], "segments": ["smb"]},
        "subject": "New for {account_name}", "body": "Hello {contact_name},\n\nSomething new.\n\n{owner_name}"}


def test_selection_leaves_out_who_must_not_get_it_and_preview_counts_what_send_queues(con, tmp_path):
    cfg = config(tmp_path, bulk=[BULK])
    account(con, "A", name="Beta <b>Labs</b> & Co")
    account(con, "E", segment="enterprise")
    account(con, "X", phase="churned")
    for cid in ("ok1", "ok2"):
        contact(con, cid, "A")
    contact(con, "later_leaver", "A")     # leaves after as_of: reachable at as_of (dim_contacts' unit test)
    contact(con, "gone", "A", gone="left")
    contact(con, "unsub", "A", gone="unsubscribed")
    contact(con, "bounced", "A")
    suppress(con, "Bounced@example.com", "bounce", "sendgrid")
    contact(con, "broken", "A", email="not-an-address")
    contact(con, "twin_a", "A", email="Twin@example.com")
    contact(con, "twin_b", "A", email="twin@EXAMPLE.com")                # same address: one email
    contact(con, "analyst", "A", role="Analyst")                        # not in the audience
    contact(con, "enterprise_admin", "E")                               # other segment
    contact(con, "churned_admin", "X")                                  # churned account

    p = preview(con, cfg, "release", DAY, now=OPEN)
    assert p.selection.total_eligible == 4  # ok1, ok2, later_leaver, twin_a
    assert dict(p.selection.excluded) == {"left": 1, "unsubscribed": 1, "suppressed": 1, "no valid email": 1,
                                          "duplicate address": 1}
    assert p.selection.samples == ["later_leaver@example.com", "ok1@example.com", "ok2@example.com",
                                   "twin@example.com"]
    assert outbox(con) == [] and ledger(con) == {}  # a preview records nothing

    out = send(con, cfg, "release", DAY, now=OPEN)
    assert out.scheduled == out.queue.total_queued == p.selection.total_eligible
    assert sorted(to for _, to, _ in outbox(con)) == p.selection.samples
    html = con.execute("select html_body from ops.outbox where to_email = 'ok1@example.com'").fetchone()[0]
    assert "New for Beta &lt;b&gt;Labs&lt;/b&gt; &amp; Co" in html and "<b>Labs</b>" not in html

    again = preview(con, cfg, "release", DAY, now=OPEN)
    # the four, and twin_b: its address already has it
    assert again.selection.total_eligible == 0 and again.selection.excluded["already sent"] == 5
    assert send(con, cfg, "release", DAY, now=OPEN).scheduled == 0 and len(outbox(con)) == 4

    # a bounce recorded after queuing: delivery drops that one, sends the rest once
    suppress(con, "ok2@example.com", "bounce", "sendgrid")
    transport = FileTransport(tmp_path / "out", "steward@example.com", "Steward")
    result = drain(con, transport, budget=100)
    assert (result.sent, result.suppressed) == (3, 1)
    assert drain(con, transport, budget=100).sent == 0


def test_outside_the_send_window_nothing_is_queued_until_a_run_inside_it(con, tmp_path):
    cfg = config(tmp_path)
    account(con, "A")
    contact(con, "ana", "A")
    targets(con, [("welcome", "once", "A", "ana")])
    closed = reconcile_campaigns(con, cfg, DAY, now=CLOSED)
    assert closed.window_closed and closed.scheduled == {"welcome": 1} and closed.pending == 1
    assert outbox(con) == []
    assert reconcile_campaigns(con, cfg, DAY, now=CLOSED).scheduled == {}  # scheduled once only
    opened = reconcile_campaigns(con, cfg, DAY + timedelta(days=1), now=OPEN)
    assert opened.queued == {"welcome": 1} and opened.pending == 0
    assert outbox(con) == [("campaign:welcome:once:ana", "ana@example.com", DAY + timedelta(days=1))]
    # a window across midnight (22-3) is open at 22:00
    night = config(tmp_path, send_window_utc={"start_hour": 22, "end_hour": 3})
    targets(con, [("welcome", "once", "A", "ana")])
    assert not reconcile_campaigns(con, night, DAY + timedelta(days=1), now=CLOSED).window_closed


def test_max_per_run_queues_lifecycle_first_then_oldest_and_the_rest_next_run(con, tmp_path):
    cfg = config(tmp_path, max_per_run=10, bulk=[{**BULK, "audience": {"segments": ["enterprise"]}}])
    for i in range(23):
        account(con, f"A{i:02d}")
        contact(con, f"c{i:02d}", f"A{i:02d}")
    account(con, "E", segment="enterprise")
    for i in range(3):
        contact(con, f"e{i}", "E")
    # day 1: a bulk send (3) and 15 welcomes: welcome goes first, 10 per run
    targets(con, [("welcome", "once", f"A{i:02d}", f"c{i:02d}") for i in range(15)])
    day1 = reconcile_campaigns(con, cfg, DAY, now=OPEN)
    assert day1.queued == {"welcome": 10} and day1.pending == 5 and day1.rate_limited == 5
    sent = send(con, cfg, "release", DAY, now=OPEN)  # its own run: 5 welcomes first, then the release
    assert sent.scheduled == 3 and sent.queue.queued == {"welcome": 5, "release": 3}
    # day 2: 8 new welcomes; 10 go out, none from day 1 left
    targets(con, [("welcome", "once", f"A{i:02d}", f"c{i:02d}") for i in range(15, 23)])
    day2 = reconcile_campaigns(con, cfg, DAY + timedelta(days=1), now=OPEN)
    assert day2.queued == {"welcome": 8} and day2.pending == 0
    assert len(outbox(con, "campaign_welcome")) == 23 and len(outbox(con, "campaign_release")) == 3
    # oldest first: 12 new on day 3, 10 queued; the 2 left go before day 4's newcomers
    for i in range(23, 37):
        account(con, f"A{i:02d}")
        contact(con, f"c{i:02d}", f"A{i:02d}")
    targets(con, [("welcome", "once", f"A{i:02d}", f"c{i:02d}") for i in range(23, 35)])
    assert reconcile_campaigns(con, cfg, DAY + timedelta(days=2), now=OPEN).pending == 2
    waiting = {k for k, s in ledger(con).items() if s == "pending"}
    targets(con, [("welcome", "once", f"A{i:02d}", f"c{i:02d}") for i in range(35, 37)])
    reconcile_campaigns(con, cfg, DAY + timedelta(days=3), now=OPEN)
    day4 = {k for k, _, d in outbox(con) if d == DAY + timedelta(days=3)}
    assert waiting <= day4 and len(day4) == 4


def test_one_campaign_email_per_address_per_day(con, tmp_path):
    cfg = config(tmp_path)
    account(con, "A", phase="onboarding")
    phase(con, "A", "onboarding", DAY)
    contact(con, "ana", "A")
    targets(con, [("welcome", "once", "A", "ana"), ("onboarding_sequence", "day_0", "A", "ana")])
    first = reconcile_campaigns(con, cfg, DAY, now=OPEN)
    assert first.queued == {"welcome": 1} and first.capped == 1
    assert reconcile_campaigns(con, cfg, DAY, now=OPEN).queued == {}  # a rerun the same day: still capped
    targets(con, [])
    assert reconcile_campaigns(con, cfg, DAY + timedelta(days=1), now=OPEN).queued == {"onboarding_sequence": 1}


def test_pooled_reach_out_repeats_after_every_days_not_before(con, tmp_path):
    cfg = config(tmp_path)
    account(con, "P")
    contact(con, "pat", "P")
    queued_on = []
    for offset in (0, 1, 10, 44, 45, 46, 89, 90):
        day = DAY + timedelta(days=offset)
        targets(con, [("pooled_reach_out", day.isoformat(), "P", "pat")])  # dbt: due unless touched lately
        if reconcile_campaigns(con, cfg, day, now=OPEN).queued:
            queued_on.append(offset)
    assert queued_on == [0, 45, 90]
    assert [k for k, _, _ in outbox(con)] == [f"campaign:pooled_reach_out:{(DAY + timedelta(days=d)).isoformat()}:pat"
                                              for d in (0, 45, 90)]


def test_a_waiting_sequence_step_is_cancelled_when_the_account_leaves_onboarding(con, tmp_path):
    cfg = config(tmp_path)
    account(con, "A", phase="onboarding")
    account(con, "B", phase="onboarding")
    contact(con, "ana", "A")
    contact(con, "bo", "B")
    for acct in ("A", "B"):
        phase(con, acct, "onboarding", DAY)
    targets(con, [("onboarding_sequence", "day_0", "A", "ana"), ("onboarding_sequence", "day_0", "B", "bo")])
    assert reconcile_campaigns(con, cfg, DAY, now=OPEN).queued == {"onboarding_sequence": 2}
    day7 = DAY + timedelta(days=7)
    targets(con, [("onboarding_sequence", "day_7", "A", "ana"), ("onboarding_sequence", "day_7", "B", "bo")])
    assert reconcile_campaigns(con, cfg, day7, now=CLOSED).pending == 2  # outside the window: waits
    phase(con, "A", "risk", day7 + timedelta(days=1))                   # A leaves onboarding meanwhile
    targets(con, [])
    day8 = reconcile_campaigns(con, cfg, day7 + timedelta(days=1), now=OPEN)
    assert day8.queued == {"onboarding_sequence": 1} and day8.cancelled == {"account left onboarding": 1}
    assert ledger(con)["campaign:onboarding_sequence:day_7:ana"] == "cancelled: account left onboarding"
    assert [k for k, _, _ in outbox(con)] == ["campaign:onboarding_sequence:day_0:ana",
                                              "campaign:onboarding_sequence:day_0:bo",
                                              "campaign:onboarding_sequence:day_7:bo"]


def test_waiting_emails_are_cancelled_when_the_contact_unsubscribes_or_the_campaign_goes(con, tmp_path):
    cfg = config(tmp_path, bulk=[BULK])
    account(con, "A")
    for cid in ("ana", "ben", "cy"):
        contact(con, cid, "A")
    waits = send(con, cfg, "release", DAY, now=CLOSED)
    assert waits.queue.window_closed and waits.queue.pending == waits.waiting == 3
    con.execute("update marts.dim_contacts set unreachable_reason = 'unsubscribed', is_reachable = false "
                "where contact_id = 'ana'")
    suppress(con, "ben@example.com", "spam_report", "sendgrid")
    out = queue_pending(con, cfg, DAY, now=OPEN)
    assert out.queued == {"release": 1} and out.cancelled == {"unsubscribed": 1, "suppressed": 1}
    assert send(con, cfg, "release", DAY, now=OPEN).scheduled == 0  # cancelled contacts are not rescheduled
    account(con, "B")
    contact(con, "dee", "B")
    send(con, cfg, "release", DAY, now=CLOSED)
    without = config(tmp_path)
    assert queue_pending(con, without, DAY, now=OPEN).cancelled == {"campaign no longer configured": 1}


def test_a_backfilled_day_schedules_nothing(con, tmp_path):
    cfg = config(tmp_path)
    account(con, "A")
    contact(con, "ana", "A")
    targets(con, [("pooled_reach_out", (DAY + timedelta(days=10)).isoformat(), "A", "ana")])
    reconcile_campaigns(con, cfg, DAY + timedelta(days=10), now=OPEN)
    targets(con, [("pooled_reach_out", DAY.isoformat(), "A", "ana")])
    back = reconcile_campaigns(con, cfg, DAY, now=OPEN)
    assert back.skipped_backfill and len(outbox(con)) == 1
