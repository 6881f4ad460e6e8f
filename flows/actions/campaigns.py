"""Campaigns: schedule customer emails into ops.campaign_sends once, then queue them into the outbox.

Who is due an automatic campaign (welcome, onboarding sequence step, pooled reach-out) is decided
in dbt (actions.fct_campaign_targets); who a bulk campaign is for is its configured audience,
evaluated when a person previews or sends it. Either way one selection step leaves out contacts
that left or unsubscribed by as_of, addresses on ops.suppressions, invalid addresses, a second
contact with the same address, and everyone already scheduled for that campaign step; the rest
become `pending` rows of ops.campaign_sends, whose keys (campaign, step, contact) and
(campaign, step, address) make "at most once" a table constraint.

The queue pass then turns pending rows into outbox messages, inside the send window only, at most
`max_per_run` per run (lifecycle emails first, then oldest) and `max_per_contact_per_day` per
address. Before that it cancels pending rows that no longer hold: the contact left, unsubscribed or
was suppressed meanwhile, a sequence step whose account left onboarding (or that a later step
superseded), a campaign removed from the config. Delivery still drops marketing mail to addresses
suppressed after queuing (bounces).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import duckdb

from flows.config import AUTOMATIC_CAMPAIGNS, BulkCampaign, CampaignEmail, Config
from flows.actions.sender import csm_senders, sender_address
from flows.delivery.message import Message
from flows.serve.links import unsubscribe_headers
from flows.delivery.outbox import enqueue_many
from flows.delivery.render import render

PRIORITY = {"welcome": 0, "onboarding_sequence": 1, "pooled_reach_out": 2}  # bulk campaigns: 3
EXCLUSION_ORDER = ("left", "unsubscribed", "no valid email", "suppressed", "not in CRM", "duplicate address",
                   "already sent", "already scheduled", "cancelled earlier")


class CampaignError(Exception):
    """A campaign name or state the user can fix (unknown name, no warehouse built yet)."""


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


# --- which campaigns exist --------------------------------------------------------------------

def bulk_campaign(config: Config, name: str) -> BulkCampaign | None:
    return next((c for c in config.campaigns.bulk if c.name == name), None)


def enabled_automatic(config: Config) -> list[str]:
    c = config.campaigns
    on = {"welcome": c.welcome.enabled, "onboarding_sequence": c.onboarding_sequence.enabled
          and bool(c.onboarding_sequence.steps), "pooled_reach_out": c.pooled_reach_out.enabled}
    return [name for name in AUTOMATIC_CAMPAIGNS if on[name]]


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


# --- selection: who gets it, who is left out and why -----------------------------------------

@dataclass
class Selection:
    """The outcome of choosing recipients: counts per campaign and per exclusion reason."""

    eligible: Counter = field(default_factory=Counter)  # campaign -> contacts to schedule
    excluded: Counter = field(default_factory=Counter)  # reason -> contacts left out
    samples: list[str] = field(default_factory=list)    # a few eligible addresses

    @property
    def total_eligible(self) -> int:
        return sum(self.eligible.values())


_CLASSIFY = """
create or replace temp table _campaign_selection as
with candidates as ({candidates}),
people as (
    select cand.campaign, cand.step, cand.contact_id, cand.account_id, cand.reason,
           c.contact_id is not null as known, lower(trim(c.email)) as email, c.name as to_name,
           cast(c.left_at as date) as left_on, cast(c.unsubscribed_at as date) as unsubscribed_on
    from candidates as cand
    left join staging.stg_crm__contacts as c on c.contact_id = cand.contact_id
),
ledger_state as (  -- 3 queued, 2 pending, 1 cancelled: for this contact, or this address
    select campaign, step, contact_id, email,
           case status when 'queued' then 3 when 'pending' then 2 else 1 end as state
    from ops.campaign_sends
),
seen as (  -- two equi-joins, not one join on "contact or address": hash joins at any size
    select campaign, step, contact_id, max(state) as state from (
        select p.campaign, p.step, p.contact_id, l.state from people as p
        inner join ledger_state as l
            on l.campaign = p.campaign and l.step = p.step and l.contact_id = p.contact_id
        union all
        select p.campaign, p.step, p.contact_id, l.state from people as p
        inner join ledger_state as l on l.campaign = p.campaign and l.step = p.step and l.email = p.email
    ) group by all
),
judged as (
    select p.*,
        case
            when not p.known then 'not in CRM'
            when p.left_on <= $as_of then 'left'
            when p.unsubscribed_on <= $as_of then 'unsubscribed'
            when p.email is null or not regexp_full_match(p.email, '[^@\\s]+@[^@\\s]+\\.[^@\\s]+') then 'no valid email'
            when s.email is not null then 'suppressed'
            when seen.state = 3 then 'already sent'
            when seen.state = 2 then 'already scheduled'
            when seen.state = 1 then 'cancelled earlier'
        end as excluded
    from people as p
    left join ops.suppressions as s on s.email = p.email
    left join seen on seen.campaign = p.campaign and seen.step = p.step and seen.contact_id = p.contact_id
)
select * exclude (excluded),
    case when excluded is null and row_number() over (
            partition by campaign, step, email, excluded is null order by contact_id) > 1
        then 'duplicate address' else excluded end as excluded
