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

import csv
import difflib
import hashlib
import io
import os
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

import duckdb

from flows.config import AdhocSurvey, Config, SurveyEmail
from flows.actions.sender import csm_senders, sender_address
from flows.delivery.message import Message
from flows.delivery.outbox import enqueue
from flows.delivery.render import render
from flows.serve.links import survey_url, unsubscribe_headers

IMPORT_DIR = Path("surveys") / "survey_responses"  # under the landing folder: table by folder name
IMPORT_COLUMNS = ("token", "score", "comment", "responded_at")
CONTRACT_COLUMNS = ("response_id", "account_id", "contact_id", "survey", "score", "comment", "responded_at")
MAX_PROBLEMS_SHOWN = 20


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

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.keys: set[tuple[str, str, str]] = set()
        self.last_by_survey: dict[tuple[str, str], date] = {}
        self.last_any: dict[str, date] = {}
        for survey, contact, period, sent in con.execute(
                "select survey, contact_id, period, sent_as_of from ops.survey_invitations").fetchall():
            self.add(survey, contact, period, sent)
        self.suppressed = {e for (e,) in con.execute("select email from ops.suppressions").fetchall()}

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
    skipped: Counter = Counter()
    con.execute("begin transaction")
    try:
        result.responses_recorded = record_responses(con)
        ledger = _Ledger(con)
        # the cap is per day: a rerun of the same as_of counts what the first run sent
        sent_today = con.execute("select count(*) from ops.survey_invitations where survey = 'nps' "
                                 "and sent_as_of = ?", [as_of]).fetchone()[0]
        plans = {
            "onboarding": (s.onboarding, "onboarding", (s.onboarding.scale_min, s.onboarding.scale_max), None, None),
            "nps": (s.nps, "nps", (0, 10), s.nps.every_days, s.min_days_between_surveys),
        }
        for c in due:
            spec, kind, scale, every, gap = plans[c.survey]
            if not spec.enabled:
                continue
            why = ledger.why_not(c, as_of, every, gap)
            if why:
                skipped[why] += 1
                continue
            if (c.survey == "nps" and s.nps.max_per_run is not None
                    and sent_today + result.invited.get("nps", 0) >= s.nps.max_per_run):
                result.not_yet["nps"] = result.not_yet.get("nps", 0) + 1
                continue
            if _invite(con, config, spec, kind, c, scale, as_of, ledger):
                result.invited[c.survey] = result.invited.get(c.survey, 0) + 1
                result.emails_queued += 1
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")
    result.skipped = dict(skipped)
    return result


def progress_line(result: SurveyRunResult) -> str:
    if result.skipped_backfill:
        return "skipped: a later day already has invitations"
    invited = ", ".join(f"{k} {v}" for k, v in sorted(result.invited.items())) or "none"
    later = sum(result.not_yet.values())
    return (f"invitations: {invited}; {result.emails_queued} email(s) queued; "
            f"{result.responses_recorded} answer(s) recorded" + (f"; {later} NPS left for later runs" if later else ""))


# --- ad-hoc surveys ----------------------------------------------------------------------------

def built_as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    """The as_of the marts describe (the latest full dbt build)."""
    row = con.execute("select as_of from ops.dbt_builds order by finished_at desc limit 1").fetchone()
    return row[0] if row else None


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
    if not dry_run:
        con.execute("begin transaction")
    try:
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
    except BaseException:
        if not dry_run:
            con.execute("rollback")
        raise
    if not dry_run:
        con.execute("commit")
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


# --- import ------------------------------------------------------------------------------------

@dataclass
class ImportResult:
    path: Path | None = None            # the landing file written (None: nothing new)
    rows_read: int = 0
    written: int = 0
    already: int = 0                    # tokens answered before (or in an earlier import file)
    existed: bool = False               # the same content was imported before
    by_survey: dict[str, int] = field(default_factory=dict)


