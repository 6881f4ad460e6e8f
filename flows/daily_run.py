"""The daily flow: ingest -> quality gate -> dbt build -> reconcile -> deliver, for one as_of date."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows import environment, progress
from flows.actions import shadow as shadow_mode
from flows.actions.alerts import AlertRunResult, reconcile_alerts
from flows.actions.assignments import AssignmentRunResult, reconcile_assignments
from flows.actions.campaigns import progress_line as campaign_progress_line
from flows.actions.campaigns import reconcile_campaigns
from flows.actions.journey import PhaseRunResult, reconcile_phases
from flows.actions.playbooks import progress_lines, reconcile_playbooks
from flows.actions.surveys import progress_line as survey_progress_line
from flows.actions.surveys import reconcile_surveys
from flows.config import Config, load_config
from flows.delivery.held import describe_pending
from flows.delivery.outbox import DrainResult, Policy, drain
from flows.delivery.transport import transport_for
from flows.ingest.contract import IDENTITY_TABLES
from flows.ingest.flow import ingest
from flows.model.hook import score_models
from flows.quality.flow import gate_task
from flows.publish import publish_analyst_copy
from flows.quality.report import summary as gate_summary
from flows.identity import summary as identity_summary
from flows.run_ops import alert_failure, one_line, publish_artifact
from flows.runlock import run_lock
from flows.serve.apply import ActionsResult, apply_actions
from flows.serve.apply import progress_line as actions_line
from flows.serve.links import check as check_links
from flows.serve.links import issue_at as issue_links_at
from flows.build_plan import ALL_ROWS, BuildPlan, plan_build, record_build, record_run_end
from flows.transform import dbt_build, parse_ahead
from flows.warehouse import session, set_lock_wait


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
    published: dict = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    scheduled_at: str | None = None
    status: str = "running"
    failed_stage: str | None = None
    error: str | None = None
    shadow: dict = field(default_factory=dict)  # actions.mode shadow: what it would have done
    actions: dict = field(default_factory=dict)
    churn_risk: dict = field(default_factory=dict)
    identity: dict = field(default_factory=dict)  # crosswalk: matched / ambiguous / unmatched per system
    dbt: dict = field(default_factory=dict)  # what the build covered and what it skipped, and why


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
    takes_now: bool = False  # also given the run's scheduled time (a send window), never the wall clock


# In order: owners and phases first (alerts route to owners), then alerts, playbooks (which read
# alert candidates), surveys and campaigns. Each is idempotent: a rerun of the day adds nothing.
RECONCILE_STEPS = (
    ReconcileStep("phases", "reconcile-phases", "reconcile journey phases",
                  lambda con, cfg, d: reconcile_phases(con, d), _phase_line),
    ReconcileStep("assignments", "reconcile-assignments", "reconcile assignments", reconcile_assignments,
                  _assignment_line),
    ReconcileStep("alerts", "reconcile-alerts", "reconcile alerts",
                  lambda con, cfg, d: reconcile_alerts(con, d, cfg.recipients.cs_leader, cfg.reporting_currency, cfg),
                  _alert_line),
    ReconcileStep("playbooks", "reconcile-playbooks", "reconcile playbooks", reconcile_playbooks,
                  lambda r, d: progress_lines(r)),
    ReconcileStep("surveys", "reconcile-surveys", "reconcile surveys", reconcile_surveys,
                  lambda r, d: survey_progress_line(r)),
    ReconcileStep("campaigns", "reconcile-campaigns", "reconcile campaigns", reconcile_campaigns,
                  lambda r, d: campaign_progress_line(r), takes_now=True),
)


@task(cache_policy=NO_CACHE)
def reconcile_step(step: ReconcileStep, config: Config, as_of: date, now: datetime | None = None) -> Any:
    """Run one reconciler in its own warehouse session and report what it changed."""
    rep = progress.reporter()
    rep.stage(step.stage)
    with session(config.path("warehouse")) as con:
        result = step.reconcile(con, config, as_of, now=now) if step.takes_now else step.reconcile(con, config, as_of)
    rep.done(step.describe(result, as_of))
    for line in (getattr(result, "notes", None) or [])[:10]:
        rep.note(line)
    return result


@task(name="apply-actions", cache_policy=NO_CACHE)
def apply_actions_task(config: Config, as_of: date) -> ActionsResult:
    """Apply what people did through `steward serve` (the action log in landing), each line once."""
    rep = progress.reporter()
    rep.stage("apply actions from steward serve")
    check_links(config)
    with session(config.path("warehouse")) as con:
        result = apply_actions(con, config, as_of)
    rep.done(actions_line(result))
    for line in result.notes[:10]:
        rep.note(line)
    return result


@task(name="deliver-outbox", retries=2, retry_delay_seconds=[2, 10])
def deliver_task(config: Config) -> DrainResult:
    """Drain ops.outbox; retrying is safe because the outbox makes sends exactly-once."""
    rep = progress.reporter()
    rep.stage("deliver")
    with session(config.path("warehouse")) as con:
        result = drain(con, transport_for(config), config.delivery.send_budget, Policy.from_config(config))
    rep.done(f"{result.sent} sent via {config.delivery.transport}, {result.deferred} deferred, "
             f"{result.failed} failed, {result.suppressed} suppressed, {result.unconfirmed} unconfirmed, "
             f"{result.held} held")
    for line in result.errors[:10] + describe_pending(result.pending)[:6]:
        rep.note(line)
    return result


class _Stages:
    """Times each stage of a run and remembers the one running (the failing stage, if it fails)."""

    def __init__(self, summary: RunSummary):
        self.summary, self.current, self._t = summary, "start", time.perf_counter()

    def __call__(self, name: str) -> None:
        self._close()
        self.current = name

    def _close(self) -> None:
        now = time.perf_counter()
        if self.current not in ("start", "done"):
            self.summary.timings[self.current] = round(self.summary.timings.get(self.current, 0) + now - self._t, 2)
        self._t = now


def run_pipeline(config: Config, as_of: date, full_refresh: bool = False,
                 scheduled_at: datetime | None = None, full_build: bool = False) -> RunSummary:
    """The pipeline body, shared by the daily flow and the demo.

    full_refresh rebuilds the incremental models from all history (after an upgrade changed their
    columns, or to repair them); ops state is untouched either way. Otherwise dbt builds only what
    changed since the last run's build (flows/build_plan.py); full_build builds and tests everything. scheduled_at is the time the
    run stands for (a deployment's scheduled start; the CLI's own start): send windows use it, so
    replaying a day queues the same mail. The run holds the workspace's run lock throughout.
    """
    set_lock_wait(config.run.lock_wait_seconds)
    with run_lock(config.path("workspace"), as_of) as lock:
        if lock.stale_from:
            progress.reporter().note(f"took over the run lock of pid {lock.stale_from}, which is gone")
        return _run_locked(config, as_of, full_refresh, scheduled_at or datetime.now(timezone.utc), full_build)


def _manifest(config: Config) -> Path:
    return Path(config.paths.dbt_target) / "manifest.json"


@task(name="plan-dbt-build", cache_policy=NO_CACHE)
def plan_task(config: Config, as_of: date, full_refresh: bool, full_build: bool) -> BuildPlan:
    """What the build must cover: the models downstream of what changed since the last run's build."""
    rep = progress.reporter()
    rep.stage("plan dbt build")
    parse_ahead(config, as_of)  # the manifest for this as_of (quick when the CLI parsed ahead)
    with session(config.path("warehouse")) as con:
        plan = plan_build(con, config, _manifest(config), as_of, full_refresh, full_build)
    rep.done(("everything: " if plan.full else "changed: " if plan.select else "nothing to build")
             + "; ".join(plan.rebuilt_because))
    for line in plan.skipped:
        rep.note(f"skipped {line}")
    return plan


