"""Campaign queue pass: pending ops.campaign_sends rows become outbox messages.

Inside the send window only, at most `max_per_run` per run (lifecycle emails first, then oldest)
and `max_per_contact_per_day` per address. Before that it cancels pending rows that no longer
hold: the contact became unreachable (marts.dim_contacts) or was suppressed meanwhile, a
sequence step whose account left onboarding (or that a later step superseded), a campaign
removed from the config. Delivery still drops marketing mail to addresses suppressed after
queuing (bounces).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import duckdb

from flows.actions.campaign_select import bulk_campaign, enabled_automatic
from flows.actions.sender import csm_senders, sender_address
from flows.config import CampaignEmail, Config
from flows.delivery.message import Message
from flows.delivery.outbox import enqueue_many
from flows.delivery.render import render
from flows.serve.links import unsubscribe_headers


def fill(text: str, values: dict[str, str]) -> str:
    """Replace {placeholder}s (validated in config) without str.format's brace rules."""
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def filled(template: CampaignEmail, contact_name: str | None, account_name: str,
           owner_name: str) -> tuple[str, str]:
    """(subject, body) with the placeholders filled in."""
    values = {"contact_name": contact_name or "there", "account_name": account_name, "owner_name": owner_name}
    return fill(template.subject, values), fill(template.body, values)


def render_campaign(subject: str, body: str, as_of: date) -> tuple[str, str]:
    """(text, html) of one campaign email; names are data, escaped in the HTML."""
    paragraphs = [p.strip() for p in body.split("\n\n") if p.strip()]
    return render("campaign_email", title=subject, as_of=as_of, paragraphs=paragraphs)


def template_for(config: Config, campaign: str, step: str) -> CampaignEmail | None:
    """The subject/body a pending row is rendered with (None: no longer configured)."""
    c = config.campaigns
    if campaign == "welcome":
        return c.welcome if c.welcome.enabled else None
    if campaign == "pooled_reach_out":
        return c.pooled_reach_out if c.pooled_reach_out.enabled else None
    if campaign == "onboarding_sequence":
        if not c.onboarding_sequence.enabled:
            return None
        return next((s for s in c.onboarding_sequence.steps if f"day_{s.day}" == step), None)
    return bulk_campaign(config, campaign)


@dataclass
class QueueResult:
    queued: dict[str, int] = field(default_factory=dict)     # campaign -> emails queued
    cancelled: dict[str, int] = field(default_factory=dict)  # why -> pending rows cancelled
    rate_limited: int = 0   # left pending: max_per_run reached
    capped: int = 0         # left pending: the address had its campaign email for the day
    pending: int = 0        # pending after the pass
    window_closed: bool = False
    window: str = ""

    @property
    def total_queued(self) -> int:
        return sum(self.queued.values())


_STALE = """
select l.idempotency_key,
    case
        when c.contact_id is null then 'contact no longer in CRM'
        when c.unreachable_reason = 'left' then 'contact left'
        when c.unreachable_reason = 'unsubscribed' then 'unsubscribed'
        when s.email is not null then 'suppressed'
        when l.campaign = 'onboarding_sequence' and not exists (
                select 1 from ops.account_phase_history as h
                where h.account_id = l.account_id and h.exited_as_of is null and h.phase = 'onboarding'
                    and h.entered_as_of <= l.due_as_of)
            then 'account left onboarding'
        when l.campaign = 'onboarding_sequence' and exists (
                select 1 from ops.campaign_sends as later
                where later.campaign = l.campaign and later.contact_id = l.contact_id
                    and later.status <> 'cancelled'
                    and try_cast(split_part(later.step, '_', 2) as integer) > try_cast(split_part(l.step, '_', 2) as integer))
            then 'superseded by a later step'
    end as note
from ops.campaign_sends as l
left join marts.dim_contacts as c on c.contact_id = l.contact_id
left join ops.suppressions as s on s.email = l.email
where l.status = 'pending'
"""


