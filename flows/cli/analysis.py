"""`steward bench`, `steward backtest` and `steward sql`: measure, backtest, query the analyst copy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.cli.common import ConfigOpt, WorkspaceOpt, _fail, build_config
from flows.console import console


def bench(
    tier: Annotated[str, typer.Option("--tier", help="S (1k accounts, 1M events), M (10k, 10M), L (100k, 100M); XS (100, 50k) checks the harness.")] = "S",
    repeat: Annotated[int, typer.Option(help="Run the whole tier this many times.", min=1)] = 1,
    fresh: Annotated[bool, typer.Option("--fresh", help="Regenerate the dataset instead of reusing the cache.")] = False,
    root: Annotated[Path, typer.Option(help="Where datasets are cached.")] = Path("bench/data"),
    out: Annotated[Path, typer.Option(help="Where results are written.")] = Path("bench/results"),
    engine: Annotated[str, typer.Option("--engine", help="duckdb or spark: where dbt builds (spark: results "
                                        "<tier>-spark-<date>, the dbt stages only).")] = "duckdb",
) -> None:
    """Time every stage (with peak RSS) against a DuckDB floor and a pandas peer; write bench/results.

    Example: steward bench --tier M
    """
    from rich.progress import Progress

    from flows.bench.run import bench as run_bench
    from flows.bench.tiers import TIERS

    if tier not in TIERS:
        _fail(f"--tier {tier!r}: expected one of {', '.join(TIERS)}")
    if engine not in ("duckdb", "spark"):
        _fail(f"--engine {engine!r}: duckdb or spark")
    name = tier if engine == "duckdb" else f"{tier}-{engine}"
    for i in range(repeat):
        with Progress(console=console, transient=True) as prog:
            task = prog.add_task(f"tier {tier} run {i + 1}/{repeat}", total=None)

            def on_stage(stage: str, done: int, total: int) -> None:
                prog.update(task, total=total, completed=done, description=f"tier {tier}: {stage}")

            payload = run_bench(tier, root.resolve(), out.resolve(), reuse=not fresh or i > 0, progress=on_stage,
                                engine=engine)
        md = (out / f"{name}-{payload['date']}.md").read_text()
        console.print(md, markup=False)
    console.print(f"results: {out / (name + '-' + payload['date'])}.json")


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
