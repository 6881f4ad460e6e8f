"""Revenue reports for CS leaders: renewals (weekly), NRR (monthly), revenue spread (monthly)."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from flows.reports import charts
from flows.reports.model import Chart, ReportContent, Table, fmt, has_column, rows


def _health_cols(con: duckdb.DuckDBPyConnection) -> str:
    return ("d.health_score, d.health_band" if has_column(con, "marts.dim_accounts", "health_score")
            else "null as health_score, null as health_band")


def renewals(con: duckdb.DuckDBPyConnection, as_of: date) -> ReportContent:
    """Upcoming renewals in 30/60/90 days, last week's outcomes, and the ARR forecast."""
    r = ReportContent("renewals", "Renewals report", as_of)
    upcoming = rows(con, f"""
        select f.*, d.account_name, d.owner_name, {_health_cols(con)}
        from marts.fct_renewals f left join marts.dim_accounts d using (account_id)
        where f.days_to_renewal between 0 and 90 order by f.renewal_date, d.account_name""")
    for days in (30, 60, 90):
        due = [u for u in upcoming if u["days_to_renewal"] <= days]
        r.kpis.append((f"ARR renewing in {days} days ({len(due)})", fmt(sum(u["arr"] for u in due), "money")))
    r.tables.append(Table("Renewals in the next 90 days",
                          ["Account", "Renewal date", "Days", "ARR", "Health", "Owner", "Cancelling"],
                          [[u["account_name"], u["renewal_date"], u["days_to_renewal"], fmt(u["arr"], "money"),
                            fmt(u["health_score"]) if u["health_score"] is not None else "–",
                            u["owner_name"] or "unassigned", "yes" if u["is_cancelling"] else ""]
                           for u in upcoming], "No renewals in the next 90 days."))
    past = rows(con, """
        select f.outcome, count(*) as n, sum(f.arr) as arr from marts.fct_renewals f
        where f.renewal_date between ? and ? and f.outcome is not null group by 1 order by 1""",
                [as_of - timedelta(days=30), as_of - timedelta(days=1)])
    r.tables.append(Table("Outcomes of renewals in the last 30 days", ["Outcome", "Renewals", "ARR"],
                          [[p["outcome"], p["n"], fmt(p["arr"], "money")] for p in past],
                          "No renewals fell due in the last 30 days."))
    fc = rows(con, "select * from marts.rpt_renewal_forecast order by month")
    if fc:
        r.charts.append(Chart("forecast", "ARR up for renewal vs expected ARR per month ahead", charts.bars(
            "ARR up for renewal vs expected (next 12 months)", [str(f["month"])[:7] for f in fc],
            [f["arr_up_for_renewal"] for f in fc], [f["expected_arr"] for f in fc], ("up for renewal", "expected"))))
        r.notes.append("Expected ARR weights each renewal by the renewal probability documented in dbt docs "
                       "(fct_renewals.renewal_probability).")
    return r


