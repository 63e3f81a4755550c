"""sesame.report.stats: bootstrap intervals and the paired permutation test."""

from __future__ import annotations

import numpy as np
import pytest

from sesame.report.stats import bootstrap_ci, bootstrap_means, paired_test


def scores(n: int, p: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.where(rng.random(n) < p, 100.0, 100.0 * rng.random(n) * rng.random(n))


def test_bootstrap_ci_contains_the_mean_and_is_seeded():
    x = scores(300, 0.5, 1)
    mean, lo, hi = bootstrap_ci(x, n_boot=500, seed=7)
    assert mean == pytest.approx(x.mean()) and lo < mean < hi
    assert bootstrap_ci(x, n_boot=500, seed=7) == (mean, lo, hi)
    assert bootstrap_ci(x, n_boot=500, seed=8) != (mean, lo, hi)


def test_bootstrap_ci_width_follows_the_standard_error():
    x = scores(400, 0.5, 2)
    _, lo, hi = bootstrap_ci(x, n_boot=2000, seed=0)
    se = x.std(ddof=1) / np.sqrt(x.size)
    assert (hi - lo) == pytest.approx(2 * 1.96 * se, rel=0.15)
    # four times the questions: about half the width
    _, lo4, hi4 = bootstrap_ci(np.tile(x, 4), n_boot=2000, seed=0)
    assert (hi4 - lo4) == pytest.approx((hi - lo) / 2, rel=0.15)


def test_constant_scores_have_a_point_interval():
    assert bootstrap_ci([40.0] * 50, n_boot=100, seed=0) == (40.0, 40.0, 40.0)
    assert all(np.isnan(v) for v in bootstrap_ci([], n_boot=10))


def test_bootstrap_columns_share_resamples():
    x = scores(100, 0.4, 3)
    both = bootstrap_means(np.stack([x, x + 10], axis=1), 50, np.random.default_rng(0))
    assert np.allclose(both[:, 1] - both[:, 0], 10)


def test_clearly_better_system_gets_a_small_p():
    b = scores(200, 0.3, 4)
    a = np.minimum(100.0, b + np.where(np.random.default_rng(5).random(200) < 0.5, 30.0, 0.0))
    res = paired_test(a, b, n_perm=2000, n_boot=500, seed=0)
    assert res.delta == pytest.approx((a - b).mean()) and res.delta > 0
    assert res.p_value < 0.01
    assert res.p_value >= 1 / 2001  # never exactly 0
    assert 0 < res.delta_low < res.delta < res.delta_high
    assert paired_test(a, b, n_perm=2000, n_boot=500, seed=0) == res


def test_identical_systems_get_p_one():
    a = scores(200, 0.5, 6)
    res = paired_test(a, a.copy(), n_perm=1000, seed=0)
    assert res.p_value == 1.0 and res.delta == 0 and res.delta_low == res.delta_high == 0


def test_systems_differing_by_noise_are_not_significant():
    a = scores(300, 0.5, 7)
    b = a.copy()
    rng = np.random.default_rng(8)
    idx = rng.choice(300, size=40, replace=False)
    b[idx[:20]] += 5.0  # the same changes in both directions: mean difference exactly 0
    b[idx[20:]] -= 5.0
    res = paired_test(a, b, n_perm=2000, seed=0)
    assert res.delta == pytest.approx(0, abs=1e-12) and res.p_value > 0.5
    assert res.delta_low < 0 < res.delta_high


def test_paired_test_checks_shapes():
    with pytest.raises(ValueError, match="same questions"):
        paired_test([1.0, 2.0], [1.0])
