"""Apply the action log in a run: each line once, checked first, recorded in ops.serve_actions.

Runs before ingest, so survey answers become survey_responses landing files (through
`import_responses`, the same path as `steward survey import`) that this run's ingest and
quality gate load, and acknowledgements, snoozes, done tasks and suppressions are in ops
before the reconcilers read it. A line that cannot be applied is recorded as rejected with a
one-line reason naming file, line and field; it is never retried and never lost.
"""

from __future__ import annotations

import csv
import json
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from flows.actions import alerts as alert_actions
from flows.actions.surveys import SurveyError, import_responses
from flows.actions.tasks import TaskError, complete_task
from flows.config import Config
from flows.delivery.outbox import suppress
from flows.serve.actionlog import KINDS, read

SNOOZE_DAYS = 7


class Rejected(Exception):
    """The line is not applied; the message says why."""


class Unchanged(Exception):
    """The line asks for what is already true (e.g. acknowledged twice)."""


@dataclass
class ActionsResult:
    applied: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0
    rejected: int = 0
    notes: list[str] = field(default_factory=list)


def _when(record: dict) -> datetime:
    try:
        return datetime.fromisoformat(str(record["at"]).replace("Z", "+00:00")).replace(tzinfo=None)
    except (KeyError, ValueError):
        raise Rejected("field at: not an ISO date-time") from None


def _alert(con, kind: str, record: dict, as_of: date) -> None:
    target, by = record["target"], record.get("by") or "steward serve"
    try:
        if kind == "alert.acknowledge":
            alert_actions.acknowledge(con, target, by)
        elif kind == "alert.snooze":
            until = max(_when(record).date(), as_of) + timedelta(days=SNOOZE_DAYS)
            alert_actions.snooze(con, target, until, by, today=as_of)
        else:
            alert_actions.resolve(con, target, by, as_of)
    except alert_actions.AlertError as exc:
        status = con.execute("select status from ops.alerts where alert_id = ?", [target]).fetchone()
        done = {"alert.acknowledge": "acknowledged", "alert.snooze": "snoozed", "alert.resolve": "resolved"}[kind]
        if status and status[0] == done:
            raise Unchanged(f"alert {target} is already {done}") from None
        raise Rejected(str(exc)) from None


def _task(con, record: dict, as_of: date) -> None:
    try:
        complete_task(con, record["target"], on=as_of)
    except TaskError as exc:
        status = con.execute("select status from ops.tasks where task_id = ?", [record["target"]]).fetchone()
        if status and status[0] == "done":
            raise Unchanged(f"task {record['target']} is already done") from None
        raise Rejected(str(exc)) from None


def _survey(con, config: Config, record: dict) -> None:
    """One answer through import_responses: a token file in, a survey_responses landing file out."""
    with tempfile.TemporaryDirectory() as tmp:
        token_file = Path(tmp) / "answer.csv"
        with token_file.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["token", "score", "comment", "responded_at"])
            w.writerow([record["target"], record.get("score", ""), record.get("comment") or "",
                        _when(record).strftime("%Y-%m-%d %H:%M:%S")])
        try:
            out = import_responses(con, config.path("landing"), token_file)
        except SurveyError as exc:
            # the message names the temporary file; keep only what is wrong
            raise Rejected(str(exc).split("row 1 ", 1)[-1].strip()) from None
    if out.already and not out.written:
        raise Unchanged("this invitation was answered before")


def _apply_one(con, config: Config, record: dict, as_of: date) -> None:
    kind = record.get("kind")
    if kind not in KINDS:
        raise Rejected(f"field kind: {kind!r} is not one of {', '.join(KINDS)}")
    if not isinstance(record.get("target"), str) or not record["target"].strip():
        raise Rejected("field target: is empty")
    _when(record)
    if kind.startswith("alert."):
        _alert(con, kind, record, as_of)
    elif kind == "task.done":
        _task(con, record, as_of)
    elif kind == "survey.answer":
        _survey(con, config, record)
    else:  # unsubscribe and SendGrid events: the suppression list (idempotent by address)
        email = record["target"].strip().lower()
        if "@" not in email:
            raise Rejected(f"field target: {email!r} is not an email address")
        before = con.execute("select count(*) from ops.suppressions where email = ?", [email]).fetchone()[0]
        reason = "unsubscribed" if kind in ("unsubscribe", "webhook.unsubscribe") else kind.split(".", 1)[1]
        suppress(con, email, reason, "steward serve" if kind == "unsubscribe" else "sendgrid webhook")
        if before:
            raise Unchanged(f"{email} was already suppressed")


def apply_actions(con: duckdb.DuckDBPyConnection, config: Config, as_of: date) -> ActionsResult:
    """Apply every action-log line not applied before; returns counts and rejection notes."""
    out = ActionsResult()
    seen = {r[0] for r in con.execute("select action_id from ops.serve_actions").fetchall()}
    landing = config.path("landing")
    for f, n, line in read(landing):
        where = f"{f.relative_to(landing).as_posix()} line {n}"
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError
        except ValueError:
            record = {}
        action_id = str(record.get("action_id") or f"{where}")
        if action_id in seen:
            continue
        seen.add(action_id)
        status, reason = "applied", None
        con.execute("begin transaction")
        try:
            if not record:
                raise Rejected("not a JSON object")
            _apply_one(con, config, record, as_of)
        except Rejected as exc:
            status, reason = "rejected", f"{where}: {exc}"
        except Unchanged as exc:
            status, reason = "unchanged", str(exc)
        except BaseException:
            con.execute("rollback")
            raise
        con.execute("insert into ops.serve_actions values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
                    [action_id, str(record.get("kind") or "?"), record.get("target"), record.get("token_id"),
                     _safe_when(record), f.relative_to(landing).as_posix(), n, status, reason, as_of])
        con.execute("commit")
        if status == "applied":
            out.applied[record["kind"]] = out.applied.get(record["kind"], 0) + 1
        elif status == "unchanged":
            out.unchanged += 1
        else:
            out.rejected += 1
            out.notes.append(reason)
    return out


def _safe_when(record: dict) -> datetime | None:
    try:
        return _when(record)
    except Rejected:
        return None


def progress_line(result: ActionsResult) -> str:
    applied = ", ".join(f"{k} {v}" for k, v in sorted(result.applied.items())) or "none"
    return f"applied: {applied}; {result.unchanged} unchanged, {result.rejected} rejected"
