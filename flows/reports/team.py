"""Team reports: weekly performance / leaderboard for the CS leader, daily to-do per CSM."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from flows.reports.model import ReportContent, Table, fmt, has_column, rows


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return bool(con.execute("select count(*) from information_schema.tables where table_schema = ? "
                            "and table_name = ?", [schema, name]).fetchone()[0])


def team_performance(con: duckdb.DuckDBPyConnection, as_of: date) -> ReportContent:
    """Per CSM: book of business, health mix, tasks on time, alerts resolved, retention."""
    r = ReportContent("team", "Team performance", as_of)
    week = as_of - timedelta(days=7)
    health = ("count(case when d.health_band = 'red' then 1 end)"
              if has_column(con, "marts.dim_accounts", "health_band") else "null")
    data = rows(con, f"""
        with book as (
            select owner_csm_id as user_id, count(*) as accounts, sum(current_arr) as arr, {health} as red
            from marts.dim_accounts d where is_paying group by 1),
        task_stats as (
            select owner_id as user_id,
                count(case when completed_at::date between ? and ? and completed_at <= due_at then 1 end) as on_time,
                count(case when completed_at::date between ? and ? then 1 end) as completed,
                count(case when due_at::date < ? and (completed_at is null or completed_at::date > ?) then 1 end)
                    as overdue
            from staging.stg_crm__tasks group by 1),
        alert_stats as (
            select owner_id as user_id, count(*) as resolved from ops.alerts
            where resolved_as_of between ? and ? group by 1),
        retention as (
            select slice_value as user_id, t12_nrr from marts.rpt_revenue_retention
            where slice = 'owner_csm' and month = (select max(month) from marts.rpt_revenue_retention))
        select t.name, coalesce(b.accounts, 0) as accounts, b.arr, b.red, ts.on_time, ts.completed, ts.overdue,
               coalesce(a.resolved, 0) as resolved, rt.t12_nrr
        from staging.stg_crm__team t
        left join book b using (user_id) left join task_stats ts using (user_id)
        left join alert_stats a using (user_id) left join retention rt using (user_id)
        where t.role = 'csm' and t.active
        order by rt.t12_nrr desc nulls last, b.arr desc nulls last""",
                [week, as_of, week, as_of, as_of, as_of, week, as_of])
    r.kpis += [("CSMs", str(len(data))), ("Accounts owned", fmt(sum(d["accounts"] for d in data))),
               ("Tasks overdue", fmt(sum(d["overdue"] or 0 for d in data)))]
    r.tables.append(Table("Leaderboard (by 12-month NRR)", ["CSM", "Accounts", "ARR", "Red health",
                                                            "Tasks on time (7 d)", "Overdue tasks",
                                                            "Alerts resolved (7 d)", "12-month NRR"],
                          [[d["name"], d["accounts"], fmt(d["arr"], "money"), fmt(d["red"]),
                            f"{d['on_time'] or 0}/{d['completed'] or 0}", fmt(d["overdue"] or 0), d["resolved"],
                            fmt(d["t12_nrr"], "pct")] for d in data]))
    return r


def todo_digests(con: duckdb.DuckDBPyConnection, as_of: date) -> list[tuple[str, ReportContent]]:
    """One to-do digest per active CSM with anything to do: open alerts, due and overdue tasks."""
    csms = rows(con, "select user_id, name, email from staging.stg_crm__team where role = 'csm' and active")
    soon = as_of + timedelta(days=7)
    touch = _has_table(con, "marts", "fct_engagement") and has_column(con, "marts.fct_engagement",
                                                                      "is_cadence_breached")
    out = []
    for csm in csms:
        r = ReportContent("todo", "Your to-do list", as_of, recipient_name=csm["name"])
        alerts = rows(con, """select a.title, a.severity, a.first_as_of, coalesce(d.account_name, 'portfolio')
                                     as account_name
                              from ops.alerts a left join marts.dim_accounts d using (account_id)
                              where a.owner_id = ? and a.status = 'open'
                              order by case a.severity when 'critical' then 0 when 'warning' then 1 else 2 end,
                                       a.first_as_of""", [csm["user_id"]])
        # CRM tasks and Steward's own (pooled reach-outs, playbook steps) together
        tasks = rows(con, """with t as (
                                 select title, due_at::date as due_date, source, account_id, owner_id,
                                        completed_at::date as completed_date
                                 from staging.stg_crm__tasks
                                 union all
                                 select title, due_date, source, account_id, owner_id,
                                        case when status = 'done' then completed_as_of end
                                 from ops.tasks where status <> 'cancelled' and created_as_of <= ?)
                             select t.title, t.due_date, t.source, d.account_name
                             from t left join marts.dim_accounts d using (account_id)
                             where t.owner_id = ? and t.due_date <= ?
                               and (t.completed_date is null or t.completed_date > ?)
                             order by t.due_date""", [as_of, csm["user_id"], soon, as_of])
        r.kpis += [("Open alerts", str(len(alerts))), ("Tasks due or overdue", str(len(tasks)))]
        r.tables.append(Table("Open alerts", ["Severity", "Account", "Alert", "Since"],
                              [[a["severity"], a["account_name"], a["title"], a["first_as_of"]] for a in alerts],
                              "No open alerts."))
        r.tables.append(Table("Tasks due in the next 7 days or overdue", ["Due", "Task", "Account", "From", "Status"],
                              [[str(t["due_date"]), t["title"], t["account_name"], t["source"],
                                "overdue" if t["due_date"] < as_of else "due"] for t in tasks],
                              "No tasks due."))
        if touch:
            due = rows(con, """select d.account_name, e.days_since_last_touchpoint from marts.fct_engagement e
                               join marts.dim_accounts d using (account_id)
                               where d.owner_csm_id = ? and e.is_cadence_breached order by 2 desc""",
                       [csm["user_id"]])
            r.tables.append(Table("Accounts due a touchpoint", ["Account", "Days since last touchpoint"],
                                  [[d["account_name"], d["days_since_last_touchpoint"]] for d in due],
                                  "Every account is within its cadence."))
        if alerts or tasks:
            out.append((csm["email"], r))
    return out
