"""Ad-hoc surveys (`steward survey send NAME`) and the survey listings (`steward survey list`).

An ad-hoc survey's audience is actions.fct_survey_audience filtered by its configured roles,
segments and phases; the invitation rules (cadence, suppression, one per period) are the daily
reconcile's own (flows/actions/surveys.py).
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import duckdb

from flows.actions._txn import built_as_of, transaction
from flows.actions.surveys import Candidate, SurveyError, _invite, _Ledger
from flows.config import AdhocSurvey, Config


def adhoc_audience(con: duckdb.DuckDBPyConnection, survey: AdhocSurvey, as_of: date) -> list[Candidate]:
    """Contacts in actions.fct_survey_audience matching the survey's audience, in a stable order."""
    a = survey.audience
    where, params = ["true"], []
    if a.roles:
        where.append("list_contains(?, lower(trim(role)))")
        params.append([r.strip().lower() for r in a.roles])
    if a.segments:
        where.append("list_contains(?, segment)")
        params.append(list(a.segments))
    if a.phases:
        where.append("list_contains(?, journey_phase)")
        params.append(list(a.phases))
    else:
        where.append("coalesce(journey_phase, '') <> 'churned'")
    if a.primary_only:
        where.append("is_primary")
    if a.champions_only:
        where.append("is_champion")
    period = "once" if survey.every_days is None else as_of.isoformat()
    rows = con.execute(
        "select contact_id, account_id, email, contact_name, account_name from actions.fct_survey_audience "
        f"where {' and '.join(where)} order by account_id, contact_id", params).fetchall()
    return [Candidate(survey.name, cid, acct, email, name, acct_name, period, f"ad-hoc survey {survey.name}")
            for cid, acct, email, name, acct_name in rows]


@dataclass
class AdhocResult:
    survey: str
    as_of: date
    audience: int = 0
    invited: int = 0
    would_invite: int = 0               # dry run
    skipped: dict[str, int] = field(default_factory=dict)
    sample: list[tuple[str, str]] = field(default_factory=list)  # (account, email) of the first few


def send_adhoc(con: duckdb.DuckDBPyConnection, config: Config, name: str, as_of: date | None = None,
               dry_run: bool = False) -> AdhocResult:
    """Invite the ad-hoc survey's audience (those not yet invited); dry_run only counts."""
    survey = config.surveys.adhoc_survey(name)
    if survey is None:
        known = ", ".join(s.name for s in config.surveys.adhoc) or "none configured"
        close = difflib.get_close_matches(name, [s.name for s in config.surveys.adhoc], n=1)
        raise SurveyError(f"no ad-hoc survey named {name!r} in surveys.adhoc"
                          + (f"; did you mean {close[0]!r}?" if close else f" (known: {known})"))
    built = built_as_of(con)
    if built is None:
        raise SurveyError("the marts have not been built yet; run `steward run --as-of DATE` first")
    if as_of is not None and as_of != built:
        raise SurveyError(f"the marts describe {built}, not {as_of}; run `steward run --as-of {as_of}` first "
                          f"(or leave out --as-of)")
    as_of = built
    out = AdhocResult(name, as_of)
    candidates = adhoc_audience(con, survey, as_of)
    out.audience = len(candidates)
    ledger = _Ledger(con)
    skipped: Counter = Counter()
    scale = (survey.scale_min, survey.scale_max)
    with transaction(con, enabled=not dry_run):
        for c in candidates:
            if survey.max_per_send is not None and out.invited + out.would_invite >= survey.max_per_send:
                skipped["over max_per_send"] += 1
                continue
            why = ledger.why_not(c, as_of, survey.every_days, config.surveys.min_days_between_surveys)
            if why:
                skipped[why] += 1
                continue
            if len(out.sample) < 5:
                out.sample.append((c.account_name or c.account_id, c.email))
            if dry_run:
                ledger.add(c.survey, c.contact_id, c.period, as_of)
                out.would_invite += 1
            elif _invite(con, config, survey, "csat", c, scale, as_of, ledger):
                out.invited += 1
    out.skipped = dict(skipped)
    return out


def survey_counts(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Per survey: invitations, answered, response rate, first and last day sent (ops state)."""
    rows = con.execute("""
        select survey, count(*) as invitations, count(response_id) as answered,
               round(count(response_id) / count(*), 4) as response_rate,
               round(avg(score), 2) as avg_score,
               round(100.0 * (count(case when kind = 'nps' and score >= 9 then 1 end)
                              - count(case when kind = 'nps' and score <= 6 then 1 end))
                     / nullif(count(case when kind = 'nps' then score end), 0), 1) as nps,
               min(sent_as_of) as first_sent, max(sent_as_of) as last_sent
        from ops.survey_invitations group by survey order by survey""")
    cols = [d[0] for d in rows.description]
    return [dict(zip(cols, r)) for r in rows.fetchall()]


def list_invitations(con: duckdb.DuckDBPyConnection, survey: str | None = None, account_id: str | None = None,
                     answered: bool | None = None) -> list[dict]:
    """Invitations, newest first (never the token)."""
    where, params = ["true"], []
    for col, value in (("survey", survey), ("account_id", account_id)):
        if value:
            where.append(f"{col} = ?")
            params.append(value)
    if answered is not None:
        where.append("response_id is " + ("not null" if answered else "null"))
    cur = con.execute(
        "select invitation_id, survey, account_id, contact_id, email, sent_as_of, reason, responded_at, score "
        f"from ops.survey_invitations where {' and '.join(where)} order by sent_as_of desc, invitation_id", params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]
