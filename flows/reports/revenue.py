"""Revenue reports for CS leaders: renewals (weekly), NRR (monthly), revenue spread (monthly).

Monthly reports headline the last complete month (a report run on 1 December is about November)
and compare it with the month before and the same month a year earlier; the weekly renewals
report's look-back is the last complete Monday-to-Sunday week. Numbers come from the marts.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

from flows.reports import charts
from flows.reports.formatting import (BAD, SEGMENT_LABELS, Cell, day, delta, flag, health, money, month_name,
                                      number, pct, plural, symbol)
from flows.reports.model import Chart, Kpi, ReportContent, Table, rows



def closed_month(as_of: date) -> date:
    """First day of the last complete month before as_of."""
    first = as_of.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def closed_week(as_of: date) -> tuple[date, date]:
    """(Monday, Sunday) of the last complete week before as_of."""
    monday = as_of - timedelta(days=as_of.weekday() + 7)
    return monday, monday + timedelta(days=6)


def months_back(month: date, n: int) -> date:
    y, m = divmod(month.year * 12 + month.month - 1 - n, 12)
    return date(y, m + 1, 1)


def label(slice_: str, value: str | None, name: str | None = None) -> str:
    """A slice value as a reader knows it: a CSM's name, 'Mid-market', 'Premium support'."""
    if slice_ == "owner_csm":
        if value in (None, "", "unassigned"):
            return "Unassigned"
        return name or "Unnamed CSM"
    if value in (None, "", "unknown"):
        return "Not set"
    if slice_ == "segment":
        return SEGMENT_LABELS.get(value, value.replace("_", " ")).capitalize().replace("Smb", "SMB")
    if slice_ == "region" and len(value) <= 5:
        return value.upper()  # apac, emea, na, latam
    return value.replace("_", " ").capitalize()


def _kpi(lbl: str, value: str, series: list, cid: str, comparisons: list, colour: str | None = None) -> Kpi:
    """A tile with deltas vs each (value, against, kind, higher_is_better) and a sparkline of `series`."""
    k = Kpi(lbl, value, colour=colour)
    for current, previous, against, kind, better in comparisons:
        d = delta(current, previous, kind, against, better)
        if d:
            k.deltas.append(d)
    if sum(v is not None for v in series) >= 2:
        k.spark = Chart(f"spark_{cid}", f"{lbl}: trend over the last {len(series)} months", charts.sparkline(series))
    return k


