"""report/compare.py: ours against the released code run here, by a permutation test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import permutation_test

from bounded_ddpg.report import main
from bounded_ddpg.report.compare import permutation_p
from test_report import write_run


def test_permutation_p_by_hand() -> None:
    # 20 ways to pick 3 of 6; only {1,2,3} and {4,5,6} give |difference| >= 3
    assert permutation_p(np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])) == (0.1, True)
    assert permutation_p(np.array([0.5, 0.5]), np.array([0.5, 0.5, 0.5])) == (1.0, True)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """The two-sided statistic |mean(a) - mean(b)| (scipy's own two-sided p doubles the smaller one-sided
    p instead, which differs from this test's when the sample sizes differ)."""
    return float(abs(a.mean() - b.mean()))


@pytest.mark.parametrize("sizes", [(10, 2), (6, 4), (3, 3)])
def test_permutation_p_equals_scipys_exact_test(sizes: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(sizes))
    x, y = rng.uniform(0, 1, sizes[0]), rng.uniform(0.3, 1, sizes[1])
    want = permutation_test((x, y), distance, n_resamples=10**6, alternative="greater").pvalue
    p, exact = permutation_p(x, y)
    assert exact and p == pytest.approx(want, abs=1e-12)


def test_a_large_comparison_is_estimated_close_to_scipy() -> None:
    rng = np.random.default_rng(7)
    x, y = rng.normal(0, 1, 20), rng.normal(0.6, 1, 20)  # C(40, 20) splits: sampled
    p, exact = permutation_p(x, y, reps=20_000)
    want = permutation_test((x, y), distance, n_resamples=20_000, alternative="greater", random_state=1)
    assert not exact and p == pytest.approx(want.pvalue, abs=0.01) and p >= 1 / 20_001


def test_the_table_notes_compare_ours_with_the_reference(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    for seed, ret in enumerate([0.2, 0.9, 0.95, 1.0]):
        write_run(root, "Platform", "invert", seed, ret, variant={"agent.name": "mpdqn"})
    for seed, ret in enumerate([0.99, 0.97]):
        write_run(root, "Platform", "invert", seed, ret, variant={"agent.name": "mpdqn_reference"})
    write_run(root, "Platform", "zero", 0, 0.5, variant={"agent.name": "mpdqn"})  # no reference: no note
    assert main([str(root), "--out", str(tmp_path / "o"), "--reps", "50", "--strict"]) == 1  # seeds missing
    assert main([str(root), "--out", str(tmp_path / "o"), "--reps", "50"]) == 0
    text = (tmp_path / "o" / "table.md").read_text()
    p, _ = permutation_p(np.array([0.2, 0.9, 0.95, 1.0]), np.array([0.99, 0.97]))
    assert p == pytest.approx(8 / 15)  # of the 15 splits, 8 differ by at least |0.7625 - 0.98|
    note = (
        "ours against the released code run here: Platform invert mpdqn mean 0.762 (n = 4) vs "
        "mpdqn_reference mean 0.980 (n = 2), difference -0.218; two-sided permutation test of the "
        f"difference of means p = {p:.3f} (exact)"
    )
    assert note in text and text.count("released code run here") == 1
    assert "published beside" not in text  # HyAR's rows go beside HyAR's own tasks only
