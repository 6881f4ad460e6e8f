"""Read-only queries of the analyst copy for `steward serve` (never the writer's warehouse)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from flows.warehouse import analyst_copy_path, open_reader


class Reader:
    """Opens the published analyst copy read-only for each request (a run may swap it meanwhile)."""

    def __init__(self, warehouse: Path):
        self.path = analyst_copy_path(warehouse)

    def available(self) -> bool:
        return self.path.is_file()

    @contextmanager
    def _con(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = open_reader(self.path)
        try:
            yield con
        finally:
            con.close()

    @staticmethod
    def _rows(con, sql: str, params: list) -> list[dict]:
        cur = con.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def _one(self, sql: str, params: list) -> dict | None:
        with self._con() as con:
            rows = self._rows(con, sql, params)
        return rows[0] if rows else None

    def as_of(self, con) -> object:
        row = con.execute("select max(as_of) from ops.dbt_builds").fetchone()
        return row[0] if row else None

    def invitation(self, token: str) -> dict | None:
        return self._one(
            "select i.invitation_id, i.survey, i.kind, i.scale_min, i.scale_max, i.sent_as_of, i.created_at, i.response_id, "
            "c.name as contact_name, coalesce(a.account_name, i.account_id) as account_name "
            "from ops.survey_invitations i left join staging.stg_crm__contacts c using (contact_id) "
            "left join marts.dim_accounts a on a.account_id = i.account_id where i.token = ?", [token])

    def alert(self, alert_id: str) -> dict | None:
        return self._one(
            "select a.alert_id, a.title, a.severity, a.status, a.rule, "
            "coalesce(d.account_name, a.account_id) as account_name, a.recipient as owner_email "
            "from ops.alerts a left join marts.dim_accounts d using (account_id) where a.alert_id = ?", [alert_id])

    def task(self, task_id: str) -> dict | None:
        return self._one(
            "select t.task_id, t.title, t.status, t.due_date, coalesce(d.account_name, t.account_id) as account_name, "
            "m.email as owner_email from ops.tasks t left join marts.dim_accounts d using (account_id) "
            "left join staging.stg_crm__team m on m.user_id = t.owner_id where t.task_id = ?", [task_id])

    def csm(self, user_id: str) -> dict | None:
        """A CSM's open alerts, open tasks (Steward's and CRM's) and accounts."""
        with self._con() as con:
            who = self._rows(con, "select user_id, name, email, role from staging.stg_crm__team where user_id = ?",
                             [user_id])
            if not who:
                return None
            person = who[0]
            alerts = self._rows(con, """
                select a.alert_id, a.severity, a.status, a.title, a.first_as_of, a.snoozed_until,
                       d.account_id, d.account_name
                from ops.alerts a left join marts.dim_accounts d using (account_id)
                where a.status in ('open', 'acknowledged', 'snoozed')
                  and (a.owner_id = ? or lower(a.recipient) = lower(?))
                order by case a.severity when 'critical' then 0 when 'warning' then 1 else 2 end, a.first_as_of desc
                """, [user_id, person["email"]])
            tasks = self._rows(con, """
                select t.title, t.due_date, 'Steward' as source, d.account_id, d.account_name
                from ops.tasks t left join marts.dim_accounts d using (account_id)
                where t.status = 'open' and t.owner_id = ?
                union all
                select t.title, cast(t.due_at as date), 'CRM', d.account_id, d.account_name
                from staging.stg_crm__tasks t left join marts.dim_accounts d using (account_id)
                where t.completed_at is null and t.owner_id = ?
                order by 2, 1 limit 200
                """, [user_id, user_id])
            accounts = self._rows(con, """
                select d.account_id, d.account_name, d.segment, d.health_score, d.health_band, d.current_mrr,
                       d.journey_phase, r.next_renewal_date
                from marts.dim_accounts d
                left join (select account_id, min(renewal_date) as next_renewal_date from marts.fct_renewals
                           where days_to_renewal > 0 group by 1) r using (account_id)
                where d.owner_csm_id = ?
                order by d.health_score nulls last, d.account_name
                """, [user_id])
            return {"person": person, "alerts": alerts, "tasks": tasks, "accounts": accounts,
                    "as_of": self.as_of(con)}

    def account(self, account_id: str) -> dict | None:
        """An account's health and MRR history, alerts, tasks and touchpoints."""
        with self._con() as con:
            found = self._rows(con, """
                select d.*, r.next_renewal_date from marts.dim_accounts d
                left join (select account_id, min(renewal_date) as next_renewal_date from marts.fct_renewals
                           where days_to_renewal > 0 group by 1) r using (account_id)
                where d.account_id = ?
                """, [account_id])
            if not found:
                return None
            health = self._rows(con, """
                select health_date, health_score, health_band from marts.fct_account_health_daily
                where account_id = ? order by health_date desc limit 90
                """, [account_id])
            mrr = self._rows(con, """
                select month, mrr, movement from marts.fct_mrr where account_id = ?
                order by month desc limit 24
                """, [account_id])
            alerts = self._rows(con, """
                select severity, status, title, first_as_of, resolved_as_of from ops.alerts
                where account_id = ? order by first_as_of desc limit 50
                """, [account_id])
            tasks = self._rows(con, """
                select title, due_date, status, 'Steward' as source from ops.tasks where account_id = ?
                union all
                select title, cast(due_at as date), case when completed_at is null then 'open' else 'done' end, 'CRM'
                from staging.stg_crm__tasks where account_id = ?
                order by 2 desc limit 50
                """, [account_id, account_id])
            touchpoints = self._rows(con, """
                select t.occurred_at, t.channel, t.sentiment, m.name as who from staging.stg_crm__touchpoints t
                left join staging.stg_crm__team m using (user_id) where t.account_id = ?
                order by t.occurred_at desc limit 30
                """, [account_id])
            return {"account": found[0], "health": health, "mrr": mrr, "alerts": alerts, "tasks": tasks,
                    "touchpoints": touchpoints, "as_of": self.as_of(con)}
