"""`steward serve` buttons for the CSM to-do email: mark Steward's tasks done, open my page.

Kept apart from the report builder (flows/reports/team.py): it only adds ReportContent.actions,
which the report template shows as one block of buttons after the tables.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from flows.config import Config
from flows.serve import links

DUE_WITHIN_DAYS = 7  # the to-do email lists tasks due in the next 7 days or overdue


def add_buttons(con: duckdb.DuckDBPyConnection, config: Config, as_of: date, pairs: list) -> list:
    """The (recipient, ReportContent) pairs of the to-do digests, each with its buttons added."""
    if not links.enabled(config):
        return pairs
    for recipient, content in pairs:
        who = con.execute("select user_id from marts.dim_team where lower(email) = lower(?)",
                          [recipient]).fetchone()
        if who is None:
            continue
        tasks = con.execute(
            "select t.task_id, t.title, t.due_date from ops.tasks t where t.owner_id = ? and t.status = 'open' and not coalesce(t.shadow, false) "
            "and t.created_as_of <= ? and t.due_date <= ? order by t.due_date, t.task_id",
            [who[0], as_of, as_of + timedelta(days=DUE_WITHIN_DAYS)]).fetchall()
        content.actions = [(f"{title} (due {due:%-d %b})", [("Mark done", links.task_done_url(config, task_id))])
                           for task_id, title, due in tasks]
        content.actions.append(("All my alerts, tasks and accounts",
                                [("Open my page", links.csm_page_url(config, who[0]))]))
    return pairs
