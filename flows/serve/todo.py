"""`steward serve` buttons for the CSM to-do email: mark Steward's tasks done, open my page.

Kept apart from the report builder (flows/reports/team.py): it only adds ReportContent.actions,
which the report template shows as one block of buttons after the tables.
"""

from __future__ import annotations

from datetime import date

import duckdb

from flows.config import Config
from flows.serve import links



def add_buttons(con: duckdb.DuckDBPyConnection, config: Config, as_of: date, pairs: list) -> list:
    """The (recipient, ReportContent) pairs of the to-do digests, each with its buttons added."""
    if not links.enabled(config):
        return pairs
    for recipient, content in pairs:
        who = con.execute("select user_id from marts.dim_team where lower(email) = lower(?)",
                          [recipient]).fetchone()
        if who is None:
            continue
        # the tasks the email lists (marts.rpt_csm_todo: due within 7 days, created before as_of)
        # that are Steward's own and still open, so a button can mark them done
        tasks = con.execute(
            "select r.item_id, r.title, r.due_date from marts.rpt_csm_todo r "
            "inner join ops.tasks t on t.task_id = r.item_id and t.status = 'open' "
            "where r.item_kind = 'task' and r.owner_id = ? order by r.due_date, r.item_id",
            [who[0]]).fetchall()
        content.actions = [(f"{title} (due {due:%-d %b})", [("Mark done", links.task_done_url(config, task_id))])
                           for task_id, title, due in tasks]
        content.actions.append(("All my alerts, tasks and accounts",
                                [("Open my page", links.csm_page_url(config, who[0]))]))
    return pairs
