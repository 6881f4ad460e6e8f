"""The daily run's model step: score as_of after the dbt build, only when a model was trained.

Kept apart from flows/model/flow.py so a workspace without a model never imports scikit-learn.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from prefect import task
from prefect.cache_policies import NO_CACHE

from flows import progress
from flows.config import Config


@task(name="score-models", cache_policy=NO_CACHE)
def score_models(config: Config, as_of: date) -> dict:
    """marts.fct_churn_risk for as_of; a model trained on other features is reported, not fatal."""
    from flows.model import store

    if not store.current(config.path("workspace")):
        return {"skipped": "no model trained (steward model train)"}
    from flows.model.flow import score_day

    rep = progress.reporter()
    rep.stage("score churn and expansion models")
    try:
        result = score_day(config, as_of)
    except store.ModelMismatch as exc:
        rep.done(f"skipped: {exc}")
        return {"skipped": str(exc)}
    rep.done(result.skipped or f"{result.scored} accounts scored -> marts.fct_churn_risk")
    return asdict(result)