def renewals(con: duckdb.DuckDBPyConnection, as_of: date, currency: str = "USD") -> ReportContent:
    """Renewals due in 30/60/90 days, at-risk ARR, last complete week's outcomes, and the ARR forecast."""
    monday, sunday = closed_week(as_of)
    r = ReportContent("renewals", "Renewals report", as_of,
                      period=f"Upcoming renewals from {day(as_of)}; outcomes for the week of {day(monday)} "
                             f"to {day(sunday)}.")
    upcoming = rows(con, """
        select f.*, d.account_name, d.health_score, d.health_band, t.display_name as owner_name
        from marts.fct_renewals f left join marts.dim_accounts d using (account_id)
        left join marts.dim_team t on t.user_id = f.owner_csm_id
        where f.days_to_renewal between 0 and 90 order by f.renewal_date, d.account_name""")
    for days in (30, 60, 90):
        due = [u for u in upcoming if u["days_to_renewal"] <= days]
        r.kpis.append(Kpi(f"ARR renewing in {days} days ({len(due)})", money(sum(u["arr"] for u in due), currency)))
    risky = [u for u in upcoming if u["is_cancelling"] or u["health_band"] == "red"]
    r.kpis.append(Kpi(f"ARR at risk in 90 days ({len(risky)})", money(sum(u["arr"] for u in risky), currency),
                      colour=BAD if risky else None))

    def outcomes(start: date, end: date) -> dict:
        return {o["outcome"]: o for o in rows(con, """
            select outcome, count(*) as n, sum(arr) as arr from marts.fct_renewals
            where renewal_date between ? and ? and outcome is not null group by 1""", [start, end])}

    week, prev = outcomes(monday, sunday), outcomes(monday - timedelta(days=7), sunday - timedelta(days=7))
    year = outcomes(monday - timedelta(days=364), sunday - timedelta(days=364))
    kept = ("renewed", "expanded", "contracted")

    def kept_arr(o: dict) -> float:  # no renewal due that week is a known 0, fct_renewals is complete
        return sum(float(o[k]["arr"]) for k in kept if k in o)

    r.kpis.append(_kpi("ARR renewed last week", money(kept_arr(week), currency), [], "renewed",
                       [(kept_arr(week), kept_arr(prev), "the week before", "money", True),
                        (kept_arr(week), kept_arr(year), "a year earlier", "money", True)]))
    r.tables.append(Table("Renewals in the next 90 days",
                          ["Account", "Renewal date", "Days", "ARR", "Health", "Owner", "Cancelling"],
                          [[u["account_name"], day(u["renewal_date"]), str(u["days_to_renewal"]),
                            money(u["arr"], currency), health(u["health_score"], u["health_band"]),
                            u["owner_name"] or "Unassigned",
                            Cell("yes", BAD, bold=True) if u["is_cancelling"] else ""]
                           for u in upcoming], "No renewals in the next 90 days.", numeric=(2, 3)))
    r.tables.append(Table(f"Outcomes, week of {day(monday)}", ["Outcome", "Renewals", "ARR", "Week before",
                                                               "A year earlier"],
                          [[o.capitalize(), str(week[o]["n"]), money(week[o]["arr"], currency),
                            money(prev[o]["arr"], currency) if o in prev else "–",
                            money(year[o]["arr"], currency) if o in year else "–"] for o in sorted(week)],
                          "No renewals fell due last week.", numeric=(1, 2, 3, 4)))
    fc = rows(con, "select * from marts.rpt_renewal_forecast order by month")
    if fc:
        r.charts.append(Chart("forecast", "ARR up for renewal vs expected ARR per month ahead", charts.bars(
            "ARR up for renewal vs expected (next 12 months)", [f"{f['month']:%b %y}" for f in fc],
            [f["arr_up_for_renewal"] for f in fc], [f["expected_arr"] for f in fc], ("up for renewal", "expected"),
            symbol=symbol(currency).strip())))
        by_model = sum(int(f["count_model_weighted"] or 0) for f in fc)
        r.notes.append("Expected ARR weights each renewal by its probability of renewing: "
                       + (f"for {plural(by_model, 'renewal')} in the next 90 days, 1 minus the churn model's "
                          "probability; for the others, the fixed rule (lower for subscriptions set to cancel, "
                          "past due or recently contracted)." if by_model else
                          "the fixed rule, lower for subscriptions set to cancel, past due or recently contracted "
                          "(no churn model has scored these accounts)."))
    return r


def _retention(con: duckdb.DuckDBPyConnection, slice_: str, month: date) -> list[dict]:
    return rows(con, """select r.*, t.display_name from marts.rpt_revenue_retention r
                        left join marts.dim_team t on r.slice = 'owner_csm' and t.user_id = r.slice_value
                        where r.slice = ? and r.month = ? order by r.slice_value""", [slice_, month])


