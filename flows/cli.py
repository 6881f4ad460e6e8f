"""The `steward` command: parses, builds the config once, calls a flow, prints a summary.

Prefect is imported only inside commands, after the environment it reads is set up.
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer

from flows.config import Config, ConfigError, load_config
from flows.console import console

app = typer.Typer(
    name="steward", no_args_is_help=True, add_completion=False, rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
    help="Steward: customer-success automation as a versioned, testable pipeline.",
)

AsOf = Annotated[Optional[str], typer.Option("--as-of", help="As-of date YYYY-MM-DD (default: today).")]
ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", help="Config file (default: steward.yml).")]
WorkspaceOpt = Annotated[Optional[Path], typer.Option(
    "--workspace", "-w", help="Workspace folder (default .steward; env STEWARD_WORKSPACE).")]
LandingOpt = Annotated[Optional[Path], typer.Option("--landing", help="Landing folder (default <workspace>/landing).")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Show Prefect and dbt logs.")]

DEMO_MARKER = ".steward-demo"


def _fail(message: str) -> None:
    from rich.markup import escape

    # one line, however long; data in the message (e.g. "[b]") is text, not markup
    console.print(f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _parse_date(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"--as-of {value!r} is not a date; expected YYYY-MM-DD, e.g. 2026-01-31")


def build_config(config: Path | None, workspace: Path | None, landing: Path | None = None) -> Config:
    """Load and validate the config once, applying command-line path overrides."""
    paths = {k: str(v.expanduser().resolve()) for k, v in (("workspace", workspace), ("landing", landing))
             if v is not None}
    try:
        return load_config(config, overrides={"paths": paths} if paths else None)
    except ConfigError as exc:
        _fail(str(exc))


def _prepare_runtime(cfg: Config, verbose: bool) -> None:
    """Environment Prefect reads at import: a per-workspace home, quiet logs, no telemetry."""
    ws = cfg.path("workspace")
    ws.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(ws / "prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    if not verbose:
        # Known input errors are printed as one line by the CLI; Prefect would add a traceback.
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")
    from flows import progress
    from flows.console import RichReporter

    progress.use(RichReporter())


def _guarded(fn, *args, **kwargs):
    """Run a pipeline step; known input errors become one red line, never a traceback."""
    from flows.ingest.discover import LandingError
    from flows.quality.gate import GateError
    from flows.transform import DbtBuildError

    try:
        return fn(*args, **kwargs)
    except (ConfigError, LandingError, DbtBuildError, GateError) as exc:
        _fail(str(exc))


@app.command()
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
) -> None:
    """Write a synthetic landing dataset (every contract table) and its ground truth.

    Example: steward generate --accounts 500 --seed 7 --as-of 2026-06-30 --months 12
    """
    cfg = build_config(config, workspace, landing)
    _prepare_runtime(cfg, verbose=False)
    _generate(cfg, accounts, seed, _parse_date(as_of), months, events_per_day)
    console.print(f"  ground truth -> {cfg.path('truth')} (not part of the landing data)")


def _generate(cfg: Config, accounts: int, seed: int, as_of: date, months: int, events_per_day: float | None):
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
                 months=months, events_per_account_day=events_per_day, progress=on_progress)
    rep.done(f"{sum(result.rows.values()):,} rows in {result.files} files, {result.seconds:.1f} s "
             f"({result.rows_per_second:,.0f} rows/s) -> {cfg.path('landing')}")
    return result


@app.command()
def ingest(config: ConfigOpt = None, workspace: WorkspaceOpt = None, landing: LandingOpt = None,
           verbose: VerboseOpt = False) -> None:
    """Load new or changed landing files into the warehouse (schema raw).

    Example: steward ingest --landing ./exports
    """
    cfg = build_config(config, workspace, landing)
    _prepare_runtime(cfg, verbose)
    from flows.ingest.flow import ingest as ingest_flow

    result = _guarded(ingest_flow, cfg)
    console.print(f"[green]✓[/] {result.rows_loaded:,} rows loaded into {cfg.path('warehouse')}")


@app.command()
def check(
    path: Annotated[Path, typer.Argument(help="Landing folder to validate.")],
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Validate a landing folder against the contract without loading it into the warehouse.

    Example: steward check ./exports
    """
    cfg = build_config(config, workspace)
    _prepare_runtime(cfg, verbose=False)
    from flows.quality.flow import check_landing, docs_dir
    from flows.quality.report import table

    result = _guarded(check_landing, path.expanduser().resolve(), docs_dir(cfg))
    console.print(table(result))
    console.print(f"data docs: {result.docs}")
    if result.quarantined:
        console.print(f"[yellow]![/] {result.quarantined:,} row(s) would be quarantined")
        raise typer.Exit(1)
    console.print("[green]✓[/] landing folder passes the quality gate")


@app.command()
def run(as_of: AsOf = None, config: ConfigOpt = None, workspace: WorkspaceOpt = None,
        landing: LandingOpt = None, verbose: VerboseOpt = False) -> None:
    """Run the daily flow: ingest -> dbt build -> reconcile -> deliver.

    Example: steward run --as-of 2026-06-30
    """
    cfg = build_config(config, workspace, landing)
    _run(cfg, _parse_date(as_of), verbose)


def _run(cfg: Config, as_of: date, verbose: bool) -> dict:
    _prepare_runtime(cfg, verbose)
    from flows.console import print_summary
    from flows.daily_run import daily_run_for
    from flows.ingest.flow import plan

    _guarded(plan, cfg)  # a bad landing folder fails in a second, before Prefect starts

    started = time.perf_counter()
    summary = _guarded(daily_run_for, cfg, as_of)
    print_summary(summary, time.perf_counter() - started)
    return summary


@app.command()
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
    _prepare_runtime(cfg, verbose)
    started = time.perf_counter()
    _generate(cfg, accounts, seed, day, months, None)
    summary = _run(cfg, day, verbose)
    emails = sorted(cfg.path("outbox").rglob("*.eml"))
    console.print(f"\n[bold]Demo finished in {time.perf_counter() - started:.0f} s.[/] Open:")
    if emails:
        console.print(f"  an email:        {emails[0].with_suffix('.html')}")
    console.print(f"  all emails:      {cfg.path('outbox')}")
    console.print(f"  the warehouse:   steward sql \"select * from marts.dim_accounts limit 5\""
                  + ("" if workspace is None else f" --workspace {ws}"))


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run against the warehouse (read-only).")],
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 50,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Query the warehouse read-only and print the result.

    Example: steward sql "select segment, sum(current_mrr) from marts.dim_accounts group by 1"
    """
    import duckdb
    from rich.table import Table

    cfg = build_config(config, workspace)
    path = cfg.path("warehouse")
    if not path.exists():
        _fail(f"no warehouse at {path}; run `steward demo` or `steward run` first")
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            cur = con.execute(query)
            cols = [d[0] for d in cur.description]
            rows = cur.fetchmany(limit)
    except duckdb.Error as exc:
        _fail(f"query failed: {str(exc).splitlines()[0]}")
    table = Table(*cols)
    for r in rows:
        table.add_row(*["" if v is None else str(v) for v in r])
    console.print(table)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