def _run_locked(config: Config, as_of: date, full_refresh: bool, scheduled_at: datetime,
                full_build: bool = False) -> RunSummary:
    run_id = uuid.uuid4().hex[:12]
    warehouse = config.path("warehouse")
    issue_links_at(scheduled_at)  # links expire counted from the run's scheduled time: a replay writes the same mail
    summary = RunSummary(as_of=as_of.isoformat(), warehouse=str(warehouse), outbox=str(config.path("outbox")),
                         scheduled_at=scheduled_at.isoformat())
    stage, opened = _Stages(summary), False
    try:
        stage("open warehouse")
        with session(warehouse) as con:
            con.execute("insert into ops.runs values (?, ?, now(), null, 'running', null)", [run_id, as_of])
        opened = True
        stage("apply actions")
        summary.actions = asdict(apply_actions_task(config, as_of))
        stage("ingest")
        loaded = ingest(config)
        summary.rows_loaded = {t: r.rows_loaded for t, r in loaded.tables.items()}
        summary.files_skipped = sum(r.files_unchanged for r in loaded.tables.values())
        # identity tables exist only where several id spaces meet: their absence is the usual case
        summary.missing_tables = [t for t in loaded.missing_optional if t not in IDENTITY_TABLES]
        stage("quality gate")
        summary.quality = gate_summary(gate_task(config, loaded.batch_id, as_of))
        for t, n in summary.quality["quarantined"].items():  # loaded means kept: quarantined rows are not
            summary.rows_loaded[t] = summary.rows_loaded.get(t, 0) - n
        stage("dbt build")
        plan = plan_task(config, as_of, full_refresh, full_build)
        summary.dbt = plan.summary()
        if plan.nothing:
            with session(warehouse) as con:  # the marts already stand for this as_of
                con.execute("insert into ops.dbt_builds values (?, now(), 0, 0)", [as_of])
        else:
            built = dbt_build(config, as_of, select=None if plan.full else " ".join(plan.select),
                              full_refresh=full_refresh, for_run=True,
                              usage_tests_from=ALL_ROWS if plan.full else plan.usage_tests_from)
            summary.models_built, summary.tests_passed = built.models, built.tests + built.unit_tests
        summary.dbt["models_skipped"] = max(0, plan.models_total - summary.models_built)
        with session(warehouse) as con:
            record_build(con, plan)
        summary.churn_risk = score_models(config, as_of)  # marts.fct_churn_risk, when a model exists
        with session(warehouse) as con:
            summary.identity = identity_summary(con)
        shadow = config.actions.mode == "shadow"
        if shadow:
            with session(warehouse) as con:
                before = shadow_mode.snapshot(con)
        for step in RECONCILE_STEPS:
            stage(step.stage)
            result = reconcile_step.with_options(name=step.task_name)(step, config, as_of, scheduled_at)
            setattr(summary, step.summary_key, asdict(result))
        if shadow:  # nothing this run decided reaches a customer or a CSM; the data team gets a summary
            with session(warehouse) as con:
                summary.shadow = asdict(shadow_mode.mark(con, config, as_of, before))
        stage("deliver")
        summary.emails = asdict(deliver_task(config))
        summary.emails.pop("errors", None)
        with session(warehouse) as con:  # the ops state the next run's build plan starts from
            record_run_end(con, _manifest(config))
        stage("publish analyst copy")
        summary.status = "succeeded"  # recorded before publishing, so the copy shows this run finished
        _record(warehouse, run_id, summary)
        summary.published = asdict(publish_analyst_copy(warehouse, config.publish.schemas,
                                                        config.publish.exclude_columns, run_id))
        stage("done")
    except BaseException as exc:
        summary.status, summary.failed_stage, summary.error = "failed", stage.current, one_line(exc)
        if opened and not isinstance(exc, KeyboardInterrupt):  # unopened: the outbox is out of reach too
            unsent = alert_failure(config, run_id, as_of, stage.current, summary.error)
            if unsent:
                progress.reporter().note(f"the failure email to the data team was not sent: {unsent}")
        raise
    finally:
        stage("done")
        if opened:
            _record(warehouse, run_id, summary)
        publish_artifact(asdict(summary))
    return summary


