"""Print a backtest result as a rich table."""

from __future__ import annotations

from rich.table import Column, Table

from flows.console import console
from flows.health.backtest import BacktestResult


def _fmt(value, digits: int = 3) -> str:
    return "" if value is None or value != value else f"{value:.{digits}f}"


def print_backtest(result: BacktestResult) -> None:
    """One table per run: predictors by horizon, health score first, baselines last."""
    rows, styles = [], []
    for r in result.table.to_dict("records"):
        styles.append("bold" if r["predictor"] == "health_score"
                      else ("dim" if r["predictor"].startswith("baseline") else None))
        rows.append((f"{r['horizon_days']} d", r["predictor"], f"{r['rows']:,}", f"{r['churners']:,}",
                     _fmt(r["auc"]), _fmt(r["precision_red"]), _fmt(r["recall_red"]),
                     _fmt(r["lift_bottom_decile"], 2)))
    # fits an 80-column (piped) console without cutting a name or a number
    headers = ("horizon", "predictor", "rows", "churn", "AUC", "P@red", "R@red", "lift10")
    table = Table(*(Column(h, no_wrap=True, justify="left" if i < 2 else "right",
                           min_width=max([len(h)] + [len(row[i]) for row in rows]))
                    for i, h in enumerate(headers)),
                  box=None, pad_edge=False, padding=(0, 1), title=f"Health backtest — labels: {result.label_source}",
                  caption="churn: rows that churned within the horizon; P/R@red: precision and recall "
                          "of the red band; lift10: churn rate of the lowest-scored 10 % ÷ overall",
                  caption_justify="left")
    for row, style in zip(rows, styles):
        table.add_row(*row, style=style)
    console.print(table)
    console.print(f"  {result.scoring_dates} scoring dates; results in backtest.rpt_health_backtest")
    if result.skipped_components:
        console.print(f"  skipped (no source rows; weights renormalised): {', '.join(result.skipped_components)}")
