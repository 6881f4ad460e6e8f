"""ops.outbox: enqueue with an idempotency key, then drain through a transport exactly once.

A message is `queued`, then `sending` (committed before the transport is called), then `sent`
or `failed`. When the outcome of a send is unknown (no answer after the request was written,
or a crash left it `sending`) it becomes `unconfirmed`: nothing is resent blind. Once the
provider's activity window has passed, a later drain looks it up: found -> `sent`; not found ->
the policy for its kind of mail: `resend` (queued again) or `hold` (status `held` until a person
runs `steward outbox release`). Nothing is ever dropped silently.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Literal

import duckdb

from flows.delivery.message import Attachment, Message
from flows.delivery.transport import LookupUnavailable, SendStatus, Transport

_COLUMNS = ("message_id, idempotency_key, kind, category, to_email, to_name, subject, "
            "text_body, html_body, as_of, attachments, headers, from_name, reply_to, from_email")


def enqueue(con: duckdb.DuckDBPyConnection, msg: Message) -> bool:
    """Record a message; returns False when its idempotency key is already in the outbox."""
    exists = con.execute("select count(*) from ops.outbox where idempotency_key = ?",
                         [msg.idempotency_key]).fetchone()[0]
    if exists:
        return False
    con.execute(
        f"insert into ops.outbox ({_COLUMNS}, created_at, status) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), 'queued')",
        [msg.message_id, msg.idempotency_key, msg.kind, msg.category, msg.to_email, msg.to_name,
         msg.subject, msg.text_body, msg.html_body, msg.as_of, msg.attachments_json(), msg.headers_json(),
         msg.from_name, msg.reply_to, msg.from_email],
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
        "headers": pa.array([m.headers_json() for m in msgs], pa.string()),
        "from_name": pa.array([m.from_name for m in msgs], pa.string()),
        "reply_to": pa.array([m.reply_to for m in msgs], pa.string()),
        "from_email": pa.array([m.from_email for m in msgs], pa.string()),
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
    (_mid, key, kind, category, to_email, to_name, subject, text_body, html_body, as_of, att, headers, from_name,
     reply_to, from_email) = row
    attachments = tuple(Attachment.from_json(a) for a in json.loads(att)) if att else ()
    extra = tuple(json.loads(headers).items()) if headers else ()
    return Message(key, category, to_email, subject, text_body, html_body, to_name, kind, as_of, attachments, extra,
                   from_name, reply_to, from_email)


@dataclass(frozen=True)
class Policy:
    """How a drain settles what it cannot see (config: delivery.safety)."""

    activity_window_seconds: float = 3600  # look an unknown send up only after this long
    customer: Literal["hold", "resend"] = "hold"  # not found after the window
    internal: Literal["hold", "resend"] = "resend"
    internal_categories: tuple[str, ...] = ("alert_digest", "report_", "ops_")  # category prefixes
    stop_after_failures: int = 3  # consecutive requests that failed: stop, leave the rest queued
    alert_held_after_hours: float = 24
    alert_to: str | None = None  # the data team; None: no alert

    def for_category(self, category: str) -> str:
        return self.internal if category.startswith(self.internal_categories) else self.customer

    @classmethod
    def from_config(cls, config) -> "Policy":
        s = config.delivery.safety
        return cls(s.activity_window_minutes * 60, s.customer_mail, s.internal_mail,
                   tuple(s.internal_categories), s.stop_after_failures, s.alert_held_after_hours,
                   config.recipients.data_team)


@dataclass
class DrainResult:
    sent: int = 0
    recovered: int = 0  # an unknown send found accepted (activity lookup or crash recovery)
    failed: int = 0
    deferred: int = 0  # left queued: budget exhausted, transient error or the drain stopped
    suppressed: int = 0
    unconfirmed: int = 0  # sends whose outcome became unknown in this drain
    resent: int = 0  # unknown, not found after the window, queued again (policy resend)
    held: int = 0  # unknown, not found after the window, held for a person (policy hold)
    alerted: int = 0  # held messages reported to the data team
    aborted: str | None = None  # sending stopped: refused (bad key) or the provider unreachable
    errors: list[str] = field(default_factory=list)
    pending: list[dict] = field(default_factory=list)  # every unsent row after the drain, by reason


def _mark(con: duckdb.DuckDBPyConnection, message_ids: str | list[str], status: str, transport: str,
          provider_id: str | None = None, error: str | None = None) -> None:
    """Set the status of one message or of a whole batch in one statement (one commit)."""
    ids = [message_ids] if isinstance(message_ids, str) else list(message_ids)
    con.execute(
        "update ops.outbox set status = ?, transport = ?, provider_message_id = coalesce(?, provider_message_id), "
        "last_error = ?, sent_at = case when ? = 'sent' then now() else sent_at end, "
        "unconfirmed_at = case when ? = 'unconfirmed' then now() else unconfirmed_at end, "
        "held_at = case when ? = 'held' then now() else null end "
        "where list_contains(?, message_id)",
        [status, transport, provider_id, error, status, status, status, ids],
    )


def _settle_unknown(con, transport: Transport, policy: Policy, out: DrainResult) -> None:
    """Look up unconfirmed messages whose activity window has passed and settle each one."""
    final = getattr(transport, "lookup_is_final", False)  # not found means not sent (file transport)
    window = 0 if final else policy.activity_window_seconds
    rows = con.execute(
        f"select {_COLUMNS}, request_id from ops.outbox where status = 'unconfirmed' "
        "and unconfirmed_at <= now() - to_microseconds(cast(? * 1e6 as bigint)) order by created_at, message_id",
        [window]).fetchall()
    minutes = f"{window / 60:g} min"
    by_request = getattr(transport, "lookup_by_request", False)
    requests: dict[str, dict[str, str]] = {}  # request_id -> {address: provider id}, one query each
    for row in rows:
        msg, request_id = _load(row[:-1]), row[-1]
        try:
            if by_request and request_id:
                if request_id not in requests:
                    requests[request_id] = transport.accepted_in_request(request_id)
                provider_id = requests[request_id].get(msg.to_email.lower())
            else:
                provider_id = transport.accepted_id(msg)
        except LookupUnavailable as exc:
            if exc.transient:  # rate-limited or unreachable: ask again on a later drain
                con.execute("update ops.outbox set last_error = ? where message_id = ?",
                            [f"activity lookup failed, asked again next drain: {exc}", msg.message_id])
                break
            provider_id, why = None, f"no activity lookup possible ({exc})"
        else:
            why = "the provider has no record of it" if final else \
                f"not in SendGrid activity {minutes} after an unanswered send"
        if provider_id is not None:
            _mark(con, msg.message_id, "sent", transport.name, provider_id)
            out.recovered += 1
        elif final or policy.for_category(msg.category) == "resend":
            _mark(con, msg.message_id, "queued", transport.name, error=f"resent: {why}")
            out.resent += 1
        else:
            _mark(con, msg.message_id, "held", transport.name, error=why)
            out.held += 1


def _pending(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        f"select {_COLUMNS}, kind = 'marketing' and exists ("
        "  select 1 from ops.suppressions s where s.email = lower(o.to_email)) as is_suppressed "
        "from ops.outbox o where status = 'queued' order by created_at, message_id"
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


def _send(con, transport: Transport, batch: list[Message], out: DrainResult) -> SendStatus:
    """Two-phase: commit `sending` for the batch, make one request, settle every message."""
    ids = [m.message_id for m in batch]
    request_id = uuid.uuid4().hex[:20]  # committed before the request: a crash can still look it up
    con.execute("update ops.outbox set status = 'sending', attempts = attempts + 1, request_id = ? "
                "where list_contains(?, message_id)", [request_id, ids])
    one = batch[0] if len(batch) == 1 else batch
    result = transport.send(one, request_id=request_id) if getattr(transport, "lookup_by_request", False) \
        else transport.send(one)
    if result.status is SendStatus.ACCEPTED:
        _mark(con, ids, "sent", transport.name, result.provider_message_id)
        out.sent += len(batch)
    elif result.status is SendStatus.UNKNOWN:
        # Maybe accepted. Looking it up now would prove nothing (activity lags the send):
        # a drain after the activity window settles it.
        _mark(con, ids, "unconfirmed", transport.name, error=result.error)
        out.unconfirmed += len(batch)
    elif result.status is SendStatus.RETRY:
        _mark(con, ids, "queued", transport.name, error=f"deferred: {result.error}")
        out.deferred += len(batch)
    elif result.stop:
        _mark(con, ids, "queued", transport.name, error=f"deferred: {result.error}")
        out.aborted, out.deferred = f"{transport.name} refused to send: {result.error}", out.deferred + len(batch)
    elif len(batch) > 1:
        # One bad recipient makes SendGrid reject the whole request: retry one by one so only
        # the message at fault fails, with its own error.
        for m in batch:
            _send(con, transport, [m], out)
        return SendStatus.REJECTED
    else:
        _mark(con, ids, "failed", transport.name, error=result.error)
        out.failed += 1
        out.errors.append(f"{batch[0].to_email}: {result.error}")
    return result.status


def drain(con: duckdb.DuckDBPyConnection, transport: Transport, budget: int,
          policy: Policy | None = None) -> DrainResult:
    """Settle unknown sends, then send queued messages, oldest first, up to `budget` messages.

    Messages with identical content (e.g. one report to several leaders) share a request when
    the transport allows it (transport.max_batch > 1); each keeps its own key and status.
    """
    from flows.delivery.held import alert_held, pending_summary

    policy = policy or Policy()
    out = DrainResult()
    # A crash left these `sending`: their outcome is unknown from now on.
    con.execute("update ops.outbox set status = 'unconfirmed', unconfirmed_at = now(), "
                "last_error = 'interrupted while sending (the process stopped before an answer)' "
                "where status = 'sending'")
    _settle_unknown(con, transport, policy, out)
    out.alerted = alert_held(con, policy)
    sendable: list[Message] = []
    for row in _pending(con):
        msg, is_suppressed = _load(row[:-1]), row[-1]
        if is_suppressed:
            _mark(con, msg.message_id, "suppressed", transport.name, error="address on suppression list")
            out.suppressed += 1
            continue
        sendable.append(msg)
    failures_in_a_row = 0
    for batch in _batches(sendable, getattr(transport, "max_batch", 1)):
        room = 0 if out.aborted else max(0, budget - out.sent)
        if room < len(batch):
            out.deferred += len(batch) - room
            batch = batch[:room]
        if not batch:
            continue
        status = _send(con, transport, batch, out)
        failures_in_a_row = failures_in_a_row + 1 if status in (SendStatus.RETRY, SendStatus.UNKNOWN) else 0
        if failures_in_a_row >= policy.stop_after_failures and not out.aborted:
            last = con.execute("select last_error from ops.outbox where message_id = ?",
                               [batch[0].message_id]).fetchone()[0]
            out.aborted = (f"{transport.name} failed {failures_in_a_row} requests in a row, so sending stopped "
                           f"(last: {last})")
    out.pending = pending_summary(con)
    return out
