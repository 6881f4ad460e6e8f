"""Mail that is not sent yet, made visible: why each message waits, how long, and what to do.

Used by `steward deliver`, `steward run` and `steward outbox list/release`.
"""

from __future__ import annotations

import hashlib

import duckdb

from flows.delivery.message import Message

UNSENT = ("queued", "sending", "unconfirmed", "held")
RELEASE_HINT = ("check SendGrid's Email Activity for the recipient, then `steward outbox release ID…` "
                "(or `--all-unconfirmed`) to send, `--as-sent` if it arrived")


def _reason(status: str, error: str | None) -> str:
    if status == "queued" and not error:
        return "not tried yet (over the send budget, or the drain stopped first)"
    if status == "sending":
        return "sending now (or interrupted: the next drain settles it)"
    return error or status


def pending_summary(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every unsent message grouped by status and reason, with the count and the oldest age."""
    rows = con.execute(
        "select status, last_error, count(*), "
        "  date_diff('minute', min(created_at), cast(now() as timestamp)), min(unconfirmed_at) "
        "from ops.outbox where list_contains(?, status) group by all order by 3 desc, 1, 2",
        [list(UNSENT)]).fetchall()
    return [{"status": s, "reason": _reason(s, e), "count": n, "oldest_minutes": age,
             "since": first.isoformat(timespec="seconds") if first else None}
            for s, e, n, age, first in rows]


def age(minutes: int | None) -> str:
    """45 min, 5 h, 3 d: how long a message has waited."""
    if minutes is None:
        return "?"
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h" if minutes < 2880 else f"{minutes // 1440} d"


def describe_pending(pending: list[dict], window_minutes: float | None = None) -> list[str]:
    """One line per reason, with the command that acts on it (empty when nothing waits)."""
    lines = []
    for p in pending:
        n, status = p["count"], p["status"]
        line = f"{n} {status}: {p['reason']} (oldest {age(p['oldest_minutes'])})"
        if status == "unconfirmed" and window_minutes is not None:
            line += f"; looked up in SendGrid activity {window_minutes:g} min after the send, never resent blind"
        lines.append(line)
    if any(p["status"] == "held" for p in pending):
        lines.append(f"held mail waits for a person: `steward outbox list --status held`; {RELEASE_HINT}")
    elif pending:
        lines.append("details: `steward outbox list`")
    return lines


def list_rows(con: duckdb.DuckDBPyConnection, statuses: list[str]) -> list[tuple]:
    """(message_id, status, category, to_email, age in minutes, reason) oldest first."""
    return con.execute(
        "select message_id, status, category, to_email, "
        "  date_diff('minute', created_at, cast(now() as timestamp)), last_error "
        "from ops.outbox where list_contains(?, status) order by created_at, message_id", [statuses]).fetchall()


def release(con: duckdb.DuckDBPyConnection, ids: list[str], as_sent: bool = False) -> tuple[int, list[str]]:
    """Queue held/unconfirmed messages again (or record them as sent, after a person checked).

    `ids` are message ids or idempotency keys; empty means every held or unconfirmed message.
    Returns (released, ids that matched no held or unconfirmed message: then nothing is released).
    """
    where = "status in ('held', 'unconfirmed')"
    params: list = []
    if ids:
        where += " and (list_contains(?, message_id) or list_contains(?, idempotency_key))"
        params = [ids, ids]
    found = con.execute(f"select message_id, idempotency_key from ops.outbox where {where}", params).fetchall()
    matched = {x for row in found for x in row}
    unknown = [i for i in ids if i not in matched]
    if unknown:  # all or nothing: a typo releases nothing
        return 0, unknown
    new_status = "sent" if as_sent else "queued"
    note = "released by a person: recorded as sent" if as_sent else "released by a person: queued to send"
    con.execute(f"update ops.outbox set status = ?, last_error = ?, held_at = null, "
                f"sent_at = case when ? = 'sent' then now() else sent_at end where {where}",
                [new_status, note, new_status, *params])
    return len(found), []


def alert_held(con: duckdb.DuckDBPyConnection, policy) -> int:
    """Queue one email to the data team about messages held (or still unconfirmed) longer than
    the alert age since their send went unanswered; each is reported once. Returns how many."""
    from flows.delivery.outbox import enqueue

    if not policy.alert_to:
        return 0
    rows = con.execute(
        # held or still unconfirmed (lookups failing) this long since the send went unanswered
        "select message_id, category, to_email, date_diff('minute', unconfirmed_at, cast(now() as timestamp)), "
        "  last_error from ops.outbox where status in ('held', 'unconfirmed') and held_alerted_at is null "
        "and unconfirmed_at <= cast(now() as timestamp) - to_microseconds(cast(? * 3.6e9 as bigint)) "
        "order by created_at, message_id",
        [policy.alert_held_after_hours]).fetchall()
    if not rows:
        return 0
    ids = [r[0] for r in rows]
    listing = [f"- {mid} {cat} to {to}, unknown for {age(m)}: {err}" for mid, cat, to, m, err in rows]
    text = (f"{len(rows)} email(s) have been held for more than {policy.alert_held_after_hours:g} h: SendGrid "
            "did not answer when they were sent, and they were not found in its Email Activity afterwards, so "
            "Steward does not know whether the recipients got them.\n\n" + "\n".join(listing) +
            f"\n\nTo decide: {RELEASE_HINT}.\n")
    html = "<pre>" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</pre>"
    key = "ops_outbox_held:" + hashlib.blake2b(",".join(ids).encode(), digest_size=8).hexdigest()
    enqueue(con, Message(key, "ops_outbox_held", policy.alert_to,
                         f"Steward: {len(rows)} email(s) held for review", text, html,
                         as_of=None))
    con.execute("update ops.outbox set held_alerted_at = now() where list_contains(?, message_id)", [ids])
    return len(rows)
