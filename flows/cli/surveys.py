"""`steward survey` and `steward campaign`: ad-hoc surveys and answers, customer email campaigns."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from flows.cli.common import (AsOf, ConfigOpt, LandingOpt, WorkspaceOpt, _writable_session, _fail, _parse_date,
                              build_config)
from flows.console import console

survey_app = typer.Typer(no_args_is_help=True, help=(
    "Surveys: send an ad-hoc survey, import answers collected with the token links, list invitations.\n\n"
    "Example: steward survey import answers.csv; steward survey send product_feedback --dry-run; "
    "steward survey list"))


@survey_app.command("import")
def survey_import(
    file: Annotated[Path, typer.Argument(help="CSV with columns token, score, comment (optional), responded_at.")],
    config: ConfigOpt = None, workspace: WorkspaceOpt = None, landing: LandingOpt = None,
) -> None:
    """Validate answers (token, score, comment, responded_at) and write them to the landing folder.

    The next `steward run` (or `steward ingest`) loads them through the ledger and the quality
    gate, and marks their invitations answered. Importing the same file twice adds nothing.

    Example: steward survey import ~/Downloads/nps-answers.csv
    """
    from flows.actions.surveys import SurveyError, import_responses

    cfg = build_config(config, workspace, landing)
    with _writable_session(cfg) as con:
        try:
            result = import_responses(con, cfg.path("landing"), file.expanduser().resolve())
        except SurveyError as exc:
            console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(1)
    per = ", ".join(f"{k} {v}" for k, v in sorted(result.by_survey.items()))
    if result.written:
        console.print(f"[green]✓[/] {result.written} answer(s) ({per}) -> {result.path}")
        console.print("  loaded by the next `steward run` (or `steward ingest`)")
    else:
        console.print(f"[green]✓[/] nothing new: {result.rows_read} row(s) read, {result.already} already imported")
    if result.written and result.already:
        console.print(f"  {result.already} row(s) skipped: already imported")


@survey_app.command("send")
def survey_send(
    name: Annotated[str, typer.Argument(help="An ad-hoc survey from steward.yml surveys.adhoc.")],
    as_of: AsOf = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count who would be invited; send nothing.")] = False,
    config: ConfigOpt = None, workspace: WorkspaceOpt = None,
) -> None:
    """Invite an ad-hoc survey's audience (contacts not yet invited) at the marts' as_of; `deliver` sends.

    Example: steward survey send product_feedback --dry-run
    """
    from flows.actions.surveys import SurveyError, send_adhoc

    cfg = build_config(config, workspace)
    day = _parse_date(as_of) if as_of else None
    with _writable_session(cfg) as con:
        try:
            r = send_adhoc(con, cfg, name, day, dry_run=dry_run)
        except SurveyError as exc:
            _fail(str(exc))
    skipped = ", ".join(f"{v} {k}" for k, v in sorted(r.skipped.items()))
    verb = "would invite" if dry_run else "invited"
    console.print(f"[green]✓[/] {r.survey} at {r.as_of}: audience {r.audience}, {verb} "
                  f"{r.would_invite if dry_run else r.invited}" + (f"; not invited: {skipped}" if skipped else ""))
    for account, email in r.sample:
        console.print(f"    {escape(account)}: {escape(email)}")
    if not dry_run and r.invited:
        console.print("queued: `steward deliver` (or the next `steward run`) sends them")


@survey_app.command("list")
def survey_list(
    invitations: Annotated[bool, typer.Option("--invitations", help="List invitations, not totals.")] = False,
    survey: Annotated[Optional[str], typer.Option(help="Only this survey (nps, onboarding, an ad-hoc name).")] = None,
    account: Annotated[Optional[str], typer.Option(help="Only this account_id.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 50,
    config: ConfigOpt = None, workspace: WorkspaceOpt = None,
) -> None:
    """Invitations and answers per survey (response rate, average score, NPS), or the invitations.

    Example: steward survey list --invitations --survey nps --account A000042
    """
    from rich.table import Table

    from flows.actions.surveys import list_invitations, survey_counts

    with _writable_session(build_config(config, workspace)) as con:
        rows = list_invitations(con, survey, account) if invitations else survey_counts(con)
    if not invitations:
        rows = [r for r in rows if survey is None or r["survey"] == survey]
    table = Table(title=f"{len(rows)} {'invitation(s)' if invitations else 'survey(s)'}")
    cols = list(rows[0]) if rows else ["survey", "invitations", "answered"]
    for c in cols:
        table.add_column(c, no_wrap=c == "invitation_id")
    for r in rows[:limit]:
        table.add_row(*["" if r[c] is None else escape(str(r[c])) for c in cols])
    console.print(table)
    if len(rows) > limit:
        console.print(f"... {len(rows) - limit} more (--limit)")


campaign_app = typer.Typer(no_args_is_help=True, help=(
    "Customer email campaigns: list them, preview who a campaign would reach (a dry run), send a bulk one.\n\n"
    "Example: steward campaign preview feature_sso; steward campaign send feature_sso --yes"))
CampaignName = Annotated[str, typer.Argument(help="Campaign name, from `steward campaign list`.")]


def _campaign_call(fn, *args, **kwargs):
    from flows.actions.campaigns import CampaignError

    try:
        return fn(*args, **kwargs)
    except CampaignError as exc:
        _fail(str(exc))


@campaign_app.command("list")
def campaign_list(config: ConfigOpt = None, workspace: WorkspaceOpt = None) -> None:
    """Every configured campaign (automatic and bulk) with its audience and emails sent, pending, cancelled.

    Example: steward campaign list
    """
    from rich.table import Table

    from flows.actions.campaigns import list_campaigns

    cfg = build_config(config, workspace)
    with _writable_session(cfg) as con:
        rows = list_campaigns(con, cfg)
    c = cfg.campaigns
    table = Table(title=f"campaigns (send window {c.send_window_utc.label()}, at most {c.max_per_run} per run)")
    table.add_column("name", no_wrap=True)
    for name in ("kind", "audience", "sent", "pending", "cancelled", "last queued"):
        table.add_column(name)
    for r in rows:
        kind = r["kind"] + ("" if r["enabled"] else " (off)")
        table.add_row(r["name"], kind, escape(r["audience"]), str(r["sent"]), str(r["pending"]),
                      str(r["cancelled"]), str(r["last_queued"] or ""))
    console.print(table)


@campaign_app.command("preview")
def campaign_preview(name: CampaignName, as_of: AsOf = None, config: ConfigOpt = None,
                     workspace: WorkspaceOpt = None) -> None:
    """Dry run: how many contacts would get the campaign, how many are left out and why, sample addresses.
    Sends and records nothing. Automatic campaigns are previewed as the last build decided them.

    Example: steward campaign preview feature_sso --as-of 2026-06-30
    """
    from flows.actions.campaigns import AUTOMATIC_CAMPAIGNS, last_build_as_of, preview

    cfg = build_config(config, workspace)
    with _writable_session(cfg) as con:
        day = _parse_date(as_of) if as_of or name not in AUTOMATIC_CAMPAIGNS else (last_build_as_of(con) or date.today())
        p = _campaign_call(preview, con, cfg, name, day)
    _print_selection(p.selection, name, day)
    if p.automatic:
        console.print(f"  (targets as built for {p.built_as_of}; the daily run schedules them)")
    elif p.built_as_of and p.built_as_of != day:
        console.print(f"  (segments and phases as built for {p.built_as_of})")
    n = p.selection.total_eligible
    if not p.window_open:
        console.print(f"  outside the send window {p.window} now: a send would schedule them for the next run")
    elif n > p.max_per_run:
        console.print(f"  at most {p.max_per_run} are queued per run: {-(-n // p.max_per_run)} runs to queue all")
    console.print("  nothing was sent or recorded")


def _print_selection(sel, name: str, day: date) -> None:
    from flows.actions.campaigns import EXCLUSION_ORDER

    console.print(f"[bold]{escape(name)}[/] at {day}: [green]{sel.total_eligible:,}[/] contact(s) would get it")
    left_out = sum(sel.excluded.values())
    if left_out:
        reasons = sorted(sel.excluded.items(), key=lambda kv: (EXCLUSION_ORDER + (kv[0],)).index(kv[0]))
        console.print(f"  left out {left_out:,}: " + ", ".join(f"{reason} {n:,}" for reason, n in reasons))
    if sel.samples:
        console.print("  e.g. " + ", ".join(escape(s) for s in sel.samples))


@campaign_app.command("send")
def campaign_send(
    name: CampaignName,
    as_of: AsOf = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Send a bulk campaign: schedule it for its audience (each contact once, ever) and queue what the
    send window and max_per_run allow; `steward deliver` (or the next run) sends, later runs queue the rest.

    Example: steward campaign send feature_sso --yes
    """
    from flows.actions.campaigns import preview, send

    cfg = build_config(config, workspace)
    day = _parse_date(as_of)
    with _writable_session(cfg) as con:
        p = _campaign_call(preview, con, cfg, name, day, samples=0)
        if not p.automatic:
            _print_selection(p.selection, name, day)
        if not p.automatic and p.selection.total_eligible == 0:
            console.print("nothing to send")
            return
        if not p.automatic and not yes and not typer.confirm(
                f"Send {name} to {p.selection.total_eligible:,} contact(s)?", default=False):
            _fail("cancelled; nothing was sent")
        out = _campaign_call(send, con, cfg, name, day)
    q = out.queue
    console.print(f"[green]✓[/] {out.scheduled:,} scheduled for {escape(name)}; "
                  + (f"none queued now: outside the send window {q.window}" if q.window_closed
                     else f"{q.queued.get(name, 0):,} queued now")
                  + (f", {out.waiting:,} wait for later runs (send window, max_per_run, one a day per address)"
                     if out.waiting else ""))
    other = {k: v for k, v in q.queued.items() if k != name}
    if other:
        console.print("  also queued what was pending: " + ", ".join(f"{k} {v}" for k, v in sorted(other.items())))
    if q.total_queued:
        console.print("queued: `steward deliver` (or the next `steward run`) sends it")