def nrr(con: duckdb.DuckDBPyConnection, as_of: date, currency: str = "USD") -> ReportContent:
    """The month that closed: NRR/GRR, logo and revenue churn against their tolerances, the MRR bridge,
    each against the month before and a year earlier, with trends and breakdowns by segment and CSM."""
    month = closed_month(as_of)
    prev, year = months_back(month, 1), months_back(month, 12)
    r = ReportContent("nrr", f"NRR report, {month_name(month)}", as_of,
                      period=f"{month_name(month)}, the month that closed, against {month_name(prev)} and "
                             f"{month_name(year)}.")
    trend = rows(con, """select * from marts.rpt_revenue_retention where slice = 'portfolio' and month <= ?
                         order by month desc limit 13""", [month])[::-1]
    bridge = rows(con, "select * from marts.rpt_mrr_monthly where month <= ? order by month desc limit 13",
                  [month])[::-1]
    by_month = {t["month"]: t for t in trend}
    cur, before, ago = by_month.get(month), by_month.get(prev), by_month.get(year)
    if cur is None:
        r.notes.append(f"No revenue history for {month_name(month)} yet.")
        return r

    def series(key: str) -> list:
        return [t[key] for t in trend]

    def vs(key: str, kind: str, better: bool = True) -> list:
        return [(cur[key], (before or {}).get(key), f"{prev:%b %Y}", kind, better),
                (cur[key], (ago or {}).get(key), f"{year:%b %Y}", kind, better)]

    r.kpis += [_kpi("Monthly NRR", pct(cur["monthly_nrr"]), series("monthly_nrr"), "mnrr", vs("monthly_nrr", "pct")),
               _kpi("Monthly GRR", pct(cur["monthly_grr"]), series("monthly_grr"), "mgrr", vs("monthly_grr", "pct")),
               _kpi("12-month NRR", pct(cur["t12_nrr"]), series("t12_nrr"), "tnrr", vs("t12_nrr", "pct")),
               _kpi("12-month GRR", pct(cur["t12_grr"]), series("t12_grr"), "tgrr", vs("t12_grr", "pct")),
               _kpi(f"Logo churn (tolerance {pct(cur['logo_churn_tolerance'])})", pct(cur["logo_churn_rate"]),
                    series("logo_churn_rate"), "logo", vs("logo_churn_rate", "pct", False),
                    BAD if cur["is_logo_churn_over_tolerance"] else None),
               _kpi(f"Revenue churn (tolerance {pct(cur['revenue_churn_tolerance'])})",
                    pct(cur["revenue_churn_rate"]), series("revenue_churn_rate"), "rev",
                    vs("revenue_churn_rate", "pct", False), BAD if cur["is_revenue_churn_over_tolerance"] else None)]
    b_month = {b["month"]: b for b in bridge}
    b = b_month.get(month)
    if b:
        r.kpis.append(_kpi("MRR at month end", money(b["closing_mrr"], currency, compact=True),
                           [x["closing_mrr"] for x in bridge], "mrr",
                           [(b["closing_mrr"], b_month.get(prev, {}).get("closing_mrr"), f"{prev:%b %Y}", "money",
                             True),
                            (b["closing_mrr"], b_month.get(year, {}).get("closing_mrr"), f"{year:%b %Y}", "money",
                             True)]))
    r.subject_line = (f"NRR for {month_name(month)}: {pct(cur['monthly_nrr'])} monthly, "
                      f"{pct(cur['t12_nrr'])} over 12 months")
    over = [w for w, k in (("logo", "is_logo_churn_over_tolerance"), ("revenue", "is_revenue_churn_over_tolerance"))
            if cur[k]]
    if over:
        r.intro = (f"{' and '.join(over).capitalize()} churn in {month_name(month)} {'is' if len(over) == 1 else 'are'}"
                   " above tolerance.")
        r.subject_line += f"; {' and '.join(over)} churn over tolerance"
    labels = [f"{t['month']:%b %y}" for t in trend]
    r.charts.append(Chart("nrr_trend", "NRR and GRR by month, monthly and trailing 12 months", charts.line_chart(
        "NRR / GRR", labels, {"monthly NRR": series("monthly_nrr"), "monthly GRR": series("monthly_grr"),
                              "12-month NRR": series("t12_nrr"), "12-month GRR": series("t12_grr")}, percent=True)))
    if bridge:
        r.charts.append(Chart("movements", "MRR movements per month: gains above zero, losses below",
                              charts.stacked_bars("MRR movements", [f"{x['month']:%b %y}" for x in bridge],
                                                  {"new": [x["new_mrr"] for x in bridge],
                                                   "expansion": [x["expansion_mrr"] for x in bridge],
                                                   "reactivation": [x["reactivation_mrr"] for x in bridge]},
                                                  {"contraction": [x["contraction_mrr"] for x in bridge],
                                                   "churn": [x["churned_mrr"] for x in bridge]},
                                                  symbol(currency).strip())))
    if b:
        keys = ("opening_mrr", "new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr", "churned_mrr",
                "closing_mrr")
        compare = [(month_name(month), b), (month_name(prev), b_month.get(prev)), (month_name(year), b_month.get(year))]
        r.tables.append(Table(f"MRR bridge, {month_name(month)}",
                              ["Month", "Opening", "New", "Expansion", "Reactivation", "Contraction", "Churn",
                               "Closing"],
                              [[name, *(money(x[k], currency) for k in keys)] for name, x in compare if x],
                              numeric=(1, 2, 3, 4, 5, 6, 7)))
    for slice_, caption in (("segment", "By segment"), ("owner_csm", "By CSM")):
        sl = _retention(con, slice_, month)
        r.tables.append(Table(f"{caption}, {month_name(month)}",
                              ["Segment" if slice_ == "segment" else "CSM", "Monthly NRR", "12-month NRR",
                               "12-month GRR", "Logo churn", "Revenue churn", "Logo vs tolerance",
                               "Revenue vs tolerance"],
                              [[label(slice_, s["slice_value"], s["display_name"]), pct(s["monthly_nrr"]),
                                pct(s["t12_nrr"]), pct(s["t12_grr"]), pct(s["logo_churn_rate"]),
                                pct(s["revenue_churn_rate"]), flag(s["is_logo_churn_over_tolerance"]),
                                flag(s["is_revenue_churn_over_tolerance"])] for s in sl],
                              numeric=(1, 2, 3, 4, 5)))
    r.notes.append(f"Tolerances: logo churn {pct(cur['logo_churn_tolerance'])} and revenue churn "
                   f"{pct(cur['revenue_churn_tolerance'])} a month. The portfolio, a segment or a CSM's book over "
                   "either tolerance also raises a churn alert to the CS leader for the same month.")
    return r


