"""`steward alerts` and `steward tasks`: list alerts and act on them, list tasks and mark them done."""

from __future__ import annotations

import os
from datetime import date
from typing import Annotated, Optional

import typer
from rich.markup import escape

from flows.cli.common import ConfigOpt, WorkspaceOpt, _writable_session, _fail, _parse_date, build_config
from flows.config import Config
from flows.console import console

alerts_app = typer.Typer(no_args_is_help=True, help=(
    "List alerts and acknowledge, snooze or resolve them.\n\n"
    "Example: steward alerts list --rule health_dip; steward alerts snooze al_3f66 --days 7"))
ByOpt = Annotated[Optional[str], typer.Option("--by", help="Who is acting (default: $USER); kept on the alert.")]
AlertIds = Annotated[list[str], typer.Argument(help="Alert id(s) or unique id prefix(es), from `steward alerts list`.")]


def _act_on_alerts(cfg: Config, ids: list[str], verb: str, fn, **kwargs) -> None:
    """Apply one alert action to each id; every id is reported, failures make the exit code 1."""
    from flows.actions.alerts import AlertError

    failed = 0
    with _writable_session(cfg) as con:
        for alert_id in ids:
            try:
                done = fn(con, alert_id, **kwargs)
                console.print(f"[green]✓[/] {done} {verb}", highlight=False)
            except AlertError as exc:
                failed += 1
                console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(1)


def _who(by: str | None) -> str:
    return by or os.environ.get("USER") or "cli"


@alerts_app.command("list")
def alerts_list(
    status: Annotated[str, typer.Option(help="Comma-separated: open, acknowledged, snoozed, resolved, or all.")]
    = "open,acknowledged,snoozed",
    rule: Annotated[Optional[str], typer.Option(help="Only this rule, e.g. health_dip.")] = None,
    owner: Annotated[Optional[str], typer.Option(help="Only alerts for this recipient email or owner user_id.")]
    = None,
    account: Annotated[Optional[str], typer.Option(help="Only this account_id.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines instead of a table.")] = False,
    limit: Annotated[int, typer.Option(help="Rows to show in the table.")] = 100,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Alerts with their id, status, severity, rule, account and title (newest and most severe first)."""
    import json

    from rich.table import Table

    from flows.actions.alerts import ACTIVE, AlertError, list_alerts

    cfg = build_config(config, workspace)
    statuses = (*ACTIVE, "resolved") if status.strip() == "all" else tuple(
        s.strip() for s in status.split(",") if s.strip())
    with _writable_session(cfg) as con:
        try:
            rows = list_alerts(con, statuses, rule=rule, recipient=owner, account_id=account)
        except AlertError as exc:
            _fail(str(exc))
    if as_json:
        for r in rows:
            print(json.dumps(r, default=str))
        return
    table = Table(title=f"{len(rows)} alert(s) ({status})")
    table.add_column("id", no_wrap=True)
    for name in ("status", "severity", "rule", "account", "title", "since"):
        table.add_column(name)
    for r in rows[:limit]:
        extra = f" until {r['snoozed_until']}" if r["snoozed_until"] else ""
        table.add_row(r["alert_id"], r["status"] + extra, r["severity"], r["rule"],
                      escape(r["account_name"] or r["account_id"] or "portfolio"), escape(r["title"]),
                      str(r["first_as_of"]))
    console.print(table)
    if len(rows) > limit:
        console.print(f"... {len(rows) - limit} more (--limit, or --json for all)")


@alerts_app.command("ack")
def alerts_ack(ids: AlertIds, by: ByOpt = None, config: ConfigOpt = None, workspace: WorkspaceOpt = None) -> None:
    """Acknowledge: you are on it. No more reminders; it resolves by itself when the condition clears."""
    from flows.actions.alerts import acknowledge

    _act_on_alerts(build_config(config, workspace), ids, "acknowledged", acknowledge, by=_who(by))


@alerts_app.command("snooze")
def alerts_snooze(
    ids: AlertIds,
    until: Annotated[Optional[str], typer.Option(help="Date YYYY-MM-DD the alert comes back.")] = None,
    days: Annotated[Optional[int], typer.Option(min=1, help="Or: snooze this many days from today.")] = None,
    by: ByOpt = None, config: ConfigOpt = None, workspace: WorkspaceOpt = None,
) -> None:
    """Silence alerts until a date; on that day they are open again and in the next digest."""
    from datetime import timedelta

    from flows.actions.alerts import snooze

    if (until is None) == (days is None):
        _fail("give exactly one of --until YYYY-MM-DD or --days N")
    if until is not None:
        try:
            day = date.fromisoformat(until)
        except ValueError:
            _fail(f"--until {until!r} is not a date; expected YYYY-MM-DD")
    else:
        day = date.today() + timedelta(days=days)
    _act_on_alerts(build_config(config, workspace), ids, f"snoozed until {day}", snooze, until=day, by=_who(by))


@alerts_app.command("resolve")
def alerts_resolve(ids: AlertIds, by: ByOpt = None, config: ConfigOpt = None,
                   workspace: WorkspaceOpt = None) -> None:
    """Close alerts by hand. They stay closed while the condition lasts and reopen if it comes back later."""
    from flows.actions.alerts import resolve

    _act_on_alerts(build_config(config, workspace), ids, "resolved", resolve, by=_who(by))


tasks_app = typer.Typer(no_args_is_help=True, help=(
    "List Steward's tasks (playbook steps, pooled reach-outs) and mark them done.\n\n"
    "Example: steward tasks list --owner chloe.silva@example.com; steward tasks done st_3f2a_1"))


@tasks_app.command("list")
def tasks_list(
    status: Annotated[str, typer.Option(help="open, done, cancelled or all.")] = "open",
    owner: Annotated[Optional[str], typer.Option(help="Owner user_id or email.")] = None,
    account: Annotated[Optional[str], typer.Option(help="Only this account_id.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 100,
    config: ConfigOpt = None, workspace: WorkspaceOpt = None,
) -> None:
    """Steward's tasks by due date."""
    from rich.table import Table

    from flows.actions.tasks import TaskError, list_tasks

    with _writable_session(build_config(config, workspace)) as con:
        try:
            rows = list_tasks(con, status, owner, account)
        except TaskError as exc:
            _fail(str(exc))
    table = Table(title=f"{len(rows)} task(s) ({status})")
    table.add_column("id", no_wrap=True)
    for name in ("status", "due", "account", "owner", "task", "from"):
        table.add_column(name)
    for r in rows[:limit]:
        table.add_row(r["task_id"], r["status"], str(r["due_date"]), r["account_id"] or "", r["owner_id"] or "",
                      escape(r["title"]), r["source"])
    console.print(table)


@tasks_app.command("done")
def tasks_done(
    ids: Annotated[list[str], typer.Argument(help="Task id(s) from `steward tasks list`.")],
    on: Annotated[Optional[str], typer.Option(help="Completion date YYYY-MM-DD (default: today).")] = None,
    config: ConfigOpt = None, workspace: WorkspaceOpt = None,
) -> None:
    """Mark tasks done; a playbook run closes once all its tasks are done."""
    from flows.actions.tasks import TaskError, complete_task

    day = _parse_date(on)
    failed = 0
    with _writable_session(build_config(config, workspace)) as con:
        for task in ids:
            try:
                console.print(f"[green]✓[/] {complete_task(con, task, day)} done", highlight=False)
            except TaskError as exc:
                failed += 1
                console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(1)
