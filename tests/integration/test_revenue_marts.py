"""Revenue marts on generated data, built by `steward run` in a subprocess, checked against an
independent pandas computation over the landing files, plus the analyst notebook."""

from __future__ import annotations

import os
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.integration

from tests.conftest import GENERATED_AS_OF as AS_OF
from tests.support.warehouse import frame

REPO = Path(__file__).resolve().parents[2]
CENT, BASIS = Decimal("0.01"), Decimal("0.0001")


@pytest.fixture(scope="module")
def warehouse(generated_workspace) -> Path:
    """The session's generated workspace (120 accounts x 24 months, built by `steward run`)."""
    return generated_workspace


def query(ws: Path, sql: str) -> pd.DataFrame:
    return frame(ws, sql, read_only=True)


def pandas_mrr(ws: Path) -> pd.DataFrame:
    """Month-end MRR per account from subscriptions.csv alone, written from DESIGN.md's definition."""
    subs = pd.read_csv(ws / "landing" / "billing" / "subscriptions.csv", dtype=str, keep_default_na=False)
    subs["start"] = pd.to_datetime(subs.start_date)
    subs["end"] = pd.to_datetime(subs.end_date.replace("", None))
    subs = subs[subs.start <= pd.Timestamp(AS_OF)]

    def monthly(row) -> Decimal:
        amount = Decimal(row.amount)
        if amount == 0 or row.status == "trialing":
            return Decimal(0)
        discount = Decimal(row.discount_pct or "0")
        per_month = amount * (100 - discount) / 100 / (12 if row.billing_interval == "year" else 1)
        return per_month.quantize(BASIS, rounding=ROUND_HALF_UP)

    subs["mrr"] = subs.apply(monthly, axis=1)
    rows = []
    for month in pd.date_range(subs.start.min().replace(day=1), pd.Timestamp(AS_OF), freq="MS"):
        snapshot = min(month + pd.offsets.MonthEnd(0), pd.Timestamp(AS_OF))
        live = subs[(subs.start <= snapshot) & (subs.end.isna() | (subs.end > snapshot)) & (subs.mrr > 0)]
        for account_id, mrr in live.groupby("account_id").mrr.sum().items():
            rows.append({"month": month, "account_id": account_id, "mrr": mrr})
    return pd.DataFrame(rows)