def spread(con: duckdb.DuckDBPyConnection, as_of: date, currency: str = "USD") -> ReportContent:
    """MRR/ARR by segment, plan, region and owner at as_of, with shares, against last month-ends."""
    month = closed_month(as_of)
    r = ReportContent("revenue_spread", "Revenue spread", as_of,
                      period=f"Recurring revenue on {day(as_of)}, against the close of {month_name(month)} and "
                             f"{month_name(months_back(month, 12))}.")
    data = rows(con, """select s.*, t.display_name from marts.rpt_revenue_spread s
                        left join marts.dim_team t on s.slice = 'owner_csm' and t.user_id = s.slice_value
                        order by s.slice, s.mrr desc""")
    total = sum(float(d["mrr"]) for d in data if d["slice"] == "segment")
    closes = {x["month"]: x["closing_mrr"] for x in rows(con, "select month, closing_mrr from marts.rpt_mrr_monthly")}
    comparisons = [(total, closes.get(month), f"{month:%b %Y}", "money", True),
                   (total, closes.get(months_back(month, 12)), f"{months_back(month, 12):%b %Y}", "money", True)]
    r.kpis += [_kpi("MRR", money(total, currency), [closes.get(months_back(month, n)) for n in range(12, -1, -1)],
                    "mrr", comparisons),
               Kpi("ARR", money(total * 12, currency)),
               Kpi("Paying accounts", number(sum(d["count_accounts"] for d in data if d["slice"] == "segment")))]
    seg = [d for d in data if d["slice"] == "segment"]
    if seg:
        r.charts.append(Chart("by_segment", "ARR by segment", charts.bars(
            "ARR by segment", [label("segment", s["slice_value"]) for s in seg], [s["arr"] for s in seg],
            symbol=symbol(currency).strip())))
    for slice_, caption in (("segment", "By segment"), ("plan", "By plan"), ("region", "By region"),
                            ("owner_csm", "By CSM")):
        part = [d for d in data if d["slice"] == slice_]
        r.tables.append(Table(caption, [caption.removeprefix("By ").capitalize() if slice_ != "owner_csm" else "CSM",
                                        "Accounts", "MRR", "Share"],
                              [[label(slice_, p["slice_value"], p["display_name"]), number(p["count_accounts"]),
                                money(p["mrr"], currency), pct(p["share_of_mrr"])]
                               for p in part], numeric=(1, 2, 3)))
    if not seg:
        r.notes.append(plural(0, "paying account") + " at as_of.")
    return r
