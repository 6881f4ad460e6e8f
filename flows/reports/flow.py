"""Report flows: build a report from the marts for as_of, write it to the workspace, queue it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

import duckdb
from prefect import flow

from flows import progress
from flows.config import Config, load_config
from flows.delivery.message import Message, inline_images
from flows.delivery.outbox import drain, enqueue
from flows.delivery.transport import transport_for
from flows.reports import revenue, team
from flows.reports.model import ReportContent
from flows.warehouse import session

_LEADER_REPORTS: dict[str, Callable[[duckdb.DuckDBPyConnection, date, str], ReportContent]] = {
    "renewals": revenue.renewals, "nrr": revenue.nrr, "revenue_spread": revenue.spread,
    "team": team.team_performance,
}
REPORT_NAMES = (*_LEADER_REPORTS, "todo")


class ReportError(Exception):
    """A report cannot be built (unknown name, or the warehouse lacks a build for as_of)."""


def build(con: duckdb.DuckDBPyConnection, name: str, as_of: date, config: Config) -> list[tuple[str, ReportContent]]:
    """(recipient, content) pairs for one report; leaders are greeted by their name in the team."""
    currency = config.reporting_currency
    if name == "todo":
        from flows.serve.todo import add_buttons  # steward serve's "Mark done" buttons

        return add_buttons(con, config, as_of, team.todo_digests(con, as_of, currency))
    if name not in _LEADER_REPORTS:
        raise ReportError(f"unknown report {name!r}; choose one of: {', '.join(REPORT_NAMES)}")
    recipients = getattr(config.reports, name).recipients or [config.recipients.cs_leader]
    out = []
    for recipient in recipients:
        content = _LEADER_REPORTS[name](con, as_of, currency)
        content.recipient_name = team.person_name(con, recipient, config.recipients.cs_leader)
        out.append((recipient, content))
    return out


def write(content: ReportContent, folder: Path, recipient: str | None = None, rendered: tuple | None = None) -> Path:
    """Write the report as a self-contained HTML page (images inline) plus its text version."""
    text, html, atts = rendered or content.render()
    folder.mkdir(parents=True, exist_ok=True)
    suffix = f"-{recipient.split('@')[0]}" if recipient else ""
    page = folder / f"{content.name}-{content.as_of}{suffix}.html"
    page.write_text(inline_images(html, atts), encoding="utf-8")
    page.with_suffix(".txt").write_text(text, encoding="utf-8")
    return page


def to_message(content: ReportContent, recipient: str, rendered: tuple | None = None) -> Message:
    text, html, atts = rendered or content.render()
    key = f"report:{content.name}:{content.as_of}:{recipient}"
    return Message(key, f"report_{content.name}", recipient, content.subject,
                   text, html, content.recipient_name, as_of=content.as_of, attachments=atts)


@dataclass
class ReportResult:
    name: str
    pages: list[str]
    queued: int


def built_as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    """The as_of of the warehouse's latest successful build (what the marts describe)."""
    row = con.execute("select as_of from ops.dbt_builds order by finished_at desc limit 1").fetchone()
    return row[0] if row else None


def run_report(config: Config, name: str, as_of: date, send: bool) -> ReportResult:
    """Build, write and optionally queue one report from an already-built warehouse."""
    rep = progress.reporter()
    rep.stage(f"report {name}")
    folder = config.path("reports") / str(as_of)
    with session(config.path("warehouse")) as con:
        built = built_as_of(con)
        if built != as_of:
            raise ReportError(f"the warehouse was last built for as_of {built}, not {as_of}; "
                              f"run `steward run --as-of {as_of}` first")
        pairs = build(con, name, as_of, config)
        rep.resize(len(pairs))
        written, queued = set(), 0
        for rcpt, c in pairs:  # rendered once for the page and the email (charts are the slow part)
            rendered = c.render()
            written.add(str(write(c, folder, rcpt if name == "todo" else None, rendered)))
            if send:
                queued += enqueue(con, to_message(c, rcpt, rendered))
            rep.advance()
        pages = sorted(written)
    rep.done(f"{len(pages)} page(s) in {folder}; {queued} email(s) queued")
    return ReportResult(name, pages, queued)


@flow(name="steward-report")
def report_flow(name: str, as_of: date | None = None, send: bool = True, config_path: str | None = None,
                workspace: str | None = None) -> dict:
    """Build one scheduled report (renewals, nrr, revenue_spread, team, todo) and email it."""
    from prefect.runtime import flow_run

    from flows import environment
    from flows.runlock import run_lock

    overrides = {"paths": {"workspace": workspace}} if workspace else None
    config = load_config(config_path, overrides=overrides)
    environment.prepare(config, deployed=True)  # a worker's flow run: this is its entry point
    as_of = as_of or (flow_run.scheduled_start_time or datetime.now(timezone.utc)).date()
    with run_lock(config.path("workspace"), as_of, what="a report"):  # it writes ops.outbox: one writer
        result = run_report(config, name, as_of, send)
        if send:
            with session(config.path("warehouse")) as con:
                drain(con, transport_for(config), config.delivery.send_budget)
    return {"name": result.name, "pages": result.pages, "queued": result.queued}