def nrr(con: duckdb.DuckDBPyConnection, as_of: date) -> ReportContent:
    """NRR/GRR monthly and trailing-12-month with trend, MRR movements, churn vs tolerance, breakdowns."""
    r = ReportContent("nrr", "NRR report", as_of)
    trend = rows(con, """select * from marts.rpt_revenue_retention where slice = 'portfolio'
                         order by month desc limit 13""")[::-1]
    if trend:
        last = trend[-1]
        r.kpis += [("Monthly NRR", fmt(last["monthly_nrr"], "pct")), ("Monthly GRR", fmt(last["monthly_grr"], "pct")),
                   ("12-month NRR", fmt(last["t12_nrr"], "pct")), ("12-month GRR", fmt(last["t12_grr"], "pct")),
                   ("Logo churn", fmt(last["logo_churn_rate"], "pct")),
                   ("Tolerance", fmt(last["logo_churn_tolerance"], "pct"))]
        if last["is_logo_churn_over_tolerance"] or last["is_revenue_churn_over_tolerance"]:
            r.notes.append("Churn this month is above the configured tolerance.")
        labels = [str(t["month"])[:7] for t in trend]
        r.charts.append(Chart("nrr_trend", "NRR and GRR by month, monthly and trailing 12 months", charts.line_chart(
            "NRR / GRR", labels, {"monthly NRR": [t["monthly_nrr"] for t in trend],
                                  "monthly GRR": [t["monthly_grr"] for t in trend],
                                  "12-month NRR": [t["t12_nrr"] for t in trend],
                                  "12-month GRR": [t["t12_grr"] for t in trend]}, percent=True)))
    bridge = rows(con, "select * from marts.rpt_mrr_monthly order by month desc limit 12")[::-1]
    if bridge:
        r.charts.append(Chart("movements", "MRR movements per month: gains above zero, losses below",
                              charts.stacked_bars("MRR movements", [str(b["month"])[:7] for b in bridge],
                                                  {"new": [b["new_mrr"] for b in bridge],
                                                   "expansion": [b["expansion_mrr"] for b in bridge],
                                                   "reactivation": [b["reactivation_mrr"] for b in bridge]},
                                                  {"contraction": [b["contraction_mrr"] for b in bridge],
                                                   "churn": [b["churned_mrr"] for b in bridge]})))
        b = bridge[-1]
        r.tables.append(Table(f"MRR bridge, {str(b['month'])[:7]}", ["Opening", "New", "Expansion", "Reactivation",
                                                                    "Contraction", "Churn", "Closing"],
                              [[fmt(b[k], "money") for k in ("opening_mrr", "new_mrr", "expansion_mrr",
                                                             "reactivation_mrr", "contraction_mrr",
                                                             "churned_mrr", "closing_mrr")]]))
    for slice_, caption in (("segment", "By segment"), ("owner_csm", "By CSM")):
        sl = rows(con, """select * from marts.rpt_revenue_retention where slice = ?
                          and month = (select max(month) from marts.rpt_revenue_retention) order by slice_value""",
                  [slice_])
        r.tables.append(Table(caption, [slice_.replace("_", " ").title(), "Monthly NRR", "Monthly GRR",
                                        "12-month NRR", "12-month GRR", "Logo churn", "Over tolerance"],
                              [[s["slice_value"], fmt(s["monthly_nrr"], "pct"), fmt(s["monthly_grr"], "pct"),
                                fmt(s["t12_nrr"], "pct"), fmt(s["t12_grr"], "pct"), fmt(s["logo_churn_rate"], "pct"),
                                "yes" if s["is_logo_churn_over_tolerance"] else ""] for s in sl]))
    return r


def spread(con: duckdb.DuckDBPyConnection, as_of: date) -> ReportContent:
    """MRR/ARR by segment, plan, region and owner, with shares."""
    r = ReportContent("revenue_spread", "Revenue spread", as_of)
    data = rows(con, "select * from marts.rpt_revenue_spread order by slice, mrr desc")
    total = sum(d["mrr"] for d in data if d["slice"] == "segment")
    r.kpis += [("MRR", fmt(total, "money")), ("ARR", fmt(total * 12, "money"))]
    seg = [d for d in data if d["slice"] == "segment"]
    if seg:
        r.charts.append(Chart("by_segment", "ARR by segment", charts.bars(
            "ARR by segment", [s["slice_value"] for s in seg], [s["arr"] for s in seg])))
    for slice_ in ("segment", "plan", "region", "owner_csm"):
        part = [d for d in data if d["slice"] == slice_]
        r.tables.append(Table(f"By {slice_.replace('_', ' ')}", [slice_.replace("_", " ").title(), "Accounts", "MRR",
                                                                 "ARR", "Share"],
                              [[p["slice_value"], p["count_accounts"], fmt(p["mrr"], "money"), fmt(p["arr"], "money"),
                                fmt(p["share_of_mrr"], "pct")] for p in part]))
    return r