def _record(warehouse: Path, run_id: str, summary: RunSummary) -> None:
    """Finish the run's ops.runs row."""
    try:
        with session(warehouse) as con:
            con.execute("update ops.runs set finished_at = now(), status = ?, summary = ? where run_id = ?",
                        [summary.status, json.dumps(asdict(summary)), run_id])
    except Exception:  # noqa: BLE001 - a failed run's own error is what matters, not this one
        if summary.status == "succeeded":
            raise


@flow(name="steward-daily-run")
def daily_run_for(config: Config, as_of: date, full_refresh: bool = False,
                  scheduled_at: datetime | None = None, full_build: bool = False) -> dict:
    """The daily flow for an already-built config (what the CLI calls, with its own start time)."""
    return asdict(run_pipeline(config, as_of, full_refresh, scheduled_at, full_build))


@flow(name="steward-daily-run")
def daily_run(as_of: date | None = None, config_path: str | None = None, workspace: str | None = None,
              full_refresh: bool = False, full_build: bool = False) -> dict:
    """Ingest landing files, build the dbt project for as_of, reconcile alerts, deliver email.

    full_build builds and tests every model (the weekly deployment), not only what changed.

    as_of defaults to the date of the flow run's scheduled start (what a scheduled deployment
    wants); that scheduled time is also the run's clock for send windows, so a replay (a retry
    hours later, a backfill) decides the same as the original run.
    """
    from prefect.runtime import flow_run

    scheduled_at = flow_run.scheduled_start_time or datetime.now(timezone.utc)
    overrides = {"paths": {"workspace": workspace}} if workspace else None
    config = load_config(config_path, overrides=overrides)
    environment.prepare(config, deployed=True)  # a worker's flow run: this is its entry point
    return asdict(run_pipeline(config, as_of or scheduled_at.date(), full_refresh, scheduled_at, full_build))