def _cancel(con: duckdb.DuckDBPyConnection, keys_notes: list[tuple[str, str]]) -> Counter:
    counts: Counter = Counter()
    by_note: dict[str, list[str]] = {}
    for key, note in keys_notes:
        by_note.setdefault(note, []).append(key)
    for note, keys in by_note.items():
        con.execute("update ops.campaign_sends set status = 'cancelled', note = ? "
                    "where status = 'pending' and list_contains(?, idempotency_key)", [note, keys])
        counts[note] += len(keys)
    return counts


def queue_pending(con: duckdb.DuckDBPyConnection, config: Config, as_of: date,
                  now: datetime | None = None) -> QueueResult:
    """Queue pending campaign emails into the outbox (window, rate and per-address cap applied)."""
    c = config.campaigns
    now = now or datetime.now(timezone.utc)
    out = QueueResult(window=c.send_window_utc.label())
    cancelled: Counter = Counter()
    stale = [(k, n) for k, n in con.execute(_STALE).fetchall() if n]
    cancelled.update(_cancel(con, stale))
    known = set(enabled_automatic(config)) | {b.name for b in c.bulk}
    gone = [(k, "campaign no longer configured") for k, camp in con.execute(
        "select idempotency_key, campaign from ops.campaign_sends where status = 'pending'").fetchall()
        if camp not in known]
    cancelled.update(_cancel(con, gone))
    if not c.send_window_utc.is_open(now.astimezone(timezone.utc).hour):
        out.window_closed = True
        out.cancelled = dict(cancelled)
        out.pending = con.execute("select count(*) from ops.campaign_sends where status = 'pending'").fetchone()[0]
        return out
    rows = con.execute(
        "select l.campaign, l.step, l.contact_id, l.email, l.to_name, l.account_id, l.idempotency_key, "
        "d.account_name, d.owner_name "
        "from ops.campaign_sends as l left join marts.dim_accounts as d on d.account_id = l.account_id "
        "where l.status = 'pending' "
        "order by case l.campaign when 'welcome' then 0 when 'onboarding_sequence' then 1 "
        "  when 'pooled_reach_out' then 2 else 3 end, l.due_as_of, l.created_at, l.campaign, l.step, l.email"
    ).fetchall()
    today = Counter(dict(con.execute(
        "select email, count(*) from ops.campaign_sends where status = 'queued' and queued_as_of = ? group by 1",
        [as_of]).fetchall()))
    messages: list[Message] = []
    unconfigured: list[tuple[str, str]] = []
    queued: Counter = Counter()
    rendered: dict[tuple[str, str], tuple[str, str]] = {}
    senders = csm_senders(con)
    for campaign, step, _contact, email, to_name, account_id, key, account_name, owner_name in rows:
        template = template_for(config, campaign, step)
        if template is None:
            unconfigured.append((key, "step no longer configured"))
            continue
        if len(messages) >= c.max_per_run:
            out.rate_limited += 1
            continue
        if today[email] >= c.max_per_contact_per_day:
            out.capped += 1
            continue
        today[email] += 1
        csm_name, csm_email = senders.get(account_id, (None, None))
        subject, body = filled(template, to_name, account_name or account_id or "your team",
                               csm_name or owner_name or config.delivery.from_name)
        if (subject, body) not in rendered:  # identical content renders once (and shares SendGrid requests)
            rendered[(subject, body)] = render_campaign(subject, body, as_of)
        text, html = rendered[(subject, body)]
        messages.append(Message(key, f"campaign_{campaign}", email, subject, text, html, to_name,
                                "marketing", as_of, headers=unsubscribe_headers(config, email),
                                from_name=csm_name, reply_to=csm_email,
                                from_email=sender_address(csm_email, config.delivery.csm_sender_domain)))
        queued[campaign] += 1
    cancelled.update(_cancel(con, unconfigured))
    enqueue_many(con, messages)
    if messages:
        con.execute("update ops.campaign_sends set status = 'queued', queued_as_of = ? "
                    "where status = 'pending' and list_contains(?, idempotency_key)",
                    [as_of, [m.idempotency_key for m in messages]])
    out.queued, out.cancelled = dict(queued), dict(cancelled)
    out.pending = con.execute("select count(*) from ops.campaign_sends where status = 'pending'").fetchone()[0]
    return out

