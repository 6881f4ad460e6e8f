"""`steward model ...`: train, evaluate and score the churn and expansion models (flows/model/)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from flows.cli.common import AsOf, ConfigOpt, WorkspaceOpt, _fail, _parse_date, _prepare_runtime, build_config
from flows.console import console

model_app = typer.Typer(no_args_is_help=True, help=(
    "Churn and expansion models: train, evaluate (model cards), score (marts.fct_churn_risk).\n\n"
    "Example: steward model train; steward model evaluate; steward model score --as-of 2026-06-30"))

Target = Annotated[Optional[str], typer.Option(
    "--target", help="churn or expansion (default: both).", show_default=False)]


def _ready(cfg) -> None:
    """The warehouse and its features mart must exist: say how to get them, no traceback."""
    import duckdb

    from flows.warehouse import open_reader

    path = cfg.path("warehouse")
    if not path.exists():
        _fail(f"no warehouse at {path}: run `steward run` first")
    try:
        with open_reader(path) as con:
            found = con.execute("select count(*) from information_schema.tables where table_schema = 'marts' "
                                "and table_name = 'fct_account_features_daily'").fetchone()[0]
    except duckdb.IOException as exc:
        _fail(f"cannot open {path}: {exc}")
    if not found:
        _fail(f"{path} has no marts.fct_account_features_daily: run `steward run` (this version) first")


@model_app.command("train")
def train(target: Target = None, config: ConfigOpt = None, workspace: WorkspaceOpt = None) -> None:
    """Train, choose (time-based CV) and calibrate the models on the warehouse's history.

    Artifacts: <workspace>/models/<version>/ (model, metadata: window, features, data hash, metrics).
    Example: steward model train --target churn
    """
    from flows.model.dataset import TARGETS
    from flows.model.flow import train_models

    if target is not None and target not in TARGETS:
        _fail(f"--target {target!r}: expected one of {', '.join(TARGETS)}")
    cfg = build_config(config, workspace)
    _prepare_runtime(cfg, verbose=False)
    _ready(cfg)
    result = train_models(cfg, (target,) if target else TARGETS)
    for t, how in result.trained.items():
        ev = result.evaluations[t]
        auc90 = ev.model_auc(90)
        health = ev.auc_of("health_score", 90)
        console.print(f"  ✓ {t}: {how}; held-out AUC (90 d) {auc90:.3f} vs health score {health:.3f}, "
                      f"ECE {ev.ece:.3f} -> models/{result.version}", highlight=False)
    for why in result.refused.values():
        console.print(f"  [bold red]refused[/] {escape(why)}", highlight=False, soft_wrap=True)
    if result.refused and not result.trained:
        raise typer.Exit(1)


@model_app.command("evaluate")
def evaluate(config: ConfigOpt = None, workspace: WorkspaceOpt = None,
             out: Annotated[Optional[Path], typer.Option(help="Folder for <target>/MODEL_CARD.md "
                                                              "(default: the repository's models/).")] = None) -> None:
    """Evaluate the current models on the held-out later period and rewrite their model cards.

    Example: steward model evaluate --workspace /tmp/steward-demo
    """
    from flows.model import store
    from flows.model.flow import REPO_MODELS_DIR, evaluate_models

    cfg = build_config(config, workspace)
    _prepare_runtime(cfg, verbose=False)
    _ready(cfg)
    if not store.current(cfg.path("workspace")):
        _fail("no model trained in this workspace: run `steward model train` first")
    try:
        cards = evaluate_models(cfg, out or REPO_MODELS_DIR)
    except store.ModelMismatch as exc:
        _fail(str(exc))
    for t, path in cards.items():
        console.print(f"  ✓ {t} model card -> {path}", highlight=False)


@model_app.command("score")
def score(as_of: AsOf = None, config: ConfigOpt = None, workspace: WorkspaceOpt = None) -> None:
    """Score every paying account on as_of into marts.fct_churn_risk (the daily run does this too).

    Example: steward model score --as-of 2026-06-30
    """
    from flows.model.flow import score_day
    from flows.model.store import ModelMismatch

    cfg = build_config(config, workspace)
    _prepare_runtime(cfg, verbose=False)
    _ready(cfg)
    day = _parse_date(as_of)
    try:
        result = score_day(cfg, day)
    except ModelMismatch as exc:
        _fail(str(exc))
    if result.skipped:
        _fail(result.skipped)
    if result.scored == 0:
        _fail(f"no feature rows on {day} in marts.fct_account_features_daily (scoring dates: Mondays and "
              f"the last run's as_of)")
    console.print(f"  ✓ {result.scored} accounts scored for {day} -> marts.fct_churn_risk "
                  f"(models {', '.join(f'{k} {v}' for k, v in (result.versions or {}).items())})", highlight=False)
