"""ops.outbox: enqueue with an idempotency key, then drain through a transport exactly once.

A message is `queued`, then `sending` (committed before the transport is called), then `sent`
or `failed`. A crash leaves `sending`; the next drain asks the transport whether it already
accepted the message before sending again, so nothing is sent twice. When the transport cannot
tell, the message is held as `unconfirmed` for a person to release (`steward outbox release`)
rather than risk a duplicate; nothing is ever dropped silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb

from flows.delivery.message import Attachment, Message
from flows.delivery.transport import LookupUnavailable, SendStatus, Transport

_COLUMNS = ("message_id, idempotency_key, kind, category, to_email, to_name, subject, "
            "text_body, html_body, as_of, attachments, from_name, reply_to")


def enqueue(con: duckdb.DuckDBPyConnection, msg: Message) -> bool:
    """Record a message; returns False when its idempotency key is already in the outbox."""
    exists = con.execute("select count(*) from ops.outbox where idempotency_key = ?",
                         [msg.idempotency_key]).fetchone()[0]
    if exists:
        return False
    con.execute(
        f"insert into ops.outbox ({_COLUMNS}, created_at, status) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), 'queued')",
        [msg.message_id, msg.idempotency_key, msg.kind, msg.category, msg.to_email, msg.to_name,
         msg.subject, msg.text_body, msg.html_body, msg.as_of, msg.attachments_json(), msg.from_name,
         msg.reply_to],
    )
    return True


def enqueue_many(con: duckdb.DuckDBPyConnection, msgs: list[Message]) -> int:
    """Record many messages in one statement (a campaign to thousands); keys already in the
    outbox are skipped, as enqueue() does one by one. Returns how many were added."""
    if not msgs:
        return 0
    import pyarrow as pa

    rows = pa.table({
        "message_id": [m.message_id for m in msgs], "idempotency_key": [m.idempotency_key for m in msgs],
        "kind": [m.kind for m in msgs], "category": [m.category for m in msgs],
        "to_email": [m.to_email for m in msgs], "to_name": [m.to_name for m in msgs],
        "subject": [m.subject for m in msgs], "text_body": [m.text_body for m in msgs],
        "html_body": [m.html_body for m in msgs], "as_of": pa.array([m.as_of for m in msgs], pa.date32()),
        "attachments": pa.array([m.attachments_json() for m in msgs], pa.string()),
        "from_name": pa.array([m.from_name for m in msgs], pa.string()),
        "reply_to": pa.array([m.reply_to for m in msgs], pa.string()),
    })
    con.register("_steward_new_messages", rows)
    try:
        return con.execute(
            f"insert into ops.outbox ({_COLUMNS}, created_at, status) "
            f"select distinct on (idempotency_key) {_COLUMNS}, now(), 'queued' from _steward_new_messages n "
            "where not exists (select 1 from ops.outbox o where o.idempotency_key = n.idempotency_key)"
        ).fetchone()[0]
    finally:
        con.unregister("_steward_new_messages")

def suppress(con: duckdb.DuckDBPyConnection, email: str, reason: str, source: str) -> None:
    """Add an address to the suppression list (unsubscribe, bounce, ...); idempotent."""
    con.execute("insert into ops.suppressions values (lower(?), ?, ?, now()) on conflict do nothing",
                [email.strip(), reason, source])


def _load(row: tuple) -> Message:
    (_mid, key, kind, category, to_email, to_name, subject, text_body, html_body, as_of, att, from_name,
     reply_to) = row
    attachments = tuple(Attachment.from_json(a) for a in json.loads(att)) if att else ()
    return Message(key, category, to_email, subject, text_body, html_body, to_name, kind, as_of, attachments,
                   from_name, reply_to)


@dataclass
class DrainResult:
    sent: int = 0
    recovered: int = 0  # found already accepted after an interrupted send
    failed: int = 0
    deferred: int = 0  # left queued: budget exhausted or transient error
    suppressed: int = 0
    unconfirmed: int = 0  # interrupted and the provider cannot say: held for review
    aborted: str | None = None  # the transport refused all sending (e.g. bad API key)
    errors: list[str] = field(default_factory=list)


def _mark(con: duckdb.DuckDBPyConnection, message_ids: str | list[str], status: str, transport: str,
          provider_id: str | None = None, error: str | None = None) -> None:
    """Set the status of one message or of a whole batch in one statement (one commit)."""
    ids = [message_ids] if isinstance(message_ids, str) else list(message_ids)
    con.execute(
        "update ops.outbox set status = ?, transport = ?, provider_message_id = coalesce(?, provider_message_id), "
        "last_error = ?, sent_at = case when ? = 'sent' then now() else sent_at end "
        "where list_contains(?, message_id)",
        [status, transport, provider_id, error, status, ids],
    )


def _recover(con, transport: Transport, msg: Message, out: DrainResult) -> bool:
    """For a message left `sending` by a crash: True when settled without sending again."""
    try:
        provider_id = transport.accepted_id(msg)
    except LookupUnavailable as exc:
        _mark(con, msg.message_id, "unconfirmed", transport.name, error=str(exc))
        out.unconfirmed += 1
        return True
    if provider_id is not None:
        _mark(con, msg.message_id, "sent", transport.name, provider_id)
        out.recovered += 1
        return True
    return False


def _pending(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        f"select {_COLUMNS}, status, kind = 'marketing' and exists ("
        "  select 1 from ops.suppressions s where s.email = lower(o.to_email)) as is_suppressed "
        "from ops.outbox o where status in ('queued', 'sending') order by created_at, message_id"
    ).fetchall()


def _batches(msgs: list[Message], size: int) -> list[list[Message]]:
    """Identical-content messages grouped (in order of their oldest member), at most `size` each
    and each address at most once per group."""
    if size <= 1:
        return [[m] for m in msgs]
    groups: dict[str, list[tuple[list[Message], set[str]]]] = {}
    for m in msgs:
        chunks = groups.setdefault(m.content_key, [([], set())])
        address = m.to_email.lower()
        # SendGrid refuses a request naming one address twice: such a message starts a new chunk
        if len(chunks[-1][0]) >= size or address in chunks[-1][1]:
            chunks.append(([], set()))
        chunks[-1][0].append(m)
        chunks[-1][1].add(address)
    return [chunk for chunks in groups.values() for chunk, _ in chunks]


def _send(con, transport: Transport, batch: list[Message], out: DrainResult) -> None:
    """Two-phase: commit `sending` for the batch, make one request, settle every message."""
    ids = [m.message_id for m in batch]
    con.execute("update ops.outbox set status = 'sending', attempts = attempts + 1 "
                "where list_contains(?, message_id)", [ids])
    result = transport.send(batch[0] if len(batch) == 1 else batch)
    if result.status is SendStatus.ACCEPTED:
        _mark(con, ids, "sent", transport.name, result.provider_message_id)
        out.sent += len(batch)
    elif result.status is SendStatus.UNKNOWN:
        for m in batch:  # maybe accepted: ask per key; resend only what the provider has not got
            if not _recover(con, transport, m, out):
                _mark(con, m.message_id, "queued", transport.name, error=result.error)
                out.deferred += 1
    elif result.status is SendStatus.RETRY:
        _mark(con, ids, "queued", transport.name, error=result.error)
        out.deferred += len(batch)
    elif result.stop:
        _mark(con, ids, "queued", transport.name, error=result.error)
        out.aborted, out.deferred = result.error, out.deferred + len(batch)
    elif len(batch) > 1:
        # One bad recipient makes SendGrid reject the whole request: retry one by one so only
        # the message at fault fails, with its own error.
        for m in batch:
            _send(con, transport, [m], out)
    else:
        _mark(con, ids, "failed", transport.name, error=result.error)
        out.failed += 1
        out.errors.append(f"{batch[0].to_email}: {result.error}")


def drain(con: duckdb.DuckDBPyConnection, transport: Transport, budget: int) -> DrainResult:
    """Send queued (and interrupted) messages, oldest first, up to `budget` messages.

    Messages with identical content (e.g. one report to several leaders) share a request when
    the transport allows it (transport.max_batch > 1); each keeps its own key and status.
    """
    out = DrainResult()
    sendable: list[Message] = []
    for row in _pending(con):
        msg, status, is_suppressed = _load(row[:-2]), row[-2], row[-1]
        if status == "sending" and _recover(con, transport, msg, out):
            continue
        if is_suppressed:
            _mark(con, msg.message_id, "suppressed", transport.name, error="address on suppression list")
            out.suppressed += 1
            continue
        sendable.append(msg)
    for batch in _batches(sendable, getattr(transport, "max_batch", 1)):
        room = 0 if out.aborted else max(0, budget - out.sent)
        if room < len(batch):
            out.deferred += len(batch) - room
            batch = batch[:room]
        if batch:
            _send(con, transport, batch, out)
    return out


def release_unconfirmed(con: duckdb.DuckDBPyConnection, keys: list[str] | None = None) -> int:
    """Put `unconfirmed` messages back in the queue after a person checked the provider."""
    where = "status = 'unconfirmed'" + (" and list_contains(?, idempotency_key)" if keys else "")
    n = con.execute(f"select count(*) from ops.outbox where {where}", [keys] if keys else []).fetchone()[0]
    con.execute(f"update ops.outbox set status = 'queued' where {where}", [keys] if keys else [])
    return n
