"""Read-only queries of the analyst copy for `steward serve` (never the writer's warehouse)."""

from __future__ import annotations

import json
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
            "c.contact_name, coalesce(a.account_name, i.account_id) as account_name "
            "from ops.survey_invitations i left join marts.dim_contacts c using (contact_id) "
            "left join marts.dim_accounts a on a.account_id = i.account_id "
            # the copy holds the token's hash, never the token (flows/publish.py)
            "where i.token_sha256 = sha256(?)", [token])

    def alert(self, alert_id: str) -> dict | None:
        return self._one(
            "select a.alert_id, a.title, a.severity, a.status, a.rule, "
            "coalesce(d.account_name, a.account_id) as account_name, a.recipient as owner_email "
            "from ops.alerts a left join marts.dim_accounts d using (account_id) where a.alert_id = ?", [alert_id])

    def task(self, task_id: str) -> dict | None:
        return self._one(
            "select t.task_id, t.title, t.status, t.due_date, coalesce(d.account_name, t.account_id) as account_name, "
            "m.email as owner_email from ops.tasks t left join marts.dim_accounts d using (account_id) "
            "left join marts.dim_team m on m.user_id = t.owner_id where t.task_id = ?", [task_id])

    def csm(self, user_id: str) -> dict | None:
        """A CSM's open alerts, open tasks (Steward's and CRM's) and accounts."""
        with self._con() as con:
            who = self._rows(con, "select user_id, display_name as name, email, role from marts.dim_team where user_id = ?",
                             [user_id])
            if not who:
                return None
            person = who[0]
            alerts = self._rows(con, """
                select a.alert_id, a.severity, a.status, a.title, a.rule, a.details, a.first_as_of, a.snoozed_until,
                       d.account_id, d.account_name
                from ops.alerts a left join marts.dim_accounts d using (account_id)
                where a.status in ('open', 'acknowledged', 'snoozed')
                  and (a.owner_id = ? or lower(a.recipient) = lower(?))
                order by case a.severity when 'critical' then 0 when 'warning' then 1 else 2 end, a.first_as_of desc
                """, [user_id, person["email"]])
            tasks = self._rows(con, """
                select t.title, t.due_date, 'Steward' as source, d.account_id, d.account_name
                from ops.tasks t left join marts.dim_accounts d using (account_id)
                where t.status = 'open' and not coalesce(t.shadow, false) and t.owner_id = ?
                union all
                select t.title, t.due_date, 'CRM', d.account_id, d.account_name
                from marts.fct_crm_tasks t left join marts.dim_accounts d using (account_id)
                where t.is_open_at_as_of and t.owner_id = ?
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
                select severity, status, title, rule, details, first_as_of, resolved_as_of from ops.alerts
                where account_id = ?
                order by status = 'resolved', case severity when 'critical' then 0 when 'warning' then 1 else 2 end,
                         first_as_of desc
                limit 50
                """, [account_id])
            tasks = self._rows(con, """
                select title, due_date, status, 'Steward' as source from ops.tasks
                where account_id = ? and not coalesce(shadow, false)
                union all
                select title, due_date, case when is_open_at_as_of then 'open' else 'done' end, 'CRM'
                from marts.fct_crm_tasks where account_id = ?
                order by 2 desc limit 50
                """, [account_id, account_id])
            touchpoints = self._rows(con, """
                select occurred_at, channel, sentiment, user_name as who from marts.fct_touchpoints
                where account_id = ?
                order by occurred_at desc limit 30
                """, [account_id])
            return {"account": found[0], "health": health, "mrr": mrr, "alerts": alerts, "tasks": tasks,
                    "touchpoints": touchpoints, "risk": self._churn_risk(con, account_id), "as_of": self.as_of(con)}

    def _churn_risk(self, con, account_id: str) -> dict | None:
        """The latest churn and expansion scores with their drivers; None before a model has scored."""
        exists = con.execute("select count(*) from information_schema.tables where table_schema = 'marts' "
                             "and table_name = 'fct_churn_risk'").fetchone()[0]
        if not exists:
            return None
        rows = self._rows(con, """
            select as_of, churn_probability, churn_band, churn_drivers, expansion_probability, expansion_band,
                   model_version
            from marts.fct_churn_risk where account_id = ? order by as_of desc limit 1
            """, [account_id])
        if not rows:
            return None
        risk = rows[0]
        risk["drivers"] = [d["text"] for d in json.loads(risk.pop("churn_drivers") or "[]")]
        return risk