from judged
"""


def _select(con: duckdb.DuckDBPyConnection, candidates: str, params: dict, as_of: date,
            samples: int = 0) -> Selection:
    """Classify candidate (campaign, step, contact_id, account_id, reason) rows into the temp
    table _campaign_selection and count them."""
    con.execute(_CLASSIFY.format(candidates=candidates), {**params, "as_of": as_of})
    out = Selection()
    for campaign, reason, n in con.execute(
            "select campaign, excluded, count(*) from _campaign_selection group by all").fetchall():
        if reason is None:
            out.eligible[campaign] += n
        else:
            out.excluded[reason] += n
    if samples:
        out.samples = [r[0] for r in con.execute(
            "select email from _campaign_selection where excluded is null order by email limit ?",
            [samples]).fetchall()]
    return out


def _schedule(con: duckdb.DuckDBPyConnection, as_of: date) -> int:
    """Insert the eligible rows of _campaign_selection as pending sends."""
    return con.execute(
        "insert into ops.campaign_sends (campaign, step, contact_id, email, account_id, to_name, reason, "
        "due_as_of, status, idempotency_key, created_at) "
        "select campaign, step, contact_id, email, account_id, to_name, reason, $as_of, 'pending', "
        "'campaign:' || campaign || ':' || step || ':' || contact_id, now() "
        "from _campaign_selection where excluded is null",
        {"as_of": as_of}).fetchone()[0]


def _automatic_candidates(config: Config, campaign: str | None = None) -> tuple[str, dict]:
    """Rows of actions.fct_campaign_targets that are due: a pooled account's period has to
    have passed since its last reach-out."""
    sql = ("select t.campaign, t.step, t.contact_id, t.account_id, t.reason "
           "from actions.fct_campaign_targets as t "
           "where list_contains($campaigns, t.campaign) "
           "and not (t.campaign = 'pooled_reach_out' and exists ("
           "  select 1 from ops.campaign_sends as l where l.campaign = 'pooled_reach_out' "
           "  and l.account_id = t.account_id and l.status <> 'cancelled' and l.due_as_of > $period_start))")
    names = enabled_automatic(config) if campaign is None else [campaign]
    return sql, {"campaigns": names, "every": config.campaigns.pooled_reach_out.every_days}


def _like(pattern: str) -> str:
    """A role pattern with * wildcards as a LIKE pattern (case-insensitive via lower())."""
    escaped = pattern.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.replace("*", "%")


def audience_candidates(campaign: BulkCampaign) -> tuple[str, dict]:
    """Contacts of a bulk campaign's audience (every condition ANDed; churned accounts only when
    the audience names phase churned)."""
    a = campaign.audience
    where, params = [], {"campaign": campaign.name}
    if a.phases:
        where.append("list_contains($phases, acc.journey_phase)")
        params["phases"] = list(a.phases)
    else:
        where.append("coalesce(acc.journey_phase, '') <> 'churned'")
    if a.segments:
        where.append("list_contains($segments, acc.segment)")
        params["segments"] = list(a.segments)
    if a.roles:
        ors = []
        for i, role in enumerate(a.roles):
            params[f"role{i}"] = _like(role)
            ors.append(f"lower(coalesce(c.role, '')) like $role{i} escape '\\'")
        where.append("(" + " or ".join(ors) + ")")
    if a.champions_only:
        where.append("coalesce(c.is_champion, false)")
    if a.primary_only:
        where.append("coalesce(c.is_primary, false)")
    if a.paying_only:
        where.append("acc.is_paying")
    sql = ("select $campaign as campaign, 'once' as step, c.contact_id, c.account_id, "
           "'audience: ' || coalesce(acc.segment, '?') || ', ' || coalesce(nullif(c.role, ''), 'no role') as reason "
           "from staging.stg_crm__contacts as c "
           "inner join marts.dim_accounts as acc on acc.account_id = c.account_id "
           "where " + " and ".join(where))
    return sql, params


# --- the queue pass -------------------------------------------------------------------------

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
        when cast(c.left_at as date) <= $as_of then 'contact left'
        when cast(c.unsubscribed_at as date) <= $as_of then 'unsubscribed'
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
left join staging.stg_crm__contacts as c on c.contact_id = l.contact_id
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
    stale = [(k, n) for k, n in con.execute(_STALE, {"as_of": as_of}).fetchall() if n]
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


def _in_transaction(con: duckdb.DuckDBPyConnection, fn, *args):
    con.execute("begin transaction")
    try:
        result = fn(*args)
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")
    return result


# --- the daily reconcile ----------------------------------------------------------------------

@dataclass
class CampaignRunResult:
    scheduled: dict[str, int] = field(default_factory=dict)  # campaign -> contacts newly scheduled
    excluded: dict[str, int] = field(default_factory=dict)   # reason -> due contacts left out
    queued: dict[str, int] = field(default_factory=dict)     # campaign -> emails queued (any day's)
    cancelled: dict[str, int] = field(default_factory=dict)
    rate_limited: int = 0
    capped: int = 0
    pending: int = 0
    window_closed: bool = False
    window: str = ""
    skipped_backfill: bool = False


def reconcile_campaigns(con: duckdb.DuckDBPyConnection, config: Config, as_of: date,
                        now: datetime | None = None) -> CampaignRunResult:
    """Schedule the automatic campaigns due at as_of, then queue what is pending; one transaction."""
    result = CampaignRunResult(window=config.campaigns.send_window_utc.label())
    latest = con.execute("select max(due_as_of) from ops.campaign_sends where list_contains(?, campaign)",
                         [list(AUTOMATIC_CAMPAIGNS)]).fetchone()[0]
    if latest is not None and as_of < latest:
        result.skipped_backfill = True
        return result

    def body() -> QueueResult:
        sql, params = _automatic_candidates(config)
        params["period_start"] = as_of - timedelta(days=params.pop("every"))
        selection = _select(con, sql, params, as_of)
        _schedule(con, as_of)
        result.scheduled = dict(selection.eligible)
        result.excluded = {k: v for k, v in selection.excluded.items()
                           if k not in ("already sent", "already scheduled", "cancelled earlier")}
        return queue_pending(con, config, as_of, now)

    q = _in_transaction(con, body)
    result.queued, result.cancelled, result.rate_limited, result.capped = q.queued, q.cancelled, q.rate_limited, q.capped
    result.pending, result.window_closed = q.pending, q.window_closed
    return result


def progress_line(r: CampaignRunResult) -> str:
    if r.skipped_backfill:
        return "skipped: a later day is already scheduled"
    scheduled = ", ".join(f"{k} {v}" for k, v in sorted(r.scheduled.items()))
    queued = ", ".join(f"{k} {v}" for k, v in sorted(r.queued.items()))
    excluded = ", ".join(f"{v} {k}" for k, v in sorted(r.excluded.items()))
    line = f"{sum(r.scheduled.values())} scheduled" + (f" ({scheduled})" if scheduled else "")
    if excluded:
        line += f", left out: {excluded}"
    if r.window_closed:
        line += f"; outside the send window {r.window}: none queued"
    else:
        line += f"; {sum(r.queued.values())} queued" + (f" ({queued})" if queued else "")
    waits = [f"{r.rate_limited} over max_per_run"] if r.rate_limited else []
    waits += [f"{r.capped} over the per-address daily cap"] if r.capped else []
    if r.pending:
        line += f"; {r.pending} pending" + (f" ({', '.join(waits)})" if waits else "")
    if r.cancelled:
        line += "; cancelled: " + ", ".join(f"{v} {k}" for k, v in sorted(r.cancelled.items()))
    return line


# --- commands: list, preview, send -----------------------------------------------------------

def _require_marts(con: duckdb.DuckDBPyConnection) -> None:
    have = {r[0] for r in con.execute(
        "select table_schema || '.' || table_name from information_schema.tables").fetchall()}
    missing = {"marts.dim_accounts", "staging.stg_crm__contacts", "actions.fct_campaign_targets"} - have
    if missing:
        raise CampaignError(f"the warehouse has no {', '.join(sorted(missing))} yet; run `steward run` first")


def last_build_as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    return con.execute("select max_by(as_of, finished_at) from ops.dbt_builds").fetchone()[0]


def campaign_names(config: Config) -> list[str]:
    return list(AUTOMATIC_CAMPAIGNS) + [b.name for b in config.campaigns.bulk]


def _candidates_for(con, config: Config, name: str, as_of: date) -> tuple[str, dict]:
    if name in AUTOMATIC_CAMPAIGNS:
        sql, params = _automatic_candidates(config, name)
        params["period_start"] = as_of - timedelta(days=params.pop("every"))
        return sql, params
    campaign = bulk_campaign(config, name)
    if campaign is None:
        raise CampaignError(f"no campaign named {name!r}; configured: {', '.join(campaign_names(config))}")
    return audience_candidates(campaign)


@dataclass
class Preview:
    name: str
    as_of: date
    selection: Selection
    automatic: bool
    built_as_of: date | None
    window_open: bool
    window: str
    max_per_run: int


def preview(con: duckdb.DuckDBPyConnection, config: Config, name: str, as_of: date,
            now: datetime | None = None, samples: int = 5) -> Preview:
    """Dry run: who would get campaign `name` at as_of and who is left out, and why. Sends nothing."""
    _require_marts(con)
    sql, params = _candidates_for(con, config, name, as_of)
    selection = _select(con, sql, params, as_of, samples=samples)
    now = now or datetime.now(timezone.utc)
    window = config.campaigns.send_window_utc
    return Preview(name, as_of, selection, name in AUTOMATIC_CAMPAIGNS, last_build_as_of(con),
                   window.is_open(now.astimezone(timezone.utc).hour), window.label(),
                   config.campaigns.max_per_run)


@dataclass
class SendOutcome:
    scheduled: int
    selection: Selection
    queue: QueueResult
    waiting: int = 0  # this campaign's emails still pending (window, rate or daily cap)


def send(con: duckdb.DuckDBPyConnection, config: Config, name: str, as_of: date,
         now: datetime | None = None) -> SendOutcome:
    """Schedule bulk campaign `name` for its audience (each contact once, ever), then run a queue
    pass (window and rate apply; what waits goes out with the next run)."""
    _require_marts(con)
    if name in AUTOMATIC_CAMPAIGNS:
        raise CampaignError(f"{name} is automatic: the daily run schedules it (preview it with "
                            f"`steward campaign preview {name}`)")
    sql, params = _candidates_for(con, config, name, as_of)

    def body() -> SendOutcome:
        selection = _select(con, sql, params, as_of)
        scheduled = _schedule(con, as_of)
        queue = queue_pending(con, config, as_of, now)
        waiting = con.execute("select count(*) from ops.campaign_sends where campaign = ? and status = 'pending'",
                              [name]).fetchone()[0]
        return SendOutcome(scheduled, selection, queue, waiting)

    return _in_transaction(con, body)


def list_campaigns(con: duckdb.DuckDBPyConnection, config: Config) -> list[dict]:
    """Every configured campaign with its ledger counts."""
    counts = {r[0]: r[1:] for r in con.execute(
        "select campaign, count(*) filter (where status = 'queued'), count(*) filter (where status = 'pending'), "
        "count(*) filter (where status = 'cancelled'), max(queued_as_of) from ops.campaign_sends group by 1"
    ).fetchall()}
    c = config.campaigns
    rows = [
        {"name": "welcome", "kind": "automatic", "enabled": c.welcome.enabled,
         "audience": f"{c.welcome.to}, account created or first paid in the last {c.welcome.within_days} days"},
        {"name": "onboarding_sequence", "kind": "automatic", "enabled": c.onboarding_sequence.enabled,
         "audience": f"{c.onboarding_sequence.to}, onboarding day "
                     + "/".join(str(s.day) for s in c.onboarding_sequence.steps)},
        {"name": "pooled_reach_out", "kind": "automatic", "enabled": c.pooled_reach_out.enabled,
         "audience": f"{c.pooled_reach_out.to}, pooled ({', '.join(c.pooled_reach_out.segments)} or assigned "
                     f"to a pool), every {c.pooled_reach_out.every_days} days"},
    ]
    for b in c.bulk:
        a = b.audience
        parts = [f"roles {', '.join(a.roles)}" if a.roles else "",
                 f"segments {', '.join(a.segments)}" if a.segments else "",
                 f"phases {', '.join(a.phases)}" if a.phases else "",
                 "champions" if a.champions_only else "", "primary contacts" if a.primary_only else "",
                 "paying accounts" if a.paying_only else ""]
        rows.append({"name": b.name, "kind": "bulk", "enabled": True,
                     "audience": "; ".join(p for p in parts if p) or "every contact",
                     "description": b.description})
    for row in rows:
        sent, pending, cancelled, last = counts.get(row["name"], (0, 0, 0, None))
        row.update(sent=sent, pending=pending, cancelled=cancelled, last_queued=last)
    return rows
