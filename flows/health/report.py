"""Print a backtest result as a rich table."""

from __future__ import annotations

from rich.table import Table

from flows.console import console
from flows.health.backtest import BacktestResult


def _fmt(value, digits: int = 3) -> str:
    return "" if value is None or value != value else f"{value:.{digits}f}"


def print_backtest(result: BacktestResult) -> None:
    """One table per run: predictors by horizon, health score first, baselines last."""
    table = Table("horizon", "predictor", "rows", "churners", "AUC", "prec@red", "rec@red",
                  "lift@10%", title=f"Health backtest — labels: {result.label_source}")
    for r in result.table.to_dict("records"):
        style = "bold" if r["predictor"] == "health_score" else ("dim" if r["predictor"].startswith("baseline") else None)
        table.add_row(f"{r['horizon_days']} d", r["predictor"], f"{r['rows']:,}", f"{r['churners']:,}",
                      _fmt(r["auc"]), _fmt(r["precision_red"]), _fmt(r["recall_red"]),
                      _fmt(r["lift_bottom_decile"], 2), style=style)
    console.print(table)
    console.print(f"  {result.scoring_dates} scoring dates; results in backtest.rpt_health_backtest")
    if result.skipped_components:
        console.print(f"  skipped (no source rows; weights renormalised): {', '.join(result.skipped_components)}")
