"""`report --aggregate`: performance across tasks, as Agarwal et al. (2021) define it (rliable).

"Deep Reinforcement Learning at the Edge of the Statistical Precipice", NeurIPS 2021; the definitions are
rliable's (github.com/google-research/rliable, rliable/metrics.py and rliable/library.py). A method is an
agent x transform; a task is an environment; a run's score is its final evaluation metric normalised by
the task's range (scores.py). Per method, over its runs on every task:
- IQM: the 25% trimmed mean of all runs of all tasks pooled (metrics.aggregate_iqm);
- mean / median: the mean / median over tasks of each task's mean score (aggregate_mean / _median);
- optimality gap: 1 - the mean of min(score, 1) over all runs (aggregate_optimality_gap, gamma = 1);
- P(> baseline): the mean over tasks of P(X > Y) + 0.5 P(X = Y) over all pairs of the task's runs
  (probability_of_improvement);
- the performance profile: the fraction of all runs whose score exceeds tau (run_score_deviation);
- the sample-efficiency curve: the IQM, at each fraction of the training budget, of every run's
  normalised evaluation curve (eval.csv, interpolated; the final evaluation appended at the end).
Intervals are 95% stratified percentile bootstrap intervals (library.StratifiedBootstrap,
get_interval_estimates with method='percentile'): each resample draws every task's runs with replacement
from that task's runs only; for P(> baseline) each method's runs are drawn on their own
(StratifiedIndependentBootstrap). Seeded by --seed with numpy's default_rng, --reps resamples.

Unequal run counts: rliable needs a (runs x tasks) matrix; here each task keeps its own runs, the
per-task means (mean, median) weigh tasks equally, and the pooled statistics (IQM, optimality gap,
profiles, curves) weigh runs equally, so a task with more runs weighs more: noted loudly, refused by
--strict. A method missing a task: the aggregate is restricted to the tasks every method has, loudly; no
common task is an error.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bounded_ddpg.report.figure import episode_budget, run_curve
from bounded_ddpg.report.main_table import agent_label, agent_of, agent_rank, check_one_experiment
from bounded_ddpg.report.scores import RETURN, SCORE_RANGES, ScoreRange
from bounded_ddpg.report.stats import CONFIDENCE, FINISHED, Array, RunRecord, cell_order, iqm
from bounded_ddpg.report.stats import probability_of_improvement as pair_poi

Scores = list[Array]  # one array per task, the task's runs along the last axis
Estimate = tuple[float, float | None, float | None]  # point, interval low, interval high
GRID = 41  # points of the sample-efficiency curve


class AggregateError(ValueError):
    """The runs cannot be aggregated (no common task, an unknown task, mixed experiments); exit 1."""


def aggregate_iqm(s: Scores) -> Array:
    return iqm(np.concatenate(s, axis=-1))


def aggregate_mean(s: Scores) -> Array:
    return np.asarray(np.mean(np.stack([x.mean(axis=-1) for x in s], axis=-1), axis=-1))


def aggregate_median(s: Scores) -> Array:
    return np.asarray(np.median(np.stack([x.mean(axis=-1) for x in s], axis=-1), axis=-1))


def optimality_gap(s: Scores, gamma: float = 1.0) -> Array:
    return np.asarray(gamma - np.mean(np.minimum(np.concatenate(s, axis=-1), gamma), axis=-1))


def average_poi(x: Scores, y: Scores) -> Array:
    """rliable's probability_of_improvement: the mean over tasks of each task's P(X > Y)."""
    return np.asarray(np.mean(np.stack([pair_poi(a, b) for a, b in zip(x, y, strict=True)], -1), -1))


def profile(s: Scores, taus: Array) -> Array:
    """Fraction of all runs scoring above each tau (a [..., taus] array)."""
    pooled = np.concatenate(s, axis=-1)
    return np.asarray((pooled[..., None, :] > taus[:, None]).mean(axis=-1))


METRICS: dict[str, Callable[[Scores], Array]] = {
    "IQM": aggregate_iqm, "median": aggregate_median, "mean": aggregate_mean,
    "optimality gap": optimality_gap,
}  # fmt: skip


def resample(s: Scores, reps: int, rng: np.random.Generator) -> Scores:
    """One stratified resample per rep: every task's runs (last axis) drawn with replacement within it."""
    return [x[..., rng.integers(0, x.shape[-1], size=(reps, x.shape[-1]))].swapaxes(0, -2) if x.ndim > 1
            else x[rng.integers(0, x.size, size=(reps, x.size))] for x in s]  # fmt: skip


def interval(boot: Array) -> tuple[Array, Array]:
    """The 95% percentile interval of bootstrap statistics along axis 0."""
    alpha = (1.0 - CONFIDENCE) / 2
    lo, hi = np.percentile(boot, [100 * alpha, 100 * (1 - alpha)], axis=0)
    return lo, hi


def estimate(s: Scores, statistic: Callable[[Scores], Array], reps: int, seed: int) -> Estimate:
    """Point estimate and stratified bootstrap interval (None when a task has fewer than two runs)."""
    point = float(statistic(s))
    if any(x.size < 2 for x in s):
        return point, None, None
    lo, hi = interval(statistic(resample(s, reps, np.random.default_rng(seed))))
    return point, float(lo), float(hi)


def poi_estimate(x: Scores, y: Scores, reps: int, seed: int) -> Estimate:
    """P(X > Y) averaged over tasks; X's and Y's runs resampled independently, each within its tasks."""
    point = float(average_poi(x, y))
    if any(a.size < 2 for a in [*x, *y]):
        return point, None, None
    rng = np.random.default_rng(seed)
    lo, hi = interval(average_poi(resample(x, reps, rng), resample(y, reps, rng)))
    return point, float(lo), float(hi)


