"""Alerts: reconcile actions.fct_alert_candidates into ops.alerts, then queue owner digests.

The dbt model says which alerts should be open at as_of; this module only opens new ones,
keeps persisting ones (one alert per fingerprint, not one per day), resolves cleared ones
and queues one digest email per recipient with the alerts that are new, back from a snooze,
or due a reminder (the rule's realert_days while open and unacknowledged).

People change an alert's state with acknowledge / snooze / resolve (also `steward alerts`):
- acknowledged: still open (it resolves when the condition clears) but no more reminders;
- snoozed until a date: silent until then, then open again and in the next digest;
- resolved by hand: stays resolved while the condition persists; if it clears and comes
  back later, the alert reopens.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

import duckdb

from flows.delivery.message import Message
from flows.delivery.outbox import enqueue
from flows.actions.alert_text import RULE_LABELS, describe
from flows.actions._txn import transaction
from flows.actions.sender import person_name, team_names
from flows.delivery.render import render
from flows.reports.formatting import day
from flows.serve.links import alert_action_links

ACTIVE = ("open", "acknowledged", "snoozed")
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


class AlertError(Exception):
    """A request about an alert cannot be done; the message says why."""


@dataclass(frozen=True)
class Candidate:
    fingerprint: str
    rule: str
    account_id: str | None
    subject: str
    severity: str
    owner_id: str | None
    recipient: str
    cc_recipient: str | None
    title: str
    details: str
    realert_days: int | None = None


@dataclass(frozen=True)
class Current:
    """What reconciling needs to know of an existing ops.alerts row."""

    status: str
    manual_resolved: bool = False


@dataclass
class AlertPlan:
    """What reconciling changes: fingerprints to open, reopen, keep seen, and resolve."""

    to_open: list[Candidate] = field(default_factory=list)
    to_reopen: list[Candidate] = field(default_factory=list)
    to_touch: list[Candidate] = field(default_factory=list)
    to_resolve: list[str] = field(default_factory=list)
    to_rearm: list[str] = field(default_factory=list)  # resolved by hand, condition cleared


def plan_alert_changes(desired: list[Candidate], current: dict[str, Current | str]) -> AlertPlan:
    """Pure diff of desired candidates against ops.alerts ({fingerprint: Current or status})."""
    plan = AlertPlan()
    now = {fp: (c if isinstance(c, Current) else Current(c)) for fp, c in current.items()}
    wanted = {c.fingerprint: c for c in desired}
    for fp, cand in wanted.items():
        cur = now.get(fp)
        if cur is None:
            plan.to_open.append(cand)
        elif cur.status == "resolved" and not cur.manual_resolved:
            plan.to_reopen.append(cand)
        else:  # active, or resolved by a person while the condition persists: keep it as it is
            plan.to_touch.append(cand)
    for fp, cur in now.items():
        if fp in wanted:
            continue
        if cur.status in ACTIVE:
            plan.to_resolve.append(fp)
        elif cur.manual_resolved:
            plan.to_rearm.append(fp)
    return plan


def _alert_id(fingerprint: str) -> str:
    return "al_" + fingerprint[:20]


def read_candidates(con: duckdb.DuckDBPyConnection) -> list[Candidate]:
    rows = con.execute(
        "select fingerprint, rule, account_id, subject, severity, owner_id, recipient, cc_recipient, title, "
        "details, realert_days from actions.fct_alert_candidates"
    ).fetchall()
    return [Candidate(*r) for r in rows]


def apply_plan(con: duckdb.DuckDBPyConnection, plan: AlertPlan, as_of: date) -> None:
    """Write the plan to ops.alerts in one transaction."""
    with transaction(con):
        _apply(con, plan, as_of)


def _apply(con: duckdb.DuckDBPyConnection, plan: AlertPlan, as_of: date) -> None:
    if plan.to_open:
        con.executemany(
            "insert into ops.alerts (alert_id, fingerprint, rule, account_id, subject, severity, owner_id, "
            "recipient, cc_recipient, title, details, status, first_as_of, last_seen_as_of, created_at, "
            "manual_resolved, notify_count) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, now(), false, 0)",
            [[_alert_id(c.fingerprint), c.fingerprint, c.rule, c.account_id, c.subject, c.severity, c.owner_id,
              c.recipient, c.cc_recipient, c.title, c.details, as_of, as_of] for c in plan.to_open])
    if plan.to_reopen:
        con.executemany(
            "update ops.alerts set status = 'open', resolved_as_of = null, snoozed_until = null, "
            "acknowledged_at = null, notified_at = null, last_notified_as_of = null, title = ?, details = ?, "
            "severity = ?, owner_id = ?, recipient = ?, cc_recipient = ?, last_seen_as_of = ? where fingerprint = ?",
            [[c.title, c.details, c.severity, c.owner_id, c.recipient, c.cc_recipient, as_of, c.fingerprint]
             for c in plan.to_reopen])
    if plan.to_touch:
        # facts in the title move day to day ("no touchpoint for 34 days"); owners change hands
        con.executemany(
            "update ops.alerts set title = ?, details = ?, severity = ?, owner_id = ?, recipient = ?, "
            "cc_recipient = ?, last_seen_as_of = ? where fingerprint = ?",
            [[c.title, c.details, c.severity, c.owner_id, c.recipient, c.cc_recipient, as_of, c.fingerprint]
             for c in plan.to_touch])
    if plan.to_resolve:
        con.execute("update ops.alerts set status = 'resolved', resolved_as_of = ?, snoozed_until = null "
                    "where list_contains(?, fingerprint)", [as_of, plan.to_resolve])
    if plan.to_rearm:
        con.execute("update ops.alerts set manual_resolved = false where list_contains(?, fingerprint)",
                    [plan.to_rearm])


def wake_snoozed(con: duckdb.DuckDBPyConnection, as_of: date) -> int:
    """Snoozed alerts whose date has come are open again and due in the next digest."""
    woken = con.execute(
        "update ops.alerts set status = 'open', snoozed_until = null, last_notified_as_of = null "
        "where status = 'snoozed' and snoozed_until <= ? returning alert_id", [as_of]).fetchall()
    return len(woken)


def _digest(recipient: str, name: str | None, alerts: list[dict], as_of: date, leader: bool) -> Message:
    ids = ",".join(sorted(a["alert_id"] for a in alerts))
    key = f"alert-digest:{recipient}:{as_of}:{hashlib.blake2b(ids.encode(), digest_size=8).hexdigest()}"
    new = sum(1 for a in alerts if not a["reminder"])
    parts = [f"{new} new alert{'s' if new != 1 else ''}"] if new else []
    if len(alerts) > new:
        parts.append(f"{len(alerts) - new} reminder{'s' if len(alerts) - new != 1 else ''}")
    title = f"{' and '.join(parts).capitalize()}, {day(as_of)}"
    critical = sum(1 for a in alerts if a["severity"] == "critical")
    subject = f"{title}{f' ({critical} critical)' if critical else ''}"
    text, html = render("alert_digest", title=title, recipient_name=name, alerts=alerts, as_of=as_of,
                        leader=leader)
    # which alerts this email carried (ids stay out of the text people read): for support and audits
    return Message(key, "alert_digest", recipient, subject, text, html, name, as_of=as_of,
                   headers=(("X-Steward-Alerts", ids),))


# grouped per owner and due date, not per account (dbt macro task_alert_groups)
TASK_RULES = ("task_due", "task_overdue")
SEVERITY_COLOURS = {"critical": "#b42318", "warning": "#b54708", "info": "#175cd3"}

DUE_SQL = """
    select a.alert_id, a.recipient, a.cc_recipient, a.severity, a.title, a.details, a.account_id,
           d.account_name, t.display_name as recipient_name,
           a.last_notified_as_of is not null as reminder, a.rule, a.first_as_of, a.owner_id
    from ops.alerts a
    left join marts.dim_accounts d using (account_id)
    left join marts.dim_team t on lower(t.email) = lower(a.recipient)
    left join actions.fct_alert_candidates c using (fingerprint)
    where a.status = 'open'
      and (a.last_notified_as_of is null
           or (c.realert_days is not null and a.last_notified_as_of + c.realert_days <= ?))