def cents(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def test_monthly_mrr_equals_an_independent_pandas_computation(warehouse):
    expected = pandas_mrr(warehouse)
    totals = expected.groupby("month").mrr.sum()
    report = query(warehouse, "select month, closing_mrr from marts.rpt_mrr_monthly order by month")
    report = report.set_index(pd.to_datetime(report.month)).closing_mrr
    assert len(totals) >= 24
    mismatched = {m: (cents(totals.get(m, 0)), cents(report.get(m, 0)))
                  for m in set(totals.index) | set(report.index)
                  if cents(totals.get(m, 0)) != cents(report.get(m, 0))}
    assert mismatched == {}
    # and per account-month, not only in total
    fct = query(warehouse, "select month, account_id, mrr from marts.fct_mrr where mrr > 0")
    got = {(pd.Timestamp(r.month), r.account_id): cents(r.mrr) for r in fct.itertuples()}
    want = {(r.month, r.account_id): cents(r.mrr) for r in expected.itertuples()}
    assert got == want


def test_bridge_reconciles_and_every_movement_occurs(warehouse):
    m = query(warehouse, "select * from marts.rpt_mrr_monthly order by month")
    bridge = (m.opening_mrr + m.new_mrr + m.expansion_mrr + m.reactivation_mrr
              - m.contraction_mrr - m.churned_mrr)
    assert [cents(v) for v in bridge] == [cents(v) for v in m.closing_mrr]
    assert list(m.closing_mrr[:-1]) == list(m.opening_mrr[1:])
    movements = set(query(warehouse, "select distinct movement from marts.fct_mrr").movement)
    assert movements == {"new", "expansion", "contraction", "churn", "reactivation", "none"}


def test_current_mrr_agrees_with_dim_accounts_and_revenue_spread(warehouse):
    closing = query(warehouse, f"select closing_mrr from marts.rpt_mrr_monthly "
                               f"where month = date '{AS_OF:%Y-%m-01}'").closing_mrr[0]
    dim = query(warehouse, "select sum(current_mrr) as mrr from marts.dim_accounts").mrr[0]
    spread = query(warehouse, "select slice, sum(mrr) as mrr, sum(share_of_mrr) as share "
                              "from marts.rpt_revenue_spread group by slice")
    assert cents(closing) == cents(dim)
    assert set(spread.slice) == {"segment", "plan", "region", "owner_csm"}
    assert all(cents(v) == cents(closing) for v in spread.mrr)
    assert all(abs(s - 1) < 1e-6 for s in spread.share)


def test_portfolio_retention_matches_the_bridge_and_cohort(warehouse):
    ret = query(warehouse, "select * from marts.rpt_revenue_retention where slice = 'portfolio' order by month")
    m = query(warehouse, "select * from marts.rpt_mrr_monthly order by month")
    last, bridge = ret.iloc[-1], m.iloc[-1]
    nrr = float(bridge.opening_mrr + bridge.expansion_mrr - bridge.contraction_mrr - bridge.churned_mrr) \
        / float(bridge.opening_mrr)
    assert last.monthly_nrr == pytest.approx(nrr, abs=1e-6)
    # trailing-12 cohort NRR recomputed from pandas MRR per account
    mrr = pandas_mrr(warehouse)
    end_month = pd.Timestamp(AS_OF.replace(day=1))
    start = mrr[mrr.month == end_month - pd.DateOffset(months=12)].set_index("account_id").mrr
    end = mrr[mrr.month == end_month].set_index("account_id").mrr.reindex(start.index, fill_value=Decimal(0))
    assert last.t12_nrr == pytest.approx(float(end.sum() / start.sum()), abs=1e-6)
    assert last.t12_grr == pytest.approx(float(sum(min(a, b) for a, b in zip(end, start)) / start.sum()), abs=1e-6)
    assert last.is_logo_churn_over_tolerance == (last.logo_churn_rate > 0.02)


def test_renewal_forecast_adds_up_fct_renewals(warehouse):
    upcoming = query(warehouse, "select sum(arr) as arr, count(*) as n, sum(arr * renewal_probability) as exp "
                                "from marts.fct_renewals where days_to_renewal > 0")
    forecast = query(warehouse, "select sum(arr_up_for_renewal) as arr, sum(count_renewals) as n, "
                                "sum(expected_arr) as exp from marts.rpt_renewal_forecast")
    assert upcoming.n[0] == forecast.n[0] > 0
    assert cents(upcoming.arr[0]) == cents(forecast.arr[0])
    assert float(forecast.exp[0]) < float(forecast.arr[0])
    past = query(warehouse, "select outcome, count(*) as n from marts.fct_renewals "
                            "where days_to_renewal <= 0 group by 1")
    assert "renewed" in set(past.outcome) and past.n.sum() > 0


def test_payment_health_counts_overdue_invoices_like_pandas(warehouse):
    inv = pd.read_csv(warehouse / "landing" / "billing" / "invoices.csv", keep_default_na=False)
    on = pd.Timestamp(AS_OF)
    issued, due = pd.to_datetime(inv.issued_at), pd.to_datetime(inv.due_at)
    paid = pd.to_datetime(inv.paid_at.replace("", None))
    overdue = inv[(inv.status != "void") & (issued <= on) & (due < on) & (paid.isna() | (paid > on))]
    want = overdue.groupby("account_id").amount.agg(["count", "sum"])
    got = query(warehouse, "select account_id, count_overdue_invoices, overdue_amount "
                           "from marts.fct_payment_health where has_overdue_invoices").set_index("account_id")
    assert len(want) > 0
    assert got.count_overdue_invoices.to_dict() == want["count"].to_dict()
    assert {k: cents(v) for k, v in got.overdue_amount.items()} == {k: cents(v) for k, v in want["sum"].items()}


def test_revenue_notebook_runs_read_only_against_the_warehouse(warehouse):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(REPO / "notebooks" / "revenue_overview.ipynb", as_version=4)
    env_before = os.environ.get("STEWARD_WAREHOUSE")
    os.environ["STEWARD_WAREHOUSE"] = str(warehouse / "warehouse.duckdb")
    try:  # the kernel is a fresh process that inherits the environment
        NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(REPO / "notebooks")}}).execute()
    finally:
        if env_before is None:
            os.environ.pop("STEWARD_WAREHOUSE")
        else:
            os.environ["STEWARD_WAREHOUSE"] = env_before
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 2
    assert any("months reconcile" in o.get("text", "") for o in outputs)
