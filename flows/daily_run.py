"""The daily flow: ingest -> quality gate -> dbt build -> reconcile -> deliver, for one as_of date."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows import progress
from flows.actions.alerts import AlertRunResult, reconcile_alerts
from flows.actions.assignments import AssignmentRunResult, reconcile_assignments
from flows.actions.campaigns import progress_line as campaign_progress_line
from flows.actions.campaigns import reconcile_campaigns
from flows.actions.journey import PhaseRunResult, reconcile_phases
from flows.actions.playbooks import progress_lines, reconcile_playbooks
from flows.actions.surveys import progress_line as survey_progress_line
from flows.actions.surveys import reconcile_surveys
from flows.config import Config, load_config
from flows.delivery.outbox import DrainResult, drain
from flows.delivery.transport import transport_for
from flows.ingest.flow import ingest
from flows.model.hook import score_models
from flows.quality.flow import gate_task
from flows.quality.report import summary as gate_summary
from flows.transform import dbt_build
from flows.warehouse import session


@dataclass
class RunSummary:
    """What one daily run did; printed by the CLI and stored in ops.runs."""

    as_of: str
    warehouse: str
    outbox: str
    rows_loaded: dict[str, int] = field(default_factory=dict)
    files_skipped: int = 0
    missing_tables: list[str] = field(default_factory=list)
    quality: dict = field(default_factory=dict)
    models_built: int = 0
    tests_passed: int = 0
    phases: dict = field(default_factory=dict)
    assignments: dict = field(default_factory=dict)
    alerts: dict[str, int] = field(default_factory=dict)
    playbooks: dict = field(default_factory=dict)
    surveys: dict = field(default_factory=dict)
    campaigns: dict = field(default_factory=dict)
    emails: dict[str, int] = field(default_factory=dict)
    churn_risk: dict = field(default_factory=dict)


def _phase_line(r: PhaseRunResult, as_of: date) -> str:
    if r.skipped_backfill:
        return f"skipped: {as_of} is before the latest recorded phase change (history is kept as it was)"
    moves = ", ".join(f"{k} {v}" for k, v in sorted(r.transitions.items(), key=lambda kv: -kv[1])[:6])
    return f"{r.entered} new, {r.changed} changed phase, {r.unchanged} unchanged" + (f" ({moves})" if moves else "")


def _assignment_line(r: AssignmentRunResult, as_of: date) -> str:
    if r.skipped:
        return f"skipped: {r.skipped}"
    return (f"{r.assigned} assigned, {r.released} released, {r.kept} kept, {r.unfilled} unfilled; pooled to-dos: "
            f"{r.contacts_created} created, {r.contacts_done} done, {r.contacts_open} open")


def _alert_line(r: AlertRunResult, as_of: date) -> str:
    if r.skipped_backfill:
        return f"skipped: {as_of} is before the latest reconciled day (alerts only move forward)"
    return (f"{r.opened} opened, {r.reopened} reopened, {r.resolved} resolved, {r.persisting} still active, "
            f"{r.woken} back from snooze; {r.digests_queued} digest(s) queued ({r.reminded} reminder(s))")


@dataclass(frozen=True)
class ReconcileStep:
    """One reconciler of the daily run: its Prefect task name, its progress stage, what it does and says."""

    summary_key: str
    task_name: str
    stage: str
    reconcile: Callable[[Any, Config, date], Any]
    describe: Callable[[Any, date], str]


# In order: owners and phases first (alerts route to owners), then alerts, playbooks (which read
# alert candidates), surveys and campaigns. Each is idempotent: a rerun of the day adds nothing.
RECONCILE_STEPS = (
    ReconcileStep("phases", "reconcile-phases", "reconcile journey phases",
                  lambda con, cfg, d: reconcile_phases(con, d), _phase_line),
    ReconcileStep("assignments", "reconcile-assignments", "reconcile assignments", reconcile_assignments,
                  _assignment_line),
    ReconcileStep("alerts", "reconcile-alerts", "reconcile alerts",
                  lambda con, cfg, d: reconcile_alerts(con, d), _alert_line),
    ReconcileStep("playbooks", "reconcile-playbooks", "reconcile playbooks", reconcile_playbooks,
                  lambda r, d: progress_lines(r)),
    ReconcileStep("surveys", "reconcile-surveys", "reconcile surveys", reconcile_surveys,
                  lambda r, d: survey_progress_line(r)),
    ReconcileStep("campaigns", "reconcile-campaigns", "reconcile campaigns", reconcile_campaigns,
                  lambda r, d: campaign_progress_line(r)),
)


@task(cache_policy=NO_CACHE)
def reconcile_step(step: ReconcileStep, config: Config, as_of: date) -> Any:
    """Run one reconciler in its own warehouse session and report what it changed."""
    rep = progress.reporter()
    rep.stage(step.stage)
    with session(config.path("warehouse")) as con:
        result = step.reconcile(con, config, as_of)
    rep.done(step.describe(result, as_of))
    for line in (getattr(result, "notes", None) or [])[:10]:
        rep.note(line)
    return result


@task(name="deliver-outbox", retries=2, retry_delay_seconds=[2, 10])
def deliver_task(config: Config) -> DrainResult:
    """Drain ops.outbox; retrying is safe because the outbox makes sends exactly-once."""
    rep = progress.reporter()
    rep.stage("deliver")
    with session(config.path("warehouse")) as con:
        result = drain(con, transport_for(config), config.delivery.send_budget)
    rep.done(f"{result.sent} sent via {config.delivery.transport}, {result.deferred} deferred, "
             f"{result.failed} failed, {result.suppressed} suppressed, {result.unconfirmed} unconfirmed")
    for line in result.errors[:10]:
        rep.note(line)
    return result


def run_pipeline(config: Config, as_of: date, full_refresh: bool = False) -> RunSummary:
    """The pipeline body, shared by the daily flow and the demo.

    full_refresh rebuilds the incremental models from all history (after an upgrade changed their
    columns, or to repair them); ops state is untouched either way.
    """
    run_id = uuid.uuid4().hex[:12]
    warehouse = config.path("warehouse")
    with session(warehouse) as con:
        con.execute("insert into ops.runs values (?, ?, now(), null, 'running', null)", [run_id, as_of])
    summary = RunSummary(as_of=as_of.isoformat(), warehouse=str(warehouse), outbox=str(config.path("outbox")))
    status = "failed"
    try:
        loaded = ingest(config)
        summary.rows_loaded = {t: r.rows_loaded for t, r in loaded.tables.items()}
        summary.files_skipped = sum(r.files_unchanged for r in loaded.tables.values())
        summary.missing_tables = loaded.missing_optional
        summary.quality = gate_summary(gate_task(config, loaded.batch_id))
        built = dbt_build(config, as_of, full_refresh=full_refresh)
        summary.models_built, summary.tests_passed = built.models, built.tests + built.unit_tests
        summary.churn_risk = score_models(config, as_of)  # marts.fct_churn_risk, when a model exists
        for step in RECONCILE_STEPS:
            result = reconcile_step.with_options(name=step.task_name)(step, config, as_of)
            setattr(summary, step.summary_key, asdict(result))
        summary.emails = asdict(deliver_task(config))
        summary.emails.pop("errors", None)
        status = "succeeded"
    finally:
        with session(warehouse) as con:
            con.execute("update ops.runs set finished_at = now(), status = ?, summary = ? where run_id = ?",
                        [status, json.dumps(asdict(summary)), run_id])
    return summary


@flow(name="steward-daily-run")
def daily_run_for(config: Config, as_of: date, full_refresh: bool = False) -> dict:
    """The daily flow for an already-built config (what the CLI calls)."""
    return asdict(run_pipeline(config, as_of, full_refresh))


@flow(name="steward-daily-run")
def daily_run(as_of: date | None = None, config_path: str | None = None, workspace: str | None = None,
              full_refresh: bool = False) -> dict:
    """Ingest landing files, build the dbt project for as_of, reconcile alerts, deliver email.

    as_of defaults to the flow run's date (what a scheduled deployment wants).
    """
    overrides = {"paths": {"workspace": workspace}} if workspace else None
    config = load_config(config_path, overrides=overrides)
    return asdict(run_pipeline(config, as_of or date.today(), full_refresh))