def _parse_when(text: str) -> datetime | None:
    """An ISO date or date-time (space or T, optional seconds, Z or ±HH:MM) as naive UTC."""
    text = text.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time())
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def _parse_score(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if value == value and value == int(value) else None  # NaN and fractions fail


def _read_rows(file: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not file.is_file():
        raise SurveyError(f"{file}: no such file")
    data = file.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SurveyError(f"{file}: not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start:,} (line {line}); "
                          "re-export the file as UTF-8") from None
    if not text.strip():
        raise SurveyError(f"{file}: the file is empty; expected a header row: {', '.join(IMPORT_COLUMNS)}")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in ("token", "score", "responded_at") if c not in header]
    if missing:
        hints = []
        for col in missing:
            close = difflib.get_close_matches(col, header, n=1, cutoff=0.6)
            hints.append(f"`{col}`" + (f" (did you mean `{close[0]}`?)" if close else ""))
        raise SurveyError(f"{file}: missing required column(s) {', '.join(hints)}; file has: "
                          f"{', '.join(header) or '(no columns)'}; expected {', '.join(IMPORT_COLUMNS)}")
    return header, list(reader)


def _pending_imports(landing: Path) -> set[str]:
    """response_ids already written by earlier imports (loaded or still waiting for a run)."""
    folder = landing / IMPORT_DIR
    seen: set[str] = set()
    for f in sorted(folder.glob("import-*.csv")) if folder.is_dir() else []:
        with f.open(newline="", encoding="utf-8") as fh:
            seen.update(r["response_id"] for r in csv.DictReader(fh))
    return seen


def _show_token(token: str) -> str:
    return repr(token[:6] + "…") if len(token) > 8 else repr(token)


def import_responses(con: duckdb.DuckDBPyConnection, landing: Path, file: Path,
                     now: datetime | None = None) -> ImportResult:
    """Validate a token file and write its new answers as a survey_responses landing file.

    Every problem is reported as `<file> row N column C: ...` (N counts data rows, like the gate)
    and nothing is written while any remains. Tokens answered before are skipped, so importing
    the same file twice adds nothing.
    """
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    header, rows = _read_rows(file)
    tokens = {r["token"].strip() for r in rows if (r.get("token") or "").strip()}
    invitations = {}
    if tokens:
        for row in con.execute(
                "select token, invitation_id, account_id, contact_id, kind, survey, scale_min, scale_max, "
                "sent_as_of, response_id from ops.survey_invitations where list_contains(?, token)",
                [sorted(tokens)]).fetchall():
            invitations[row[0]] = row[1:]
    pending = _pending_imports(landing)
    out = ImportResult(rows_read=len(rows))
    problems: list[str] = []
    first_row: dict[str, int] = {}
    contract_rows: list[list[str]] = []
    by_survey: Counter = Counter()

    def bad(n: int, column: str, message: str) -> None:
        problems.append(f"{file} row {n} column {column}: {message}")

    for n, r in enumerate(rows, start=1):
        if None in r:  # more fields than the header
            bad(n, "(row)", f"{len(r) - 1 + len(r[None])} fields but the header has {len(header)}: "
                            "an unquoted comma inside a comment?")
            continue
        token = (r.get("token") or "").strip()
        if not token:
            bad(n, "token", "is empty")
            continue
        if token in first_row:
            bad(n, "token", f"repeats row {first_row[token]} (one answer per invitation)")
            continue
        first_row[token] = n
        inv = invitations.get(token)
        if inv is None:
            bad(n, "token", f"unknown token {_show_token(token)}: no invitation has it")
            continue
        inv_id, account_id, contact_id, kind, survey, lo, hi, sent, answered = inv
        score_text = (r.get("score") or "").strip()
        score = _parse_score(score_text)
        if score is None:
            bad(n, "score", f"{score_text!r} is not a whole number")
        elif not lo <= score <= hi:
            bad(n, "score", f"{score_text} is outside {lo}-{hi}, the scale of survey {survey}")
        when_text = (r.get("responded_at") or "").strip()
        when = _parse_when(when_text)
        if when is None:
            bad(n, "responded_at", f"{when_text!r} is not a date; expected YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS]")
        elif when.date() < sent:
            bad(n, "responded_at", f"{when_text} is before the invitation was sent ({sent})")
        elif when > now + timedelta(minutes=5):
            bad(n, "responded_at", f"{when_text} is in the future")
        if answered is not None or inv_id in pending:  # answered before, or in an earlier import file
            out.already += 1
            continue
        if score is None or when is None:
            continue
        comment = (r.get("comment") or "").strip()
        contract_rows.append([inv_id, account_id, contact_id, kind, str(int(score)), comment,
                              when.strftime("%Y-%m-%d %H:%M:%S")])
        by_survey[survey] += 1
    if problems:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        raise SurveyError(f"{file}: {len(problems)} problem(s); nothing imported:\n  " + "\n  ".join(shown)
                          + (f"\n  ... and {more} more" if more else ""))
    out.by_survey = dict(by_survey)
    if not contract_rows:
        return out
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CONTRACT_COLUMNS)
    writer.writerows(contract_rows)
    content = buf.getvalue().encode("utf-8")
    target = landing / IMPORT_DIR / f"import-{hashlib.sha256(content).hexdigest()[:16]}.csv"
    out.path = target
    if target.exists():
        out.existed = True
        return out
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name("." + target.name + ".tmp")  # dot files are ignored by discovery
    tmp.write_bytes(content)
    os.replace(tmp, target)
    out.written = len(contract_rows)
    return out
