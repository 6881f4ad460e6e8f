"""Shadow mode: run every reconciler as usual, then flag what this run decided and hold its email.

The reconcilers do not know about shadow mode. Before they run, the keys of every ops table
they add to are taken; afterwards each new row is flagged `shadow` and each new outbox message
gets status `shadow` (drain never sends it). The decisions stay as ops state, so a live run the
next day sees them as already made: it does not replay the shadow backlog, it only acts on what
is new that day. One summary email ("what Steward would have done") goes to recipients.data_team.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from html import escape

import duckdb
import pandas as pd

from flows.config import Config
from flows.delivery.message import Message
from flows.delivery.outbox import enqueue

# ops table -> (key column, the column that says what kind of decision it was)
TRACKED = {
    "alerts": ("alert_id", "rule"),
    "playbook_runs": ("run_id", "playbook"),
    "tasks": ("task_id", "source"),
    "campaign_sends": ("idempotency_key", "campaign"),
    "survey_invitations": ("invitation_id", "survey"),
    "outbox": ("message_id", "category"),
}
SUMMARY_CATEGORY = "shadow_summary"


@dataclass
class ShadowResult:
    """What the shadow run decided, per ops table and kind, and the emails it held back."""

    decisions: dict[str, dict[str, int]] = field(default_factory=dict)
    emails_held: int = 0
    summary_queued: bool = False


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """The keys present before the reconcilers run (each reconciler has its own session)."""
    return {table: con.execute(f"select {key} as k from ops.{table}").df() for table, (key, _) in TRACKED.items()}


def mark(con: duckdb.DuckDBPyConnection, config: Config, as_of: date,
         before: dict[str, pd.DataFrame]) -> ShadowResult:
    """Flag this run's new rows shadow, hold their email, queue the data-team summary."""
    out = ShadowResult()
    for table, (key, kind) in TRACKED.items():
        con.register(f"_shadow_before_{table}", before[table])
        new = f"{key} not in (select k from _shadow_before_{table})"
        counts = dict(con.execute(f"select {kind}, count(*) from ops.{table} where {new} group by 1 order by 1")
                      .fetchall())
        if table == "outbox":
            con.execute(f"update ops.outbox set status = 'shadow' where {new} and status = 'queued'")
            out.emails_held = sum(counts.values())
        else:
            con.execute(f"update ops.{table} set shadow = true where {new}")
        if counts:
            out.decisions[table] = counts
    out.summary_queued = enqueue(con, summary_message(config, as_of, out))
    return out


LABELS = {"alerts": "alerts opened", "playbook_runs": "playbook runs started", "tasks": "tasks created",
          "campaign_sends": "campaign emails", "survey_invitations": "survey invitations",
          "outbox": "emails held back (not sent)"}


def summary_message(config: Config, as_of: date, result: ShadowResult) -> Message:
    lines = [f"Steward ran in shadow mode for {as_of}: nothing was sent to customers or CSMs.", "",
             "What Steward would have done:"]
    html = [f"<p>Steward ran in <b>shadow mode</b> for {as_of}: nothing was sent to customers or CSMs.</p>",
            "<p>What Steward would have done:</p><ul>"]
    if not result.decisions:
        lines.append("  nothing: no alert, playbook, task, campaign or survey was due")
        html.append("<li>nothing: no alert, playbook, task, campaign or survey was due</li>")
    for table, counts in result.decisions.items():
        detail = ", ".join(f"{k} {v:,}" for k, v in counts.items())
        lines.append(f"  {LABELS[table]}: {sum(counts.values()):,} ({detail})")
        html.append(f"<li><b>{escape(LABELS[table])}</b>: {sum(counts.values()):,} ({escape(detail)})</li>")
    html.append("</ul>")
    tail = ("Every decision is in the ops tables with shadow = true (outbox status 'shadow'). Set "
            "actions.mode: live to act; decisions made in shadow are not replayed.")
    lines += ["", tail]
    html.append(f"<p>{escape(tail)}</p>")
    return Message(
        idempotency_key=f"{SUMMARY_CATEGORY}:{as_of.isoformat()}", category=SUMMARY_CATEGORY,
        to_email=config.recipients.data_team, subject=f"Steward shadow run {as_of}: what it would have done",
        text_body="\n".join(lines), html_body="".join(html), as_of=as_of)
