"""Steward's own tasks (ops.tasks): playbook steps and pooled-account reach-outs.

CRM tasks are done in the CRM and arrive with the next landing; Steward's tasks are marked
done here (`steward tasks done ID`), which is what closes a playbook run once all its tasks
are done and what the on-time figures of rpt_playbook_progress count.
"""

from __future__ import annotations

from datetime import date

import duckdb


class TaskError(Exception):
    """A task request cannot be done; the message says why."""


COLUMNS = ("task_id", "status", "due_date", "account_id", "owner_id", "title", "source")


def list_tasks(con: duckdb.DuckDBPyConnection, status: str = "open", owner: str | None = None,
               account_id: str | None = None) -> list[dict]:
    if status not in ("open", "done", "cancelled", "all"):
        raise TaskError(f"unknown status {status!r}; use open, done, cancelled or all")
    rows = con.execute(
        "select t.task_id, t.status, t.due_date, t.account_id, t.owner_id, t.title, t.source from ops.tasks t "
        "left join marts.dim_team m on m.user_id = t.owner_id "
        "where (? = 'all' or t.status = ?) and (? is null or t.owner_id = ? or lower(m.email) = lower(?)) "
        "and (? is null or t.account_id = ?) order by t.due_date, t.task_id",
        [status, status, owner, owner, owner, account_id, account_id]).fetchall()
    return [dict(zip(COLUMNS, r)) for r in rows]


def complete_task(con: duckdb.DuckDBPyConnection, task_id: str, on: date | None = None) -> str:
    """Mark an open task done (on a given day, default today)."""
    row = con.execute("select status from ops.tasks where task_id = ?", [task_id.strip()]).fetchone()
    if row is None:
        raise TaskError(f"no Steward task {task_id!r} (CRM tasks are completed in the CRM); "
                        "`steward tasks list` shows the ids")
    if row[0] != "open":
        raise TaskError(f"task {task_id} is {row[0]}, not open")
    con.execute("update ops.tasks set status = 'done', completed_as_of = ? where task_id = ?",
                [on or date.today(), task_id.strip()])
    return task_id.strip()
