"""Surveys: invitations from actions.fct_survey_due (and ad-hoc audiences), answers matched back.

dbt decides who is due which survey at as_of (fct_survey_due: yearly NPS, end of onboarding) and
which answer belongs to which invitation (int_surveys__matches). This module keeps
`ops.survey_invitations` in line with that:

- one invitation per (survey, contact, period), with a random token for the response links and
  an email queued in the outbox under `survey:<invitation_id>` in the same transaction, so a
  rerun (or a retried task) never invites or mails twice;
- the every_days / min_days_between_surveys / suppression rules are checked again here against
  ops state, because invitations created earlier in the same run (or by a run whose dbt build
  is older) are not in the marts yet;
- matched answers are copied onto their invitations (response_id, responded_at, score).

Answers reach the warehouse through the landing contract; `import_responses` turns a token file
(token, score, comment, responded_at) into a contract file in the landing folder, so imported
answers pass the same ingest, ledger and quality gate as any other.
"""

from __future__ import annotations

import hashlib
import importlib
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

import duckdb

from flows.actions._txn import counts, transaction
from flows.config import Config, SurveyEmail
from flows.actions.sender import csm_senders, sender_address
from flows.delivery.message import Message
from flows.delivery.outbox import enqueue
from flows.delivery.render import render
from flows.serve.links import survey_url, unsubscribe_headers

# ad-hoc surveys and the answer import live in their own modules; their names stay importable from here
_ELSEWHERE = {
    **dict.fromkeys(("AdhocResult", "adhoc_audience", "built_as_of", "list_invitations", "send_adhoc",
                     "survey_counts"), "flows.actions.survey_adhoc"),
    **dict.fromkeys(("CONTRACT_COLUMNS", "IMPORT_COLUMNS", "IMPORT_DIR", "ImportResult", "import_responses"),
                    "flows.actions.survey_import"),
}


