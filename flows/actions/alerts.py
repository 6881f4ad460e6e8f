"""Alerts: reconcile actions.fct_alert_candidates into ops.alerts, then queue owner digests.

The dbt model says which alerts should be open at as_of; this module only opens new ones,
keeps persisting ones (one alert per fingerprint, not one per day), resolves cleared ones
and queues one digest email per recipient for alerts nobody has been told about yet.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

import duckdb

from flows.delivery.message import Message
from flows.delivery.outbox import enqueue
from flows.delivery.render import render

ACTIVE = ("open", "acknowledged", "snoozed")


@dataclass(frozen=True)
class Candidate:
    fingerprint: str
    rule: str
    account_id: str | None
    subject: str
    severity: str
    owner_id: str | None
    recipient: str
    title: str
    details: str


@dataclass
class AlertPlan:
    """What reconciling changes: fingerprints to open, reopen, keep seen, and resolve."""

    to_open: list[Candidate] = field(default_factory=list)
    to_reopen: list[Candidate] = field(default_factory=list)
    to_touch: list[str] = field(default_factory=list)
    to_resolve: list[str] = field(default_factory=list)


def plan_alert_changes(desired: list[Candidate], current: dict[str, str]) -> AlertPlan:
    """Pure diff of desired candidates against {fingerprint: status} of ops.alerts."""
    plan = AlertPlan()
    wanted = {c.fingerprint: c for c in desired}
    for fp, cand in wanted.items():
        status = current.get(fp)
        if status is None:
            plan.to_open.append(cand)
        elif status == "resolved":
            plan.to_reopen.append(cand)
        else:
            plan.to_touch.append(fp)
    plan.to_resolve = [fp for fp, status in current.items() if status in ACTIVE and fp not in wanted]
    return plan


def _alert_id(fingerprint: str) -> str:
    return "al_" + fingerprint[:20]


def read_candidates(con: duckdb.DuckDBPyConnection) -> list[Candidate]:
    rows = con.execute(
        "select fingerprint, rule, account_id, subject, severity, owner_id, recipient, title, details "
        "from actions.fct_alert_candidates"
    ).fetchall()
    return [Candidate(*r) for r in rows]


def apply_plan(con: duckdb.DuckDBPyConnection, plan: AlertPlan, as_of: date) -> None:
    """Write the plan to ops.alerts in one transaction."""
    con.execute("begin transaction")
    for c in plan.to_open:
        con.execute(
            "insert into ops.alerts (alert_id, fingerprint, rule, account_id, subject, severity, owner_id, "
            "recipient, title, details, status, first_as_of, last_seen_as_of, created_at) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, now())",
            [_alert_id(c.fingerprint), c.fingerprint, c.rule, c.account_id, c.subject, c.severity,
             c.owner_id, c.recipient, c.title, c.details, as_of, as_of],
        )
    for c in plan.to_reopen:
        con.execute(
            "update ops.alerts set status = 'open', resolved_as_of = null, notified_at = null, "
            "title = ?, details = ?, last_seen_as_of = ? where fingerprint = ?",
            [c.title, c.details, as_of, c.fingerprint],
        )
    if plan.to_touch:
        con.execute("update ops.alerts set last_seen_as_of = ? where list_contains(?, fingerprint)",
                    [as_of, plan.to_touch])
    if plan.to_resolve:
        con.execute("update ops.alerts set status = 'resolved', resolved_as_of = ? "
                    "where list_contains(?, fingerprint)", [as_of, plan.to_resolve])
    con.execute("commit")


def _digest(recipient: str, name: str | None, alerts: list[dict], as_of: date) -> Message:
    ids = ",".join(sorted(a["alert_id"] for a in alerts))
    key = f"alert-digest:{recipient}:{as_of}:{hashlib.blake2b(ids.encode(), digest_size=8).hexdigest()}"
    title = f"{len(alerts)} new alert{'s' if len(alerts) != 1 else ''} for {as_of}"
    text, html = render("alert_digest", title=title, recipient_name=name or recipient,
                        alerts=alerts, as_of=as_of)
    return Message(key, "alert_digest", recipient, f"Steward: {title}", text, html, name, as_of=as_of)


def queue_digests(con: duckdb.DuckDBPyConnection, as_of: date) -> int:
    """One digest per recipient for open alerts not yet notified; returns messages queued."""
    rows = con.execute(
        "select a.alert_id, a.recipient, a.severity, a.title, a.details, a.account_id, "
        "coalesce(d.account_name, a.account_id) as account_name, d.owner_name "
        "from ops.alerts a left join marts.dim_accounts d using (account_id) "
        "where a.status = 'open' and a.notified_at is null "
        "order by a.recipient, case a.severity when 'critical' then 0 when 'warning' then 1 else 2 end, a.title"
    ).fetchall()
    by_recipient: dict[str, list[dict]] = {}
    names: dict[str, str | None] = {}
    for alert_id, recipient, severity, title, details, account_id, account_name, owner_name in rows:
        by_recipient.setdefault(recipient, []).append(dict(
            alert_id=alert_id, severity=severity, title=title, details=json.loads(details or "{}"),
            account_id=account_id, account_name=account_name))
        names.setdefault(recipient, owner_name)
    queued = 0
    con.execute("begin transaction")
    for recipient, alerts in by_recipient.items():
        queued += enqueue(con, _digest(recipient, names[recipient], alerts, as_of))
        con.execute("update ops.alerts set notified_at = now() where list_contains(?, alert_id)",
                    [[a["alert_id"] for a in alerts]])
    con.execute("commit")
    return queued


@dataclass
class AlertRunResult:
    opened: int
    reopened: int
    persisting: int
    resolved: int
    digests_queued: int


def reconcile_alerts(con: duckdb.DuckDBPyConnection, as_of: date) -> AlertRunResult:
    """Diff desired vs current alerts, apply it, queue digests."""
    current = dict(con.execute("select fingerprint, status from ops.alerts").fetchall())
    plan = plan_alert_changes(read_candidates(con), current)
    apply_plan(con, plan, as_of)
    queued = queue_digests(con, as_of)
    return AlertRunResult(len(plan.to_open), len(plan.to_reopen), len(plan.to_touch),
                          len(plan.to_resolve), queued)