"""


def queue_digests(con: duckdb.DuckDBPyConnection, as_of: date, leader: str | None = None,
                  currency: str = "USD", config=None) -> int:
    """One digest per recipient (CC'd leaders included) of alerts due a notice; returns messages queued."""
    rows = con.execute(DUE_SQL, [as_of]).fetchall()
    names = team_names(con)
    by_recipient: dict[str, list[dict]] = {}
    greet: dict[str, str | None] = {}
    for (alert_id, recipient, cc, severity, title, details, account_id, account_name, recipient_name,
         reminder, rule, first_as_of, owner_id) in rows:
        headline, sentence = describe(rule, json.loads(details or "{}"), title, names, currency)
        alert = dict(alert_id=alert_id, severity=severity, title=title, headline=headline, sentence=sentence,
                     account_id=account_id, account_name=account_name, reminder=reminder, rule=rule,
                     label=RULE_LABELS.get(rule, rule.replace("_", " ")), since=day(first_as_of),
                     colour=SEVERITY_COLOURS.get(severity, "#52606d"),
                     scope="Your tasks" if rule in TASK_RULES else "",
                     owner_name=names.get(owner_id) if account_id else None,
                     # steward serve's signed buttons (acknowledge, snooze, resolve); none without serve.base_url
                     links=alert_action_links(config, alert_id) if config else [])
        for to in dict.fromkeys(x for x in (recipient, cc) if x):
            by_recipient.setdefault(to, []).append(alert)
            greet.setdefault(to, recipient_name if to == recipient else None)
    queued = 0
    with transaction(con):
        for recipient, alerts in sorted(by_recipient.items()):
            alerts.sort(key=lambda a: (a["reminder"], SEVERITY_ORDER.get(a["severity"], 3), a["account_name"] or "",
                                       a["headline"]))
            is_leader = bool(leader) and recipient.lower() == leader.lower()
            name = greet[recipient] or (person_name(con, leader, leader) if is_leader else None)
            queued += enqueue(con, _digest(recipient, name, alerts, as_of, is_leader))
        if rows:
            con.execute("update ops.alerts set notified_at = now(), last_notified_as_of = ?, "
                        "notify_count = coalesce(notify_count, 0) + 1 where list_contains(?, alert_id)",
                        [as_of, [r[0] for r in rows]])
    return queued


@dataclass
class AlertRunResult:
    opened: int
    reopened: int
    persisting: int
    resolved: int
    digests_queued: int
    woken: int = 0
    reminded: int = 0
    skipped_backfill: bool = False


def reconcile_alerts(con: duckdb.DuckDBPyConnection, as_of: date, leader: str | None = None,
                     currency: str = "USD", config=None) -> AlertRunResult:
    """Diff desired vs current alerts, apply it, wake snoozed ones, queue digests.

    A run for a day before the latest one already reconciled is skipped: ops state moves
    forward only, and the marts of the backfilled day stay queryable as they are.
    """
    latest = con.execute("select max(last_seen_as_of) from ops.alerts").fetchone()[0]
    if latest is not None and as_of < latest:
        return AlertRunResult(0, 0, 0, 0, 0, skipped_backfill=True)
    current = {fp: Current(status, bool(manual)) for fp, status, manual in
               con.execute("select fingerprint, status, manual_resolved from ops.alerts").fetchall()}
    plan = plan_alert_changes(read_candidates(con), current)
    apply_plan(con, plan, as_of)
    woken = wake_snoozed(con, as_of)
    reminded = con.execute(f"select count(*) from ({DUE_SQL}) where reminder", [as_of]).fetchone()[0]
    queued = queue_digests(con, as_of, leader, currency, config)
    return AlertRunResult(len(plan.to_open), len(plan.to_reopen), len(plan.to_touch), len(plan.to_resolve),
                          queued, woken, reminded)


# -- people acting on alerts (CLI `steward alerts ...` calls these) ---------------------------------

LIST_COLUMNS = ("alert_id", "status", "severity", "rule", "account_id", "account_name", "title", "recipient",
                "first_as_of", "last_seen_as_of", "snoozed_until", "resolved_as_of")


def list_alerts(con: duckdb.DuckDBPyConnection, statuses: tuple[str, ...] = ACTIVE, rule: str | None = None,
                recipient: str | None = None, account_id: str | None = None) -> list[dict]:
    """Alerts in the given statuses, most severe and newest first, as dicts of LIST_COLUMNS."""
    unknown = set(statuses) - {*ACTIVE, "resolved"}
    if unknown:
        raise AlertError(f"unknown status {sorted(unknown)}; use {', '.join((*ACTIVE, 'resolved'))} or all")
    has_dim = con.execute("select count(*) from information_schema.tables where table_schema = 'marts' "
                          "and table_name = 'dim_accounts'").fetchone()[0]
    name = "d.account_name" if has_dim else "null"
    join = "left join marts.dim_accounts d using (account_id)" if has_dim else ""
    rows = con.execute(
        f"select a.alert_id, a.status, a.severity, a.rule, a.account_id, {name}, a.title, a.recipient, "
        "a.first_as_of, a.last_seen_as_of, a.snoozed_until, a.resolved_as_of "
        f"from ops.alerts a {join} where list_contains(?, a.status) "
        "and (? is null or a.rule = ?) and (? is null or lower(a.recipient) = lower(?) "
        "or lower(a.cc_recipient) = lower(?) or a.owner_id = ?) and (? is null or a.account_id = ?) "
        "order by case a.severity when 'critical' then 0 when 'warning' then 1 else 2 end, "
        "a.first_as_of desc, a.alert_id",
        [list(statuses), rule, rule, recipient, recipient, recipient, recipient, account_id, account_id],
    ).fetchall()
    return [dict(zip(LIST_COLUMNS, r)) for r in rows]


def _one(con: duckdb.DuckDBPyConnection, alert_id: str) -> tuple[str, str]:
    """(alert_id, status) of the alert with this id or unique id prefix."""
    rows = con.execute("select alert_id, status from ops.alerts where starts_with(alert_id, ?) order by 1",
                       [alert_id.strip()]).fetchall()
    if not rows:
        raise AlertError(f"no alert with id {alert_id!r}; `steward alerts list` shows the ids")
    if len(rows) > 1 and rows[0][0] != alert_id:
        raise AlertError(f"{alert_id!r} matches {len(rows)} alerts ({', '.join(r[0] for r in rows[:3])}...); "
                         "give more of the id")
    return rows[0]


def acknowledge(con: duckdb.DuckDBPyConnection, alert_id: str, by: str) -> str:
    """Someone is on it: no more reminders; it still resolves when the condition clears."""
    aid, status = _one(con, alert_id)
    if status not in ("open", "snoozed"):
        raise AlertError(f"alert {aid} is {status}; only open or snoozed alerts can be acknowledged")
    con.execute("update ops.alerts set status = 'acknowledged', acknowledged_at = now(), snoozed_until = null, "
                "changed_by = ? where alert_id = ?", [by, aid])
    return aid


def snooze(con: duckdb.DuckDBPyConnection, alert_id: str, until: date, by: str, today: date | None = None) -> str:
    """Silence an active alert until a date; it comes back open (and in the digest) on that day."""
    aid, status = _one(con, alert_id)
    if status == "resolved":
        raise AlertError(f"alert {aid} is resolved; there is nothing to snooze")
    today = today or date.today()
    if until <= today:
        raise AlertError(f"snooze until {until} is not in the future (today is {today})")
    con.execute("update ops.alerts set status = 'snoozed', snoozed_until = ?, changed_by = ? where alert_id = ?",
                [until, by, aid])
    return aid


def resolve(con: duckdb.DuckDBPyConnection, alert_id: str, by: str, as_of: date | None = None) -> str:
    """Close an alert by hand. It stays closed while its condition lasts and reopens if it recurs."""
    aid, status = _one(con, alert_id)
    if status == "resolved":
        raise AlertError(f"alert {aid} is already resolved")
    con.execute("update ops.alerts set status = 'resolved', manual_resolved = true, snoozed_until = null, "
                "resolved_as_of = coalesce(?, last_seen_as_of), changed_by = ? where alert_id = ?",
                [as_of, by, aid])
    return aid