def __getattr__(name: str):
    if name in _ELSEWHERE:
        return getattr(importlib.import_module(_ELSEWHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class SurveyError(Exception):
    """A survey command cannot do what was asked; the message says why (and, for a file, where)."""


# --- invitations -------------------------------------------------------------------------------

def invitation_id(survey: str, contact_id: str, period: str) -> str:
    """Public, deterministic id of the one invitation per (survey, contact, period)."""
    return "si_" + hashlib.blake2b(f"{survey}|{contact_id}|{period}".encode(), digest_size=10).hexdigest()


def new_token() -> str:
    """The secret in the response link: 144 random bits, URL-safe."""
    return secrets.token_urlsafe(18)


def response_links(base_url: str, token: str, scale_min: int, scale_max: int) -> tuple[list[tuple[int, str]], str]:
    """([(score, link)] for every score on the scale, the plain link without a score)."""
    sep = "&" if "?" in base_url else "?"
    links = [(s, f"{base_url}{sep}{urlencode({'t': token, 's': s})}") for s in range(scale_min, scale_max + 1)]
    return links, f"{base_url}{sep}{urlencode({'t': token})}"


@dataclass(frozen=True)
class Candidate:
    """Someone due a survey: from fct_survey_due, or an ad-hoc audience row."""

    survey: str
    contact_id: str
    account_id: str
    email: str
    contact_name: str | None
    account_name: str | None
    period: str
    reason: str


@dataclass
class SurveyRunResult:
    invited: dict[str, int] = field(default_factory=dict)      # survey -> invitations created
    emails_queued: int = 0
    responses_recorded: int = 0                                  # invitations newly matched to an answer
    not_yet: dict[str, int] = field(default_factory=dict)       # due but left for a later run (max_per_run)
    skipped: dict[str, int] = field(default_factory=dict)       # reason -> candidates not invited
    skipped_backfill: bool = False


class _Ledger:
    """What ops.survey_invitations already holds, kept current as this run adds invitations."""

    def __init__(self, con: duckdb.DuckDBPyConnection | None = None,
                 invitations: list[tuple[str, str, str, date]] = (), suppressed: set[str] = frozenset()) -> None:
        """From ops state (con), or from (survey, contact, period, sent) rows and addresses (a planner's test)."""
        self.keys: set[tuple[str, str, str]] = set()
        self.last_by_survey: dict[tuple[str, str], date] = {}
        self.last_any: dict[str, date] = {}
        if con is not None:
            invitations = con.execute(
                "select survey, contact_id, period, sent_as_of from ops.survey_invitations").fetchall()
            suppressed = {e for (e,) in con.execute("select email from ops.suppressions").fetchall()}
        for survey, contact, period, sent in invitations:
            self.add(survey, contact, period, sent)
        self.suppressed = set(suppressed)

    def add(self, survey: str, contact: str, period: str, sent: date) -> None:
        self.keys.add((survey, contact, period))
        for key, table in (((survey, contact), self.last_by_survey), (contact, self.last_any)):
            if table.get(key) is None or table[key] < sent:
                table[key] = sent

    def why_not(self, c: Candidate, as_of: date, every_days: int | None, gap_days: int | None) -> str | None:
        """None when the candidate may be invited now, else the reason it may not."""
        if c.email.strip().lower() in self.suppressed:
            return "suppressed address"
        if (c.survey, c.contact_id, c.period) in self.keys:
            return "already invited"
        last = self.last_by_survey.get((c.survey, c.contact_id))
        if last is not None and every_days is not None and last > as_of - timedelta(days=every_days):
            return "already invited"
        last_any = self.last_any.get(c.contact_id)
        if last_any is not None and gap_days and last_any > as_of - timedelta(days=gap_days):
            return "surveyed recently"
        return None


def _fill(text: str, c: Candidate) -> str:
    for key, value in (("{contact_name}", c.contact_name or c.email), ("{account_name}", c.account_name or c.account_id)):
        text = text.replace(key, value)
    return text


def render_invitation(config: Config, spec: SurveyEmail, c: Candidate, token: str, scale: tuple[int, int],
                      as_of: date, signed_by: str | None = None) -> tuple[str, str, str]:
    """(subject, text, html) of one invitation, signed by the account's CSM when it has one;
    names are data, escaped in the HTML part."""
    if config.surveys.response_url:
        links, plain = response_links(config.surveys.response_url, token, *scale)
    else:  # steward serve's response page (flows/serve)
        links = [(n, survey_url(config, token, n)) for n in range(scale[0], scale[1] + 1)]
        plain = survey_url(config, token)
    subject = _fill(spec.subject, c)
    paragraphs = [p.strip() for p in _fill(spec.intro, c).split("\n\n") if p.strip()]
    text, html = render("survey_invitation", title=subject, as_of=as_of, paragraphs=paragraphs,
                        question=_fill(spec.question, c), links=links, plain_link=plain,
                        scale_min=scale[0], scale_max=scale[1], from_name=signed_by or config.delivery.from_name)
    return subject, text, html


def _invite(con, config: Config, spec: SurveyEmail, kind: str, c: Candidate, scale: tuple[int, int],
            as_of: date, ledger: _Ledger) -> bool:
    """Insert the invitation and queue its email; False if (survey, contact, period) exists."""
    inv = invitation_id(c.survey, c.contact_id, c.period)
    token = new_token()
    key = f"survey:{inv}"
    inserted = con.execute(
        "insert into ops.survey_invitations (invitation_id, token, survey, kind, contact_id, account_id, email, "
        "period, scale_min, scale_max, sent_as_of, reason, message_key, created_at) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()) on conflict do nothing returning invitation_id",
        [inv, token, c.survey, kind, c.contact_id, c.account_id, c.email, c.period, scale[0], scale[1], as_of,
         c.reason, key]).fetchall()
    ledger.add(c.survey, c.contact_id, c.period, as_of)
    if not inserted:
        return False
    csm_name, csm_email = csm_senders(con, c.account_id).get(c.account_id, (None, None))
    subject, text, html = render_invitation(config, spec, c, token, scale, as_of, csm_name)
    enqueue(con, Message(key, f"survey_{c.survey}", c.email, subject, text, html, c.contact_name, "marketing", as_of,
                         from_name=csm_name, reply_to=csm_email, headers=unsubscribe_headers(config, c.email),
                         from_email=sender_address(csm_email, config.delivery.csm_sender_domain)))
    return True


@dataclass
class InvitationPlan:
    invite: list[Candidate] = field(default_factory=list)   # in the order fct_survey_due ranks them
    skipped: Counter = field(default_factory=Counter)        # reason -> candidates not invited
    not_yet: Counter = field(default_factory=Counter)        # survey -> due, left for a later run (the cap)


def plan_invitations(due: list[Candidate], ledger: _Ledger, as_of: date,
                     rules: dict[str, tuple[bool, int | None, int | None]], nps_cap: int | None = None,
                     nps_sent_today: int = 0) -> InvitationPlan:
    """Pure: who of `due` to invite now. rules: survey -> (enabled, every_days, min days since any
    survey); at most nps_cap NPS invitations a day, counting those already sent today. The
    ledger is updated as the plan grows, so one contact is never planned twice."""
    plan = InvitationPlan()
    for c in due:
        enabled, every, gap = rules[c.survey]
        if not enabled:
            continue
        why = ledger.why_not(c, as_of, every, gap)
        if why:
            plan.skipped[why] += 1
            continue
        if c.survey == "nps" and nps_cap is not None and nps_sent_today + sum(
                x.survey == "nps" for x in plan.invite) >= nps_cap:
            plan.not_yet["nps"] += 1
            continue
        ledger.add(c.survey, c.contact_id, c.period, as_of)
        plan.invite.append(c)
    return plan


def record_responses(con: duckdb.DuckDBPyConnection) -> int:
    """Copy the answers dbt matched (marts.fct_survey_invitations) onto ops.survey_invitations."""
    before = con.execute("select count(response_id) from ops.survey_invitations").fetchone()[0]
    con.execute("""
        update ops.survey_invitations as inv
        set response_id = m.response_id, responded_at = m.responded_at, score = m.score
        from marts.fct_survey_invitations as m
        where m.invitation_id = inv.invitation_id and m.response_id is not null
            and inv.response_id is distinct from m.response_id""")
    return con.execute("select count(response_id) from ops.survey_invitations").fetchone()[0] - before


def reconcile_surveys(con: duckdb.DuckDBPyConnection, config: Config, as_of: date) -> SurveyRunResult:
    """Record matched answers, then invite whoever fct_survey_due lists; one transaction."""
    result = SurveyRunResult()
    latest = con.execute("select max(sent_as_of) from ops.survey_invitations").fetchone()[0]
    if latest is not None and as_of < latest:
        result.skipped_backfill = True
        return result
    s = config.surveys
    due = [Candidate(*row) for row in con.execute(
        "select survey, contact_id, account_id, email, contact_name, account_name, period, reason "
        "from actions.fct_survey_due order by case survey when 'onboarding' then 0 else 1 end, priority, contact_id"
    ).fetchall()]
    emails = {"onboarding": (s.onboarding, "onboarding", (s.onboarding.scale_min, s.onboarding.scale_max)),
              "nps": (s.nps, "nps", (0, 10))}
    rules = {"onboarding": (s.onboarding.enabled, None, None),
             "nps": (s.nps.enabled, s.nps.every_days, s.min_days_between_surveys)}
    with transaction(con):
        result.responses_recorded = record_responses(con)
        ledger = _Ledger(con)
        # the cap is per day: a rerun of the same as_of counts what the first run sent
        sent_today = con.execute("select count(*) from ops.survey_invitations where survey = 'nps' "
                                 "and sent_as_of = ?", [as_of]).fetchone()[0]
        plan = plan_invitations(due, ledger, as_of, rules, s.nps.max_per_run, sent_today)
        for c in plan.invite:
            spec, kind, scale = emails[c.survey]
            if _invite(con, config, spec, kind, c, scale, as_of, ledger):
                result.invited[c.survey] = result.invited.get(c.survey, 0) + 1
                result.emails_queued += 1
    result.skipped, result.not_yet = dict(plan.skipped), dict(plan.not_yet)
    return result


def progress_line(result: SurveyRunResult) -> str:
    if result.skipped_backfill:
        return "skipped: a later day already has invitations"
    invited = counts(result.invited, "none")
    later = sum(result.not_yet.values())
    return (f"invitations: {invited}; {result.emails_queued} email(s) queued; "
            f"{result.responses_recorded} answer(s) recorded" + (f"; {later} NPS left for later runs" if later else ""))
