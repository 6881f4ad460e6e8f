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

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import duckdb

from flows.actions._txn import built_as_of as last_build_as_of
from flows.actions._txn import counts, transaction
from flows.actions.campaign_queue import QueueResult, fill, filled, queue_pending, render_campaign, template_for
from flows.actions.campaign_select import (EXCLUSION_ORDER, Selection, _automatic_candidates, _like, _schedule,
                                           _select, audience_candidates, bulk_campaign, enabled_automatic)
from flows.config import AUTOMATIC_CAMPAIGNS, Config

# the modules this one fronts: callers keep importing from flows.actions.campaigns
__all__ = ["AUTOMATIC_CAMPAIGNS", "EXCLUSION_ORDER", "CampaignError", "CampaignRunResult", "Preview", "QueueResult",
           "Selection", "SendOutcome", "audience_candidates", "bulk_campaign", "campaign_names", "enabled_automatic",
           "fill", "filled", "last_build_as_of", "list_campaigns", "preview", "progress_line", "queue_pending",
           "reconcile_campaigns", "render_campaign", "send", "template_for", "_like"]


class CampaignError(Exception):
    """A campaign name or state the user can fix (unknown name, no warehouse built yet)."""


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

    sql, params = _automatic_candidates(config)
    params["period_start"] = as_of - timedelta(days=params.pop("every"))
    with transaction(con):
        selection = _select(con, sql, params, as_of)
        _schedule(con, as_of)
        q = queue_pending(con, config, as_of, now)
    result.scheduled = dict(selection.eligible)
    result.excluded = {k: v for k, v in selection.excluded.items()
                       if k not in ("already sent", "already scheduled", "cancelled earlier")}
    result.queued, result.cancelled, result.rate_limited, result.capped = q.queued, q.cancelled, q.rate_limited, q.capped
    result.pending, result.window_closed = q.pending, q.window_closed
    return result


def progress_line(r: CampaignRunResult) -> str:
    if r.skipped_backfill:
        return "skipped: a later day is already scheduled"
    scheduled, queued = counts(r.scheduled), counts(r.queued)
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
    missing = {"marts.dim_accounts", "marts.dim_contacts", "actions.fct_campaign_targets"} - have
    if missing:
        raise CampaignError(f"the warehouse has no {', '.join(sorted(missing))} yet; run `steward run` first")


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

    with transaction(con):
        selection = _select(con, sql, params, as_of)
        scheduled = _schedule(con, as_of)
        queue = queue_pending(con, config, as_of, now)
        waiting = con.execute("select count(*) from ops.campaign_sends where campaign = ? and status = 'pending'",
                              [name]).fetchone()[0]
    return SendOutcome(scheduled, selection, queue, waiting)


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

