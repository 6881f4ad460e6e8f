"""`steward report` and `steward deliver`: render reports, drain the outbox."""

from __future__ import annotations

import time
from datetime import date
from typing import Annotated, Optional

import typer
from rich.markup import escape

from flows.cli.common import (AsOf, ConfigOpt, WorkspaceOpt, _fail, _parse_date, _prefect_ready, _prepare_runtime,
                              build_config)
from flows.config import Config, ConfigError
from flows.console import console


def report(
    name: Annotated[str, typer.Argument(help="renewals | nrr | revenue_spread | team | todo | all")],
    as_of: AsOf = None,
    send: Annotated[bool, typer.Option("--send", help="Queue it in the outbox for its recipients.")] = False,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Render a report from the marts into <workspace>/reports (open it in a browser); --send queues it.

    Example: steward report nrr --as-of 2026-06-30 --send
    """
    from flows.runlock import RunLockHeld, run_lock

    cfg = build_config(config, workspace)
    day = _parse_date(as_of)
    try:  # it opens the warehouse (and --send writes the outbox): never beside a run
        with run_lock(cfg.path("workspace"), day, what="a report"):
            _prepare_runtime(cfg, verbose=False, prefect=True)
            _reports(cfg, day, [name], send)
    except RunLockHeld as exc:
        _fail(str(exc))
    if send:
        console.print("queued: `steward deliver` (or the next `steward run`) sends it")


def _reports(cfg: Config, as_of: date, names: list[str], send: bool) -> None:
    """Callers ran _prepare_runtime (rich progress installed, Prefect server launched)."""
    from flows.reports.flow import REPORT_NAMES, ReportError, run_report

    _prefect_ready()
    for name in REPORT_NAMES if names == ["all"] else names:
        try:
            result = run_report(cfg, name, as_of, send)
        except ReportError as exc:
            _fail(str(exc))
        for page in result.pages[:3]:
            console.print(f"    {page}")


def deliver(
    budget: Annotated[Optional[int], typer.Option(help="Max messages to send (default: config).")] = None,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Drain the outbox through the configured transport (file or SendGrid), exactly once per key.

    Sends queued mail, settles unanswered sends once SendGrid's activity window has passed, and says why anything still waits. Exits 2 when sending stopped (bad key, SendGrid unreachable).

    Example: STEWARD_DELIVERY__TRANSPORT=sendgrid STEWARD_SENDGRID_API_KEY=... steward deliver
    """
    cfg = build_config(config, workspace)
    _drain(cfg, budget)


def _drain(cfg: Config, budget: int | None = None) -> None:
    from flows.delivery.held import describe_pending
    from flows.delivery.outbox import Policy, drain
    from flows.delivery.transport import transport_for
    from flows.warehouse import session

    try:  # not _guarded: its imports (GX, dbt) would cost `deliver` seconds
        transport = transport_for(cfg)
    except ConfigError as exc:
        _fail(str(exc))
    started = time.perf_counter()
    with session(cfg.path("warehouse")) as con:
        result = drain(con, transport, cfg.delivery.send_budget if budget is None else budget,
                       Policy.from_config(cfg))
    secs = time.perf_counter() - started
    console.print(f"[green]✓[/] {result.sent} sent, {result.recovered} recovered after an interrupted send, "
                  f"{result.deferred} deferred, {result.failed} failed, {result.suppressed} suppressed, "
                  f"{result.unconfirmed} unconfirmed, {result.resent} resent, {result.held} held "
                  f"via {transport.name} in {secs:.1f} s")
    if result.alerted:
        console.print(f"  {result.alerted} held message(s) older than "
                      f"{cfg.delivery.safety.alert_held_after_hours:g} h reported to {cfg.recipients.data_team}")
    for line in result.errors[:20]:
        console.print(f"  [red]✗[/] {escape(line)}")
    waiting = sum(p["count"] for p in result.pending)
    if waiting:
        console.print(f"not sent yet: {waiting}")
        window = cfg.delivery.safety.activity_window_minutes if transport.name == "sendgrid" else None
        for line in describe_pending(result.pending, window):
            console.print(f"  {escape(line)}", highlight=False, soft_wrap=True)
    if result.aborted:
        queued = sum(p["count"] for p in result.pending if p["status"] == "queued")
        _fail(f"{result.aborted}; {queued} message(s) stay queued for the next drain")


