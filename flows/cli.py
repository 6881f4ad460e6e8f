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
from rich.markup import escape

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
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
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


def _prepare_runtime(cfg: Config, verbose: bool, prefect: bool = False) -> None:
    """Environment Prefect reads at import: a per-workspace home, quiet logs, no telemetry.

    With `prefect`, a private Prefect server starts in the background now (unless
    PREFECT_API_URL names one); `_prefect_ready()` waits for it before the first flow.
    """
    ws = cfg.path("workspace")
    ws.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(ws / "prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    if not verbose:
        # Known input errors are printed as one line by the CLI; Prefect would add a traceback.
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")
    if prefect:
        from flows.prefect_server import start_background

        start_background(ws / "prefect")
    from flows import progress
    from flows.console import RichReporter

    progress.use(RichReporter())


def _prefect_ready() -> None:
    from flows.prefect_server import ensure_ready

    try:
        ensure_ready()
    except RuntimeError as exc:
        _fail(str(exc))


def _warm_up(cfg: Config, as_of: date) -> None:
    """While our Prefect server starts (10-20 s), do start-up work the run needs anyway on the
    idle core: load GX and its context, and parse the dbt project with this run's vars."""
    from flows.prefect_server import still_starting

    if still_starting():
        from flows.quality import suites

        suites.context()
    if still_starting():
        from flows.transform import parse_ahead

        parse_ahead(cfg, as_of)


def _guarded(fn, *args, **kwargs):
    """Run a pipeline step; known input errors become one red line, never a traceback."""
    from flows.ingest.discover import LandingError
    from flows.quality.gate import GateError
    from flows.runlock import RunLockHeld
    from flows.transform import DbtBuildError
    from flows.warehouse import SchemaError, WarehouseBusy

    try:
        return fn(*args, **kwargs)
    except (ConfigError, LandingError, DbtBuildError, GateError, SchemaError, RunLockHeld, WarehouseBusy) as exc:
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


@app.command()
def ingest(config: ConfigOpt = None, workspace: WorkspaceOpt = None, landing: LandingOpt = None,
           verbose: VerboseOpt = False) -> None:
    """Load new or changed landing files into the warehouse (schema raw).

    Example: steward ingest --landing ./exports
    """
    cfg = build_config(config, workspace, landing)
    _prepare_runtime(cfg, verbose, prefect=True)
    from flows.ingest.flow import ingest as ingest_flow

    _prefect_ready()
    result = _guarded(ingest_flow, cfg)
    console.print(f"[green]✓[/] {result.rows_loaded:,} rows loaded into {cfg.path('warehouse')}")


@app.command()
def check(
    path: Annotated[Path, typer.Argument(help="Landing folder to validate.")],
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result and profile as JSON.")] = False,
) -> None:
    """Validate a landing folder against the contract (mappings applied) without loading it into the
    warehouse, and profile what Steward can compute from it.

    Example: steward check ./exports
    """
    cfg = build_config(config, workspace)
    _prepare_runtime(cfg, verbose=False)
    from flows.cli_check import report
    from flows.quality.flow import check_landing, docs_dir

    landing = path.expanduser().resolve()
    result = _guarded(check_landing, landing, docs_dir(cfg), None, cfg)
    code = report(console, result, landing, cfg, json_out)
    if code:
        raise typer.Exit(code)


@app.command()
def run(as_of: AsOf = None, config: ConfigOpt = None, workspace: WorkspaceOpt = None,
        landing: LandingOpt = None, verbose: VerboseOpt = False,
        shadow: Annotated[bool, typer.Option(
            "--shadow", help="Shadow mode for this run (actions.mode: shadow): decide and record everything, "
                             "send nothing to customers or CSMs, mail the data team a summary.")] = False,
        full_refresh: Annotated[bool, typer.Option(
            "--full-refresh", help="Rebuild incremental models (usage, health) from all history; needed once "
                                   "after an upgrade changes their columns.")] = False,
        engine: Annotated[str | None, typer.Option(
            "--engine", help="duckdb or spark: where dbt builds the models (overrides dbt.engine).")] = None) -> None:
    """Run the daily flow: ingest -> dbt build -> reconcile -> deliver.

    Example: steward run --as-of 2026-06-30
    """
    cfg = build_config(config, workspace, landing)
    if shadow:
        cfg.actions.mode = "shadow"
    if engine:
        cfg.dbt.engine = engine if engine in ("duckdb", "spark") else _fail(f"--engine {engine!r}: duckdb or spark")
    _run(cfg, _parse_date(as_of), verbose, full_refresh)


def _run(cfg: Config, as_of: date, verbose: bool, full_refresh: bool = False) -> dict:
    from datetime import datetime, timezone

    from flows.runlock import RunLockHeld, run_lock

    scheduled_at = datetime.now(timezone.utc)  # the run's clock for send windows, passed in explicitly
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


@app.command()
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


@app.command()
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


@app.command()
def bench(
    tier: Annotated[str, typer.Option("--tier", help="S (1k accounts, 1M events), M (10k, 10M), L (100k, 100M).")] = "S",
    repeat: Annotated[int, typer.Option(help="Run the whole tier this many times.", min=1)] = 1,
    fresh: Annotated[bool, typer.Option("--fresh", help="Regenerate the dataset instead of reusing the cache.")] = False,
    root: Annotated[Path, typer.Option(help="Where datasets are cached.")] = Path("bench/data"),
    out: Annotated[Path, typer.Option(help="Where results are written.")] = Path("bench/results"),
) -> None:
    """Time every stage (with peak RSS) against a DuckDB floor and a pandas peer; write bench/results.

    Example: steward bench --tier M
    """
    from rich.progress import Progress

    from flows.bench.run import bench as run_bench
    from flows.bench.tiers import TIERS

    if tier not in TIERS:
        _fail(f"--tier {tier!r}: expected one of {', '.join(TIERS)}")
    for i in range(repeat):
        with Progress(console=console, transient=True) as prog:
            task = prog.add_task(f"tier {tier} run {i + 1}/{repeat}", total=None)

            def on_stage(stage: str, done: int, total: int) -> None:
                prog.update(task, total=total, completed=done, description=f"tier {tier}: {stage}")

            payload = run_bench(tier, root.resolve(), out.resolve(), reuse=not fresh or i > 0, progress=on_stage)
        md = (out / f"{tier}-{payload['date']}.md").read_text()
        console.print(md, markup=False)
    console.print(f"results: {out / (tier + '-' + payload['date'])}.json")


@app.command()
def backtest(
    step_days: Annotated[int, typer.Option("--step-days", help="Days between scoring dates.", min=1)] = 7,
    seed: Annotated[int, typer.Option(help="Seed of the random baseline.")] = 7,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Backtest the health score against known churn (30/60/90-day AUC, red-band precision/recall, lift).

    Labels come from <workspace>/truth/accounts.csv when present (generated data), else from
    billing (the day paid MRR drops to 0). Results: backtest.rpt_health_backtest.

    Example: steward backtest --workspace /tmp/steward-demo
    """
    from flows.health.report import print_backtest

    cfg = build_config(config, workspace)
    path = cfg.path("warehouse")
    if not path.exists():
        _fail(f"no warehouse at {path}; run `steward demo` or `steward run` first")
    from flows.health.backtest import run_backtest

    result = run_backtest(path, cfg.path("truth"), cfg.health.bands.red_below, step_days, seed)
    print_backtest(result)


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run against the warehouse (read-only).")],
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 50,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = None,
    csv_out: Annotated[bool, typer.Option("--csv", help="Every row as CSV on stdout; text a spreadsheet would run "
                                                        "as a formula is prefixed with '.")] = False,
) -> None:
    """Query the analyst copy (what the last successful run published) and print the result.

    Example: steward sql "select segment, sum(current_mrr) from marts.dim_accounts group by 1"
    """
    import duckdb
    from rich.table import Table

    from flows.warehouse import analyst_copy_path, open_reader

    cfg = build_config(config, workspace)
    path = analyst_copy_path(cfg.path("warehouse"))  # never the writer's file: a query never blocks a run
    if not path.exists():
        _fail(f"no analyst copy at {path}; run `steward demo` or `steward run` first (each successful "
              "run publishes it)")
    try:
        with open_reader(path) as con:
            cur = con.execute(query)
            cols = [d[0] for d in cur.description]
            rows = cur.fetchall() if csv_out else cur.fetchmany(limit)
    except duckdb.Error as exc:
        _fail(f"query failed: {str(exc).splitlines()[0]}")
    if csv_out:
        import csv
        import sys

        from flows.quality.contract_rules import neutralise_cell

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(cols)
        writer.writerows([neutralise_cell(v) for v in r] for r in rows)
        return
    table = Table(*cols)
    for r in rows:
        table.add_row(*["" if v is None else str(v) for v in r])
    console.print(table)


alerts_app = typer.Typer(no_args_is_help=True, help=(
    "List alerts and acknowledge, snooze or resolve them.\n\n"
    "Example: steward alerts list --rule health_dip; steward alerts snooze al_3f66 --days 7"))
app.add_typer(alerts_app, name="alerts")
ByOpt = Annotated[Optional[str], typer.Option("--by", help="Who is acting (default: $USER); kept on the alert.")]
AlertIds = Annotated[list[str], typer.Argument(help="Alert id(s) or unique id prefix(es), from `steward alerts list`.")]


def _alerts_session(cfg: Config):
    """A writable warehouse connection, or one clear line when there is none or it is busy."""
    import duckdb

    from flows.warehouse import session

    path = cfg.path("warehouse")
    if not path.exists():
        _fail(f"no warehouse at {path}; run `steward demo` or `steward run` first")
    try:
        return session(path)
    except duckdb.IOException as exc:
        _fail(f"the warehouse is busy (a run holds it?): {str(exc).splitlines()[0]}")


def _act_on_alerts(cfg: Config, ids: list[str], verb: str, fn, **kwargs) -> None:
    """Apply one alert action to each id; every id is reported, failures make the exit code 1."""
    from flows.actions.alerts import AlertError

    failed = 0
    with _alerts_session(cfg) as con:
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
    with _alerts_session(cfg) as con:
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
app.add_typer(tasks_app, name="tasks")


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

    with _alerts_session(build_config(config, workspace)) as con:
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
    with _alerts_session(build_config(config, workspace)) as con:
        for task in ids:
            try:
                console.print(f"[green]✓[/] {complete_task(con, task, day)} done", highlight=False)
            except TaskError as exc:
                failed += 1
                console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(1)


survey_app = typer.Typer(no_args_is_help=True, help=(
    "Surveys: send an ad-hoc survey, import answers collected with the token links, list invitations.\n\n"
    "Example: steward survey import answers.csv; steward survey send product_feedback --dry-run; "
    "steward survey list"))
app.add_typer(survey_app, name="survey")


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
    with _alerts_session(cfg) as con:
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
    with _alerts_session(cfg) as con:
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

    with _alerts_session(build_config(config, workspace)) as con:
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
app.add_typer(campaign_app, name="campaign")
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
    with _alerts_session(cfg) as con:
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
    with _alerts_session(cfg) as con:
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
    with _alerts_session(cfg) as con:
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


from flows.preview_emails import preview_emails  # noqa: E402  (its own module; registered here)

app.command("preview-emails")(preview_emails)
from flows.cli_outbox import outbox_app  # noqa: E402 (it imports the options defined above)
app.add_typer(outbox_app, name="outbox")
import flows.cli_serve  # noqa: E402,F401  (registers `steward serve` and `steward serve-screenshots`)

from flows.cli_model import model_app  # noqa: E402  (imports this module's options)

app.add_typer(model_app, name="model")


def main() -> None:
    from flows.warehouse import SchemaError

    try:
        app()
    except (SchemaError, ConfigError) as exc:  # from any command (a newer warehouse, a missing link
        # secret while queueing mail, ...): one line, never a traceback
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
