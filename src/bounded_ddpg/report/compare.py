"""Our runs against a published algorithm's released code run here: a permutation test per cell.

A reference run (report/reference.py; ``agent.name`` ends in ``_reference``) and ours of the same agent,
environment and transform are two samples of final evaluation returns. The note gives both means, their
difference and the two-sided permutation test's p-value for the difference of means: the share of the
ways to split the pooled returns into groups of the two sizes whose difference is at least as large in
absolute value (Good 2005, "Permutation, Parametric and Bootstrap Tests of Hypotheses", ch. 3). With
C(n + m, m) <= EXACT_LIMIT splits (10 and 10 seeds: 184,756) every split is counted and p is exact;
beyond that, ``reps`` random splits estimate it, counting the observed split (p >= 1 / (reps + 1)).
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

import numpy as np

from bounded_ddpg.report.main_table import REFERENCE
from bounded_ddpg.report.stats import FINISHED, RunRecord, by_value

EXACT_LIMIT = 200_000


def permutation_p(x: np.ndarray, y: np.ndarray, reps: int = 100_000, seed: int = 0) -> tuple[float, bool]:
    """Two-sided p-value of mean(x) - mean(y) under exchangeability, and whether it is exact."""
    pooled, n = np.concatenate([x, y]).astype(np.float64), len(x)
    total, observed = pooled.sum(), abs(x.mean() - y.mean())
    tol = 1e-12 * max(1.0, float(np.abs(pooled).max()))  # the observed split itself must count

    def diffs(sums: np.ndarray) -> np.ndarray:
        return np.abs(sums / n - (total - sums) / len(y))

    if math.comb(len(pooled), n) <= EXACT_LIMIT:
        sums = np.array([pooled[list(c)].sum() for c in itertools.combinations(range(len(pooled)), n)])
        return float(np.mean(diffs(sums) >= observed - tol)), True
    rng = np.random.default_rng(seed)
    sums = np.array([pooled[rng.permutation(len(pooled))[:n]].sum() for _ in range(reps)])
    return float((np.sum(diffs(sums) >= observed - tol) + 1) / (reps + 1)), False


def reference_notes(records: list[RunRecord]) -> list[str]:
    """One note per (env, transform, agent) cell that has both our finished runs and the reference's."""
    finals: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for r in records:
        if r.status == FINISHED and r.final_return is not None and r.config:
            finals[(r.env, r.transform, by_value(r, "agent.name"))].append(r.final_return)
    notes = []
    for (env, transform, agent), ref in sorted(finals.items()):
        ours = finals.get((env, transform, agent.removesuffix(REFERENCE)))
        if not agent.endswith(REFERENCE) or not ours:
            continue
        x, y = np.array(ours), np.array(ref)
        p, exact = permutation_p(x, y)
        notes.append(
            f"ours against the released code run here: {env} {transform} "
            f"{agent.removesuffix(REFERENCE)} mean {x.mean():.3f} (n = {len(x)}) vs {agent} mean "
            f"{y.mean():.3f} (n = {len(y)}), difference {x.mean() - y.mean():+.3f}; two-sided permutation "
            f"test of the difference of means p = {p:.3f} ({'exact' if exact else 'estimated'})"
        )
    return notes
