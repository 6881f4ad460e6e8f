"""The daily flow: ingest -> quality gate -> dbt build -> reconcile -> deliver, for one as_of date."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from prefect import flow, task

from flows import progress
from flows.actions.alerts import AlertRunResult, reconcile_alerts
from flows.actions.campaigns import CampaignRunResult, reconcile_campaigns
from flows.actions.campaigns import progress_line as campaign_progress_line
from flows.actions.journey import PhaseRunResult, reconcile_phases
from flows.actions.playbooks import PlaybookRunResult, progress_lines, reconcile_playbooks
from flows.actions.assignments import AssignmentRunResult, reconcile_assignments
from flows.actions.surveys import SurveyRunResult, progress_line as survey_progress_line, reconcile_surveys
from flows.config import Config, load_config
from flows.delivery.outbox import DrainResult, drain
from flows.delivery.transport import transport_for
from flows.ingest.flow import ingest
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


@task(name="reconcile-phases")
def phases_task(warehouse: Path, as_of: date) -> PhaseRunResult:
    """Idempotent: a rerun for the same as_of records no phase change."""
    rep = progress.reporter()
    rep.stage("reconcile journey phases")
    with session(warehouse) as con:
        result = reconcile_phases(con, as_of)
    if result.skipped_backfill:
        rep.done(f"skipped: {as_of} is before the latest recorded phase change (history is kept as it was)")
    else:
        moves = ", ".join(f"{k} {v}" for k, v in sorted(result.transitions.items(), key=lambda kv: -kv[1])[:6])
        rep.done(f"{result.entered} new, {result.changed} changed phase, {result.unchanged} unchanged"
                 + (f" ({moves})" if moves else ""))
    return result


@task(name="reconcile-assignments")
def assignments_task(config: Config, as_of: date) -> AssignmentRunResult:
    """Owners and pooled to-dos; idempotent, and a backfill before recorded history is skipped."""
    rep = progress.reporter()
    rep.stage("reconcile assignments")
    with session(config.path("warehouse")) as con:
        result = reconcile_assignments(con, config, as_of)
    if result.skipped:
        rep.done(f"skipped: {result.skipped}")
    else:
        rep.done(f"{result.assigned} assigned, {result.released} released, {result.kept} kept, "
                 f"{result.unfilled} unfilled; pooled to-dos: {result.contacts_created} created, "
                 f"{result.contacts_done} done, {result.contacts_open} open")
    for line in result.notes[:10]:
        rep.note(line)
    return result


@task(name="reconcile-alerts")
def reconcile_task(warehouse: Path, as_of: date) -> AlertRunResult:
    """Idempotent: a rerun for the same as_of finds nothing new to open or notify."""
    rep = progress.reporter()
    rep.stage("reconcile alerts")
    with session(warehouse) as con:
        result = reconcile_alerts(con, as_of)
    if result.skipped_backfill:
        rep.done(f"skipped: {as_of} is before the latest reconciled day (alerts only move forward)")
    else:
        rep.done(f"{result.opened} opened, {result.reopened} reopened, {result.resolved} resolved, "
                 f"{result.persisting} still active, {result.woken} back from snooze; "
                 f"{result.digests_queued} digest(s) queued ({result.reminded} reminder(s))")
    return result


@task(name="reconcile-playbooks")
def playbooks_task(config: Config, as_of: date) -> PlaybookRunResult:
    """Idempotent: one run per trigger episode, tasks and emails keyed by run and step."""
    rep = progress.reporter()
    rep.stage("reconcile playbooks")
    with session(config.path("warehouse")) as con:
        result = reconcile_playbooks(con, config, as_of)
    rep.done(progress_lines(result))
    return result


@task(name="reconcile-surveys")
def surveys_task(config: Config, as_of: date) -> SurveyRunResult:
    """Idempotent: one invitation per (survey, contact, period); answers matched by dbt are recorded."""
    rep = progress.reporter()
    rep.stage("reconcile surveys")
    with session(config.path("warehouse")) as con:
        result = reconcile_surveys(con, config, as_of)
    rep.done(survey_progress_line(result))
    return result


@task(name="reconcile-campaigns")
def campaigns_task(config: Config, as_of: date) -> CampaignRunResult:
    """Idempotent: each (campaign, step, contact) is scheduled once; queuing follows the send
    window and the per-run rate, so what waits goes out with a later run."""
    rep = progress.reporter()
    rep.stage("reconcile campaigns")
    with session(config.path("warehouse")) as con:
        result = reconcile_campaigns(con, config, as_of)
    rep.done(campaign_progress_line(result))
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


def run_pipeline(config: Config, as_of: date) -> RunSummary:
    """The pipeline body, shared by the daily flow and the demo."""
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
        built = dbt_build(config, as_of)
        summary.models_built, summary.tests_passed = built.models, built.tests + built.unit_tests
        summary.phases = asdict(phases_task(warehouse, as_of))
        summary.assignments = asdict(assignments_task(config, as_of))
        summary.alerts = asdict(reconcile_task(warehouse, as_of))
        summary.playbooks = asdict(playbooks_task(config, as_of))
        summary.surveys = asdict(surveys_task(config, as_of))
        summary.campaigns = asdict(campaigns_task(config, as_of))
        summary.emails = asdict(deliver_task(config))
        summary.emails.pop("errors", None)
        status = "succeeded"
    finally:
        with session(warehouse) as con:
            con.execute("update ops.runs set finished_at = now(), status = ?, summary = ? where run_id = ?",
                        [status, json.dumps(asdict(summary)), run_id])
    return summary


@flow(name="steward-daily-run")
def daily_run_for(config: Config, as_of: date) -> dict:
    """The daily flow for an already-built config (what the CLI calls)."""
    return asdict(run_pipeline(config, as_of))


@flow(name="steward-daily-run")
def daily_run(as_of: date | None = None, config_path: str | None = None, workspace: str | None = None) -> dict:
    """Ingest landing files, build the dbt project for as_of, reconcile alerts, deliver email.

    as_of defaults to the flow run's date (what a scheduled deployment wants).
    """
    overrides = {"paths": {"workspace": workspace}} if workspace else None
    config = load_config(config_path, overrides=overrides)
    return asdict(run_pipeline(config, as_of or date.today()))
