"""What a run tells its operators: a Prefect markdown artifact, and an email when it fails."""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

from flows.config import Config
from flows.delivery.message import Message


def one_line(exc: BaseException) -> str:
    """An exception as the one line an operator needs (its first line, with its type if bare)."""
    text = (str(exc).strip().splitlines() or [""])[0]
    return text if text else type(exc).__name__


def summary_markdown(summary: dict) -> str:
    """The run summary as markdown: loaded and quarantined rows, dbt, alerts, emails, timings."""
    status = summary.get("status", "?")
    lines = [f"# Steward run for {summary['as_of']}: {status}", ""]
    if summary.get("failed_stage"):
        lines += [f"**Failed in `{summary['failed_stage']}`:** {summary.get('error', '')}", ""]
    loaded = summary.get("rows_loaded") or {}
    q = summary.get("quality") or {}
    quarantined = q.get("quarantined") or {}
    lines += ["| table | rows loaded | quarantined |", "|---|---:|---:|"]
    for t in sorted(set(loaded) | set(quarantined)):
        lines.append(f"| {t} | {loaded.get(t, 0):,} | {quarantined.get(t, 0):,} |")
    lines += ["", f"- dbt: {summary.get('models_built', 0)} models built, "
                  f"{summary.get('tests_passed', 0)} tests passed"]
    a = summary.get("alerts") or {}
    if a:
        lines.append(f"- alerts: {a.get('opened', 0)} opened, {a.get('reopened', 0)} reopened, "
                     f"{a.get('resolved', 0)} resolved, {a.get('persisting', 0)} still active")
    e = summary.get("emails") or {}
    if e:
        lines.append(f"- emails: {e.get('sent', 0)} sent, {e.get('deferred', 0)} deferred, {e.get('failed', 0)} failed")
    p = summary.get("published") or {}
    if p:
        lines.append(f"- analyst copy: {p.get('tables', 0)} tables, {p.get('rows', 0):,} rows -> `{p.get('path')}`")
    timings = summary.get("timings") or {}
    if timings:
        lines += ["", "| stage | seconds |", "|---|---:|"]
        lines += [f"| {k} | {v:.1f} |" for k, v in timings.items()]
    return "\n".join(lines) + "\n"


def publish_artifact(summary: dict) -> None:
    """Attach the summary to the current Prefect flow run (a no-op outside one, e.g. the bench)."""
    from prefect.artifacts import create_markdown_artifact
    from prefect.context import FlowRunContext

    if FlowRunContext.get() is None:
        return
    create_markdown_artifact(markdown=summary_markdown(summary), key="steward-run-summary",
                             description=f"Steward run for {summary['as_of']}: {summary.get('status')}")


def failure_message(config: Config, run_id: str, as_of: date, stage: str, cause: str, log: Path) -> Message:
    """The data team's email about one failed run; its key names the run, so one email per failure."""
    subject = f"Steward run for {as_of} failed in {stage}"
    text = (f"The Steward run {run_id} for as_of {as_of} failed in stage \"{stage}\":\n\n  {cause}\n\n"
            f"Workspace: {config.path('workspace')}\nRun summary: ops.runs where run_id = '{run_id}'"
            f"{f' (log: {log})' if log else ''}\n")
    body = (f"<p>The Steward run <code>{run_id}</code> for as_of {as_of} failed in stage "
            f"<b>{html.escape(stage)}</b>:</p><pre>{html.escape(cause)}</pre>"
            f"<p>Workspace: <code>{html.escape(str(config.path('workspace')))}</code></p>")
    return Message(f"run-failed:{run_id}", "run_failure", config.recipients.data_team, subject, text, body,
                   "Data team", as_of=as_of)


def alert_failure(config: Config, run_id: str, as_of: date, stage: str, cause: str) -> str | None:
    """Queue and send the failure email; returns why it could not be sent, if it could not.

    Best effort by design: the run has already failed, and its own error is what the caller
    reports; a warehouse that cannot even be opened (held by another process) cannot hold the
    outbox row either.
    """
    from flows.delivery.outbox import drain, enqueue
    from flows.delivery.transport import transport_for
    from flows.warehouse import session

    try:
        with session(config.path("warehouse")) as con:
            enqueue(con, failure_message(config, run_id, as_of, stage, cause, None))
            drain(con, transport_for(config), config.delivery.send_budget)
    except Exception as exc:  # noqa: BLE001 - reported, never raised over the run's own error
        return one_line(exc)
    return None
