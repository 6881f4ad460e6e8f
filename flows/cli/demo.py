"""`steward generate` and `steward demo`: a synthetic landing dataset, and a whole demo run on one."""

from __future__ import annotations

import shutil
import time
from datetime import date
from typing import Annotated, Optional

import typer

from flows.cli.common import (AsOf, ConfigOpt, LandingOpt, VerboseOpt, WorkspaceOpt, _fail, _parse_date,
                              _prepare_runtime, build_config)
from flows.cli.deliver import _drain, _reports
from flows.cli.run import _run
from flows.config import Config
from flows.console import console

DEMO_MARKER = ".steward-demo"


def generate(
    accounts: Annotated[int, typer.Option(help="Number of accounts.", min=1)] = 500,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same files.")] = 7,
    as_of: AsOf = None,
    months: Annotated[int, typer.Option(help="Months of history ending at as_of.", min=1)] = 12,
    events_per_day: Annotated[Optional[float], typer.Option(
        "--events-per-day", help="Usage events per active account per day (scale knob).")] = None,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
    landing: LandingOpt = None,
    mode: Annotated[str, typer.Option(help="standard, or hard: churn follows hidden drivers seen only "
                                           "noisily, some churn without warning.")] = "standard",
) -> None:
    """Write a synthetic landing dataset (every contract table) and its ground truth.

    Example: steward generate --accounts 500 --seed 7 --as-of 2026-06-30 --months 12
    """
    cfg = build_config(config, workspace, landing)
    _prepare_runtime(cfg, verbose=False)
    _generate(cfg, accounts, seed, _parse_date(as_of), months, events_per_day, mode)
    console.print(f"  ground truth -> {cfg.path('truth')} (not part of the landing data)")


def _generate(cfg: Config, accounts: int, seed: int, as_of: date, months: int, events_per_day: float | None,
              mode: str = "standard"):
    from flows import progress
    from flows.generate import generate as gen

    rep = progress.reporter()
    rep.stage(f"generate {accounts:,} accounts x {months} months (seed {seed}, as-of {as_of})")
    seen = {"usage_events": 0}

    def on_progress(stage: str, done: int, total: int) -> None:
        if stage != "usage_events":
            return
        if seen["usage_events"] == 0:
            rep.stage("  usage_events: one Parquet partition per day", total=total)
        rep.advance(done - seen["usage_events"])
        seen["usage_events"] = done

    result = gen(cfg.path("landing"), cfg.path("truth"), accounts=accounts, seed=seed, as_of=as_of,
                 months=months, events_per_account_day=events_per_day, progress=on_progress, mode=mode)
    rep.done(f"{sum(result.rows.values()):,} rows in {result.files} files, {result.seconds:.1f} s "
             f"({result.rows_per_second:,.0f} rows/s) -> {cfg.path('landing')}")
    return result


def demo(
    accounts: Annotated[int, typer.Option(help="Accounts to generate.", min=1)] = 500,
    months: Annotated[int, typer.Option(help="Months of history.", min=1)] = 12,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    as_of: AsOf = None,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Generate a small dataset into a fresh workspace and run the daily flow on it.

    Example: steward demo --accounts 500 --months 12
    """
    cfg = build_config(config, workspace)
    ws = cfg.path("workspace")
    if ws.exists() and any(ws.iterdir()) and not (ws / DEMO_MARKER).exists():
        _fail(f"{ws} holds a workspace that is not a demo; pass --workspace to use another folder")
    for name in ("landing", "truth", "warehouse", "outbox", "reports"):
        p = cfg.path(name)
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
    ws.mkdir(parents=True, exist_ok=True)
    (ws / DEMO_MARKER).write_text("created by `steward demo`; safe to delete\n")
    day = _parse_date(as_of)
    _prepare_runtime(cfg, verbose, prefect=True)  # the server starts while data is generated
    started = time.perf_counter()
    _generate(cfg, accounts, seed, day, months, None)
    _run(cfg, day, verbose)
    _reports(cfg, day, ["all"], send=True)
    _drain(cfg)
    emails = sorted(cfg.path("outbox").rglob("*.eml"))
    console.print(f"\n[bold]Demo finished in {time.perf_counter() - started:.0f} s.[/] Open:")
    nrr = sorted(cfg.path("outbox").rglob("report_nrr__*.html"))
    if nrr:
        console.print(f"  the NRR report:  {nrr[0]}")
    console.print(f"  all {len(emails)} emails: {cfg.path('outbox')}")
    console.print(f"  reports:         {cfg.path('reports')}")
    console.print(f"  the warehouse:   steward sql \"select * from marts.dim_accounts limit 5\""
                  + ("" if workspace is None else f" --workspace {ws}"))

