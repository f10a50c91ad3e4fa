"""Forecast metrics on hand-computed examples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optimizers.forecast import metrics


def test_mae_nmae_by_hand():
    y = [10.0, 20.0, 30.0, 40.0]
    f = [12.0, 18.0, 33.0, 40.0]
    # |errors| = 2, 2, 3, 0 → MAE 7/4; mean |y| = 25
    assert metrics.mae(y, f) == pytest.approx(1.75)
    assert metrics.nmae(y, f) == pytest.approx(1.75 / 25)
    # NaN pairs are skipped, not counted as zero error
    assert metrics.mae([10.0, np.nan], [12.0, 5.0]) == pytest.approx(2.0)


def test_pinball_by_hand():
    y = np.array([10.0, 10.0])
    # q = 0.9, forecast 8 (under by 2): 0.9·2 = 1.8; forecast 13 (over by 3): 0.1·3 = 0.3
    assert metrics.pinball_q(y, [8.0, 13.0], 0.9) == pytest.approx((1.8 + 0.3) / 2)
    # q = 0.1: under by 2 → 0.1·2 = 0.2; over by 3 → 0.9·3 = 2.7
    assert metrics.pinball_q(y, [8.0, 13.0], 0.1) == pytest.approx((0.2 + 2.7) / 2)
    # the median's pinball is MAE / 2
    assert metrics.pinball_q(y, [8.0, 13.0], 0.5) == pytest.approx(2.5 / 2)
    # a point forecast scores as the same value at every quantile
    point = metrics.pinball(y, np.array([8.0, 13.0]))
    assert point == pytest.approx(np.mean([(0.2 + 2.7) / 2, 2.5 / 2, (1.8 + 0.3) / 2]))
    with pytest.raises(ValueError):
        metrics.pinball_q(y, y, 1.0)


def test_coverage_by_hand():
    y = [1.0, 2.0, 3.0, 4.0]
    lo = [0.0, 2.5, 2.0, 4.0]
    hi = [2.0, 3.0, 2.5, 5.0]
    # inside: 1 ∈ [0,2] yes, 2 ∈ [2.5,3] no, 3 ∈ [2,2.5] no, 4 ∈ [4,5] yes (bounds included)
    assert metrics.coverage(y, lo, hi) == pytest.approx(0.5)
    assert math.isnan(metrics.coverage([np.nan], [0.0], [1.0]))