@dataclass(frozen=True)
class Aggregate:
    """The aggregate of `methods` over `tasks`: per method its normalised final scores per task, the
    METRICS' estimates, P(> baseline), and its runs' normalised curves per task ((fraction, score))."""

    methods: tuple[str, ...]
    tasks: tuple[str, ...]
    ranges: dict[str, ScoreRange]
    scores: dict[str, Scores]
    estimates: dict[str, dict[str, Estimate]]
    baseline: str | None
    poi: dict[str, Estimate]
    curves: dict[str, list[list[tuple[Array, Array]]]]
    notes: tuple[str, ...]
    reps: int
    seed: int


def method_of(r: RunRecord, agents: int) -> str:
    """'invert' when one agent is aggregated, else 'PA-DDPG / DDPG invert'."""
    return r.transform if agents == 1 else f"{agent_label(agent_of(r))} {r.transform}"


def final_metric(r: RunRecord, rng: ScoreRange) -> float | None:
    return r.final_return if rng.metric == RETURN else r.p_success


def normalised_curve(r: RunRecord, rng: ScoreRange) -> tuple[Array, Array]:
    """The run's evaluation curve against the fraction of its budget, its metric normalised."""
    x = "episode" if episode_budget(r) else "step"
    xs, ys = run_curve(r, x, rng.metric)
    end = r.total_episodes if x == "episode" else r.total_steps
    return xs / (end or xs[-1]), np.array([rng.normalise(v) for v in ys])


def build(
    records: list[RunRecord], problems: list[str], baseline: str | None, reps: int, seed: int
) -> Aggregate:
    """Normalise, restrict to the common tasks and estimate; AggregateError when nothing can be."""
    if unknown := sorted({r.env for r in records} - set(SCORE_RANGES)):
        raise AggregateError(f"no normalisation range for {', '.join(unknown)}; tasks with one: "
                             f"{', '.join(SCORE_RANGES)} (report/scores.py)")  # fmt: skip
    check_one_experiment(records, "report --aggregate")
    notes = list(problems)
    agents = len({agent_of(r) for r in records})
    order = {
        method_of(r, agents): (agent_rank(agent_of(r)), cell_order("", r.transform, ())) for r in records
    }
    methods = tuple(sorted(order, key=lambda m: order[m]))
    runs: dict[tuple[str, str], list[RunRecord]] = defaultdict(list)
    for r in sorted(records, key=lambda r: (r.seed or 0, r.source)):
        value = final_metric(r, SCORE_RANGES[r.env])
        if r.status == FINISHED and value is not None:
            runs[(method_of(r, agents), r.env)].append(r)
        else:
            notes.append(
                f"excluded ({r.status}{', no final metric' if r.status == FINISHED else ''}): {r.source}"
            )
    envs = sorted({r.env for r in records}, key=lambda e: (list(SCORE_RANGES).index(e), e))
    tasks = tuple(e for e in envs if all(runs.get((m, e)) for m in methods))
    for m in methods:
        if lacking := [e for e in envs if e not in tasks and not runs.get((m, e))]:
            common = ", ".join(tasks) or "none"
            notes.append(f"MISSING TASKS: {m} has no finished run on {', '.join(lacking)}; the aggregate "
                         f"is restricted to the tasks every method has: {common}")  # fmt: skip
    if not tasks:
        raise AggregateError("report --aggregate: no task has finished runs of every method:\n"
                             + "\n".join(f"- {n}" for n in notes if n.startswith("MISSING")))  # fmt: skip
    counts = {(m, t): len(runs[(m, t)]) for m in methods for t in tasks}
    if len(set(counts.values())) > 1:
        notes.append("UNEQUAL RUNS: runs per method and task differ (" + ", ".join(
            f"{m} {t}: {n}" for (m, t), n in counts.items()) + "); the IQM, optimality gap, profiles and "
            "curves pool runs, so a task with more runs weighs more")  # fmt: skip
    scores = {m: [np.array([SCORE_RANGES[t].normalise(final_metric(r, SCORE_RANGES[t]) or 0.0)
                            for r in runs[(m, t)]]) for t in tasks] for m in methods}  # fmt: skip
    estimates = {
        m: {name: estimate(scores[m], f, reps, seed) for name, f in METRICS.items()} for m in methods
    }
    base = baseline if baseline in methods else None
    poi = {m: poi_estimate(scores[m], scores[base], reps, seed) for m in methods if base and m != base}
    curves = {
        m: [[normalised_curve(r, SCORE_RANGES[t]) for r in runs[(m, t)]] for t in tasks] for m in methods
    }
    ranges = {t: SCORE_RANGES[t] for t in tasks}
    return Aggregate(methods, tasks, ranges, scores, estimates, base, poi, curves, tuple(notes), reps, seed)


def efficiency(
    curves: list[list[tuple[Array, Array]]], reps: int, seed: int
) -> tuple[Array, Array, Array, Array]:
    """Grid of budget fractions (the range every run covers), the IQM of all runs there, and its band."""
    start = max(float(x[0]) for task in curves for x, _ in task)
    grid = np.linspace(start, 1.0, GRID)
    s = [np.stack([np.interp(grid, x, y) for x, y in task], axis=-1) for task in curves]  # [points, runs]
    point = aggregate_iqm(s)
    if any(x.shape[-1] < 2 for x in s):
        return grid, point, point.copy(), point.copy()
    lo, hi = interval(aggregate_iqm(resample(s, reps, np.random.default_rng(seed))))
    return grid, point, lo, hi
