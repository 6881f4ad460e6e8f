"""Model evaluation metrics on hand-computed rows (flows/model/metrics.py)."""

import numpy as np
import pytest

from flows.model.metrics import calibration_table, ece, lift_by_decile


def test_ece_weights_each_bin_gap_by_its_rows():
    # two equal-count bins: predicted 0.1 (observed 0/2 = 0.0) and 0.5 (observed 2/2 = 1.0)
    p = np.array([0.1, 0.1, 0.5, 0.5])
    y = np.array([0, 0, 1, 1])
    t = calibration_table(p, y, bins=2)
    assert t["rows"].tolist() == [2, 2]
    assert t["mean_predicted"].tolist() == pytest.approx([0.1, 0.5])
    assert t["observed_rate"].tolist() == [0.0, 1.0]
    assert ece(p, y, bins=2) == pytest.approx((2 * 0.1 + 2 * 0.5) / 4)


def test_a_perfectly_calibrated_constant_has_no_calibration_error():
    y = np.array([1] * 10 + [0] * 90)
    assert ece(np.full(100, 0.1), y) == pytest.approx(0.0)


def test_lift_by_decile_puts_the_riskiest_tenth_first():
    score = np.arange(100, dtype=float)  # row 99 riskiest
    y = np.zeros(100, dtype=int)
    y[[99, 98, 50, 10]] = 1  # two events in the top decile, base rate 4 %
    lift = lift_by_decile(score, y)
    assert lift["rows"].tolist() == [10] * 10
    assert lift.loc[0, "events"] == 2 and lift.loc[0, "lift"] == pytest.approx(0.2 / 0.04)
    assert lift["events"].sum() == 4
