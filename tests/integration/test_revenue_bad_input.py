"""Bad billing input stops the run with a data test that names the subscription, never a silent number."""

from datetime import date

import duckdb
import pytest

from tests.conftest import make_config

pytestmark = pytest.mark.integration

BAD_ROWS = """\
S90,A1,growth,month,-10.00,USD,5,2026-01-01,,2026-04-01,active,
S91,A2,growth,month,100.00,USD,5,2026-02-01,2026-01-15,2026-02-15,canceled,
S92,A3,growth,week,25.00,USD,5,2026-01-01,,2026-03-22,active,
S94,A4,growth,month,70.00,USD,5,2026-02-01,,2026-04-01,active,150
"""
RULES = {  # data test -> the subscription its failing rows name
    "subscription_amount_is_not_negative": "S90",
    "subscription_end_date_not_before_start_date": "S91",
    "subscription_billing_interval_is_month_or_year": "S92",
    "subscription_discount_pct_between_0_and_100": "S94",
}
# The same id twice in one file, with overlapping periods: which one is true is unknowable.
DUPLICATE_ROWS = """\
S93,A4,growth,month,50.00,USD,5,2026-01-01,2026-03-01,2026-02-01,canceled,
S93,A4,growth,month,70.00,USD,5,2026-02-01,,2026-04-01,active,
"""
DUPLICATE_RULES = {"assert_subscription_ids_unique_per_load": "S93"}


@pytest.mark.parametrize("rows, rules", [(BAD_ROWS, RULES), (DUPLICATE_ROWS, DUPLICATE_RULES)],
                         ids=["bad-values", "duplicate-id"])
def test_each_bad_subscription_fails_a_named_test_whose_rows_name_it(
        prefect_harness, tmp_path, minimal_landing, rows, rules):
    from flows.ingest.flow import ingest
    from flows.transform import DbtBuildError, run_dbt

    f = minimal_landing / "billing" / "subscriptions.csv"
    f.write_text(f.read_text() + rows)
    cfg = make_config(tmp_path / "ws", minimal_landing)
    ingest(cfg)
    with pytest.raises(DbtBuildError) as err:  # only the models the rules need, to keep the test quick
        # (subscriptions resolve account ids through the identity crosswalk: its parents too; other
        # models' tests that also touch these stay out: cautious)
        run_dbt(cfg, ["build", "--select", f"+stg_billing__subscriptions {' '.join(rules)}",
                      "--indirect-selection", "cautious", "--exclude-resource-type", "unit_test"],
                date(2026, 3, 15))
    for test_name, subscription_id in rules.items():
        assert test_name in str(err.value)
        with duckdb.connect(str(cfg.path("warehouse"))) as con:
            ids = {r[0] for r in con.execute(f"select subscription_id from dbt_test__audit.{test_name}").fetchall()}
        assert ids == {subscription_id}, test_name
