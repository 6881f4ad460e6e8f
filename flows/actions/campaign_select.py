"""Campaign recipients: who a campaign step is for, who is left out and why, and scheduling.

Candidates come from dbt (actions.fct_campaign_targets for the automatic campaigns) or from a bulk
campaign's configured audience over marts.dim_contacts. One classification leaves out contacts
dim_contacts marks unreachable at as_of (left, unsubscribed), addresses on ops.suppressions,
invalid addresses, a second contact with the same address, and everyone already scheduled for
that step; the rest become `pending` rows of ops.campaign_sends.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import duckdb

from flows.config import AUTOMATIC_CAMPAIGNS, BulkCampaign, Config

EXCLUSION_ORDER = ("left", "unsubscribed", "no valid email", "suppressed", "not in CRM", "duplicate address",
                   "already sent", "already scheduled", "cancelled earlier")


def bulk_campaign(config: Config, name: str) -> BulkCampaign | None:
    return next((c for c in config.campaigns.bulk if c.name == name), None)


def enabled_automatic(config: Config) -> list[str]:
    c = config.campaigns
    on = {"welcome": c.welcome.enabled, "onboarding_sequence": c.onboarding_sequence.enabled
          and bool(c.onboarding_sequence.steps), "pooled_reach_out": c.pooled_reach_out.enabled}
    return [name for name in AUTOMATIC_CAMPAIGNS if on[name]]


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
           c.contact_id is not null as known, lower(trim(c.email)) as email, c.contact_name as to_name,
           c.unreachable_reason
    from candidates as cand
    left join marts.dim_contacts as c on c.contact_id = cand.contact_id
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
            when p.unreachable_reason is not null then p.unreachable_reason  -- left, unsubscribed
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
    con.execute(_CLASSIFY.format(candidates=candidates), params)  # reachability: as dim_contacts was built
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
           "from marts.dim_contacts as c "
           "inner join marts.dim_accounts as acc on acc.account_id = c.account_id "
           "where " + " and ".join(where))
    return sql, params

