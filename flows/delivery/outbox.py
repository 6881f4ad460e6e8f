"""ops.outbox: enqueue with an idempotency key, then drain through a transport exactly once.

A message is `queued`, then `sending` (committed before the transport is called), then `sent`
or `failed`. A crash leaves `sending`; the next drain asks the transport whether it already
accepted the message before sending again, so nothing is sent twice or lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from flows.delivery.message import Message
from flows.delivery.transport import SendStatus, Transport

_COLUMNS = ("message_id, idempotency_key, kind, category, to_email, to_name, subject, "
            "text_body, html_body, as_of")


def enqueue(con: duckdb.DuckDBPyConnection, msg: Message) -> bool:
    """Record a message; returns False when its idempotency key is already in the outbox."""
    before = con.execute("select count(*) from ops.outbox where idempotency_key = ?",
                         [msg.idempotency_key]).fetchone()[0]
    if before:
        return False
    con.execute(
        f"insert into ops.outbox ({_COLUMNS}, created_at, status) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), 'queued')",
        [msg.message_id, msg.idempotency_key, msg.kind, msg.category, msg.to_email, msg.to_name,
         msg.subject, msg.text_body, msg.html_body, msg.as_of],
    )
    return True


def _load(row: tuple) -> Message:
    (_mid, key, kind, category, to_email, to_name, subject, text_body, html_body, as_of) = row
    return Message(key, category, to_email, subject, text_body, html_body, to_name, kind, as_of)


@dataclass
class DrainResult:
    sent: int = 0
    recovered: int = 0  # found already accepted after an interrupted send
    failed: int = 0
    deferred: int = 0  # left queued: budget exhausted or retry later
    errors: list[str] = field(default_factory=list)


def _mark(con: duckdb.DuckDBPyConnection, message_id: str, status: str, transport: str,
          provider_id: str | None = None, error: str | None = None) -> None:
    con.execute(
        "update ops.outbox set status = ?, transport = ?, provider_message_id = coalesce(?, provider_message_id), "
        "last_error = ?, sent_at = case when ? = 'sent' then now() else sent_at end where message_id = ?",
        [status, transport, provider_id, error, status, message_id],
    )


def drain(con: duckdb.DuckDBPyConnection, transport: Transport, budget: int) -> DrainResult:
    """Send queued (and interrupted) messages, oldest first, up to `budget` sends."""
    out = DrainResult()
    rows = con.execute(
        f"select {_COLUMNS}, status from ops.outbox where status in ('queued', 'sending') "
        "order by created_at, message_id"
    ).fetchall()
    for row in rows:
        msg, status = _load(row[:-1]), row[-1]
        if status == "sending":
            provider_id = transport.accepted_id(msg)
            if provider_id is not None:
                _mark(con, msg.message_id, "sent", transport.name, provider_id)
                out.recovered += 1
                continue
        if out.sent >= budget:
            out.deferred += 1
            continue
        con.execute("update ops.outbox set status = 'sending', attempts = attempts + 1 where message_id = ?",
                    [msg.message_id])
        result = transport.send(msg)
        if result.status is SendStatus.ACCEPTED:
            _mark(con, msg.message_id, "sent", transport.name, result.provider_message_id)
            out.sent += 1
        elif result.status is SendStatus.RETRY:
            _mark(con, msg.message_id, "queued", transport.name, error=result.error)
            out.deferred += 1
        else:
            _mark(con, msg.message_id, "failed", transport.name, error=result.error)
            out.failed += 1
            out.errors.append(f"{msg.to_email}: {result.error}")
    return out
