"""`steward ingest` and `steward run`: the daily flow from the command line."""

from __future__ import annotations

import time
from datetime import date
from typing import Annotated

import typer

from flows.cli.common import (AsOf, ConfigOpt, LandingOpt, VerboseOpt, WorkspaceOpt, _fail, _guarded,
                              _parse_date, _prefect_ready, _prepare_runtime, build_config)
from flows.config import Config
from flows.console import console


def _warm_up(cfg: Config, as_of: date) -> None:
    """While our Prefect server starts (10-20 s), do start-up work the run needs anyway on the
    idle core: load GX and its context, and parse the dbt project with this run's vars."""
    from flows.prefect_server import still_starting

    if still_starting():
        from flows.quality import suites

        suites.context()
    if still_starting():
        from flows.transform import parse_ahead

        parse_ahead(cfg, as_of, reuse=True)


def ingest(config: ConfigOpt = None, workspace: WorkspaceOpt = None, landing: LandingOpt = None,
           verbose: VerboseOpt = False,
           rehash: Annotated[bool, typer.Option(
               "--rehash", help="Hash every landing file, also those whose size and mtime match the load "
                                "ledger (a file rewritten in place with the same size and mtime).")] = False) -> None:
    """Load new or changed landing files into the warehouse (schema raw).

    Example: steward ingest --landing ./exports
    """
    cfg = build_config(config, workspace, landing)
    _prepare_runtime(cfg, verbose, prefect=True)
    from flows.ingest.flow import ingest as ingest_flow

    _prefect_ready()
    result = _guarded(ingest_flow, cfg, rehash)
    console.print(f"[green]✓[/] {result.rows_loaded:,} rows loaded into {cfg.path('warehouse')}")


def run(as_of: AsOf = None, config: ConfigOpt = None, workspace: WorkspaceOpt = None,
        landing: LandingOpt = None, verbose: VerboseOpt = False,
        shadow: Annotated[bool, typer.Option(
            "--shadow", help="Shadow mode for this run (actions.mode: shadow): decide and record everything, "
                             "send nothing to customers or CSMs, mail the data team a summary.")] = False,
        full_refresh: Annotated[bool, typer.Option(
            "--full-refresh", help="Rebuild incremental models (usage, health) from all history; needed once "
                                   "after an upgrade changes their columns.")] = False,
        engine: Annotated[str | None, typer.Option(
            "--engine", help="duckdb or spark: where dbt builds the models (overrides dbt.engine).")] = None,
        scheduled_at: Annotated[str | None, typer.Option(
            "--scheduled-at", help="The time this run stands for, ISO 8601 (UTC unless it has an offset), e.g. "
                                   "2026-06-30T06:00: send windows and email link expiry count from it, as from a "
                                   "deployment's scheduled start. Default: now. Replaying a day with the same value "
                                   "queues the same mail.")] = None) -> None:
    """Run the daily flow: ingest -> dbt build -> reconcile -> deliver.

    Example: steward run --as-of 2026-06-30
    """
    cfg = build_config(config, workspace, landing)
    if shadow:
        cfg.actions.mode = "shadow"
    if engine:
        cfg.dbt.engine = engine if engine in ("duckdb", "spark") else _fail(f"--engine {engine!r}: duckdb or spark")
    _run(cfg, _parse_date(as_of), verbose, full_refresh, _parse_scheduled_at(scheduled_at))


def _parse_scheduled_at(value: str | None):
    from datetime import datetime, timezone

    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        _fail(f"--scheduled-at {value!r}: expected an ISO 8601 time such as 2026-06-30T06:00 or 2026-06-30T06:00+00:00")
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


def _run(cfg: Config, as_of: date, verbose: bool, full_refresh: bool = False, scheduled_at=None) -> dict:
    from datetime import datetime, timezone

    from flows.runlock import RunLockHeld, run_lock

    # the run's clock for send windows, passed in explicitly: the given time, or the CLI's start
    scheduled_at = scheduled_at or datetime.now(timezone.utc)
    try:  # held from here, so a second run fails in a second, not after its warm-up
        with run_lock(cfg.path("workspace"), as_of) as lock:
            if lock.stale_from:
                console.print(f"[yellow]![/] took over the run lock of pid {lock.stale_from}, which is gone")
            return _run_locked(cfg, as_of, verbose, full_refresh, scheduled_at)
    except RunLockHeld as exc:
        _fail(str(exc))


def _run_locked(cfg: Config, as_of: date, verbose: bool, full_refresh: bool, scheduled_at) -> dict:
    _prepare_runtime(cfg, verbose, prefect=True)
    from flows.console import print_summary
    from flows.daily_run import daily_run_for
    from flows.ingest.flow import plan

    _guarded(plan, cfg)  # a bad landing folder fails in a second, before waiting for Prefect
    _warm_up(cfg, as_of)
    _prefect_ready()

    started = time.perf_counter()
    summary = _guarded(daily_run_for, cfg, as_of, full_refresh, scheduled_at)
    print_summary(summary, time.perf_counter() - started)
    return summary


