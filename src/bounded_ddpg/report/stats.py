"""Statistics for the report: run records in, one row of point estimates and intervals per cell out.

Follows Agarwal et al. (2021), "Deep RL at the Edge of the Statistical Precipice" (rliable), with
`scipy.stats.bootstrap` in place of rliable's own resampler. A report cell is one (environment, method)
pair, i.e. a single stratum, so rliable's stratified bootstrap reduces to the ordinary percentile bootstrap
over that cell's runs; for the probability of improvement the two cells are resampled independently
(scipy resamples each sample of a multi-sample statistic on its own, as rliable does per method).
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

Array = npt.NDArray[np.float64]
CONFIDENCE = 0.95
CANONICAL = ("identity", "clip", "zero", "squash", "invert")
FINISHED, DIVERGED = "finished", "diverged"


@dataclass(frozen=True)
class RunRecord:
    """One run as the report sees it, whatever its source (a run directory or a W&B run)."""

    source: str
    env: str
    transform: str
    seed: int | None
    status: str
    config: dict[str, Any]
    final_return: float | None
    p_success: float | None = None  # final_eval.p_success (p_goal in runs older than env.success_key)
    frac_at_bounds: float | None = None
    frac_out_of_bounds: float | None = None
    steps: tuple[float, ...] = ()
    episodes: tuple[float, ...] = ()
    returns: tuple[float, ...] = ()
    p_successes: tuple[float, ...] = ()  # eval.csv's p_success (or p_goal) column, one per row, else empty
    total_steps: float | None = None  # summary.json's steps / episodes: where training ended
    total_episodes: float | None = None
    success_key: str | None = None  # the env's success_key (runs older than it: goal, where they have p_goal)
    success_field: str = "p_success"  # where summary.json holds P(success): p_success, or p_goal (older runs)


def num(v: Any) -> float | None:
    """A finite float, or None for null / missing / non-numeric / non-finite values."""
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    return float(v)


def iqm(x: Array, axis: int = -1) -> Array:
    """Interquartile mean: the mean of the middle 50% (scipy's trim_mean with 25% cut at each end)."""
    return np.asarray(stats.trim_mean(x, 0.25, axis=axis), dtype=np.float64)


def mean(x: Array, axis: int = -1) -> Array:
    """Arithmetic mean along `axis` (named so it can be passed as a bootstrap statistic)."""
    return np.asarray(np.mean(x, axis=axis), dtype=np.float64)


def probability_of_improvement(x: Array, y: Array, axis: int = -1) -> Array:
    """P(X > Y) + 0.5 P(X = Y) over all pairs (x_i, y_j), as rliable defines it (Mann-Whitney U / (n m)).

    Vectorised over leading dimensions; `axis` must be the last one (what scipy's bootstrap passes).
    """
    if axis not in (-1, x.ndim - 1):
        raise ValueError("probability_of_improvement works along the last axis only")
    xs, ys = x[..., :, None], y[..., None, :]
    wins = (xs > ys).astype(np.float64) + 0.5 * (xs == ys).astype(np.float64)
    return np.asarray(wins.mean(axis=(-2, -1)), dtype=np.float64)


def bootstrap_ci(
    samples: tuple[Array, ...], statistic: Callable[..., Array], reps: int, seed: int
) -> tuple[float, float] | None:
    """95% percentile bootstrap interval of `statistic`, each sample resampled on its own.

    Returns None when any sample has fewer than two values (no interval can be estimated). Seeded: the same
    seed gives the same interval whatever other cells exist.
    """
    if any(len(s) < 2 for s in samples):
        return None
    res = stats.bootstrap(
        samples,
        statistic,
        n_resamples=reps,
        vectorized=True,
        confidence_level=CONFIDENCE,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


@dataclass(frozen=True)
class CellStats:
    """Statistics of one cell's final returns; intervals are None when the cell has fewer than 2 runs."""

    n: int
    mean: float
    mean_ci: tuple[float, float] | None
    iqm: float
    iqm_ci: tuple[float, float] | None
    median: float


def cell_stats(returns: Array, reps: int, seed: int) -> CellStats:
    """Mean, IQM and median of a cell's final returns, with 95% bootstrap intervals for mean and IQM."""
    x = np.asarray(returns, dtype=np.float64)
    if x.size == 0:
        nan = float("nan")
        return CellStats(0, nan, None, nan, None, nan)
    return CellStats(
        n=int(x.size),
        mean=float(np.mean(x)),
        mean_ci=bootstrap_ci((x,), mean, reps, seed),
        iqm=float(iqm(x)),
        iqm_ci=bootstrap_ci((x,), iqm, reps, seed),
        median=float(np.median(x)),
    )


def improvement(x: Array, y: Array, reps: int, seed: int) -> tuple[float, tuple[float, float] | None]:
    """Probability of improvement of X over Y, with its bootstrap interval (None if either has < 2 runs)."""
    xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if xa.size == 0 or ya.size == 0:
        return float("nan"), None
    point = float(probability_of_improvement(xa, ya))
    return point, bootstrap_ci((xa, ya), probability_of_improvement, reps, seed)


@dataclass(frozen=True)
class Row:
    """One report cell: (env, transform, `--by` values) with its statistics over finished runs."""

    env: str
    transform: str
    by: tuple[str, ...]
    stats: CellStats
    diverged: int
    p_success: float | None
    poi: float | None  # probability of improvement over the baseline; None: no baseline, or this is it
    poi_ci: tuple[float, float] | None
    is_baseline: bool
    at_bounds_pct: float | None
    out_of_bounds_pct: float | None
    missing_seeds: tuple[int, ...]


@dataclass(frozen=True)
class TableInfo:
    """What the table's headers and caption need to say."""

    by: tuple[str, ...]
    baseline: str | None
    reps: int
    seed: int
    success: str | None  # the success key(s) of the runs (the P(<key>) column), None: no such column


def success_keys(records: list[RunRecord]) -> str | None:
    """The success key(s) of the runs that report P(success) ('goal', 'is_success'; several joined by '/'),
    else None: the label of the P(<key>) column."""
    keys = sorted({r.success_key or "success" for r in records if r.p_success is not None})
    return "/".join(keys) or None


def get_dotted(d: dict[str, Any], path: str) -> Any:
    """d['a']['b'] for path 'a.b'; KeyError when any part is absent."""
    for part in path.split("."):
        if not isinstance(d, dict) or part not in d:
            raise KeyError(path)
        d = d[part]
    return d


def leaf_paths(d: dict[str, Any], prefix: str = "") -> list[str]:
    """Every dotted path to a non-mapping value in `d`."""
    out: list[str] = []
    for k, v in d.items():
        out += leaf_paths(v, f"{prefix}{k}.") if isinstance(v, dict) and v else [f"{prefix}{k}"]
    return out


# Config keys that legitimately differ between runs of one experiment (docs/report.md, "One experiment
# per cell"): the seed (a cell's sample), the batching and where and how a run was executed and logged.
# transform.name is the row; every other key that differs between an env's runs splits its cells.
PER_RUN_KEYS = frozenset({
    "seed", "seeds", "transforms", "run_id", "out_dir", "progress", "device", "torch_threads",
    "checkpoint_every_steps", "log_every_steps", "tensorboard", "transform.name",
})  # fmt: skip
PER_RUN_PREFIXES = ("wandb.",)
NO_CONFIG, NO_CONFIG_KEY = "<no config>", "config"  # runs without a config form their own cells
AGENT_KEY = "agent.name"


def _schema_defaults() -> dict[str, Any]:
    """Dotted key -> the schema's default (bounded_ddpg/config.py), for every key that has one."""
    from bounded_ddpg import config  # the schema only: no training code

    def walk(cls: Any, prefix: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            sub = getattr(config, f.type, None) if isinstance(f.type, str) else f.type
            if isinstance(sub, type) and dataclasses.is_dataclass(sub):
                out |= walk(sub, f"{prefix}{f.name}.")
            elif f.default is not dataclasses.MISSING and f.default != "???":  # "???": omegaconf.MISSING
                out[f"{prefix}{f.name}"] = f.default
            elif f.default_factory is not dataclasses.MISSING:
                out[f"{prefix}{f.name}"] = f.default_factory()
        return out

    return walk(config.Config, "")


_DEFAULTS: dict[str, Any] = {}


def show(v: Any) -> str:
    """A config value as table text: YAML's spelling for null and booleans, Python's for the rest."""
    return "null" if v is None else str(v).lower() if isinstance(v, bool) else str(v)


def by_value(r: RunRecord, key: str) -> str:
    """The config value under dotted `key` as table text. A key the run's config lacks has the schema's
    default (configs written before the key existed); '<unset>' when the schema has none either, and
    '<no config>' for a run without any config."""
    if not r.config:
        return NO_CONFIG
    if key == NO_CONFIG_KEY:
        return "recorded"
    try:
        return show(get_dotted(r.config, key))
    except KeyError:
        if not _DEFAULTS:
            _DEFAULTS.update(_schema_defaults())
        return show(_DEFAULTS[key]) if key in _DEFAULTS else "<unset>"


def per_run_key(key: str) -> bool:
    """Whether `key` legitimately differs between repetitions of one experiment (PER_RUN_KEYS)."""
    return key in PER_RUN_KEYS or key.startswith(PER_RUN_PREFIXES)


def experiment_keys(records: list[RunRecord], by: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Per env, the config keys (beyond `by` and PER_RUN_KEYS) whose values differ between its runs: runs
    that differ in one are different experiments, so these keys split cells as `--by` keys do. Keys under
    ``transform.`` (a transform's own parameters) are compared between runs of the same transform only;
    runs without a config differ from runs with one (key ``config``). Runs of different agents
    (``agent.name``: ours, or another code's run here, report/reference.py) differ in that key alone:
    their other keys are compared between runs of the same agent only, since different agents have
    different settings by nature (and a reference run records none of ours)."""
    keys: dict[str, set[str]] = defaultdict(set)
    groups: dict[tuple[str, str], list[RunRecord]] = defaultdict(list)
    for r in records:
        groups[(r.env, "")].append(r)
        groups[(r.env, r.transform)].append(r)
    for (env, transform), rs in groups.items():
        if any(not r.config for r in rs) and any(r.config for r in rs):
            keys[env].add(NO_CONFIG_KEY)
        by_agent: dict[str, list[RunRecord]] = defaultdict(list)
        for r in rs:
            if r.config:
                by_agent[by_value(r, AGENT_KEY)].append(r)
        if len(by_agent) > 1 and AGENT_KEY not in by:
            keys[env].add(AGENT_KEY)
        for same in by_agent.values():
            paths = {k for r in same for k in leaf_paths(r.config)} - set(by)
            paths = {k for k in paths if not per_run_key(k) and k.startswith("transform.") == bool(transform)}
            keys[env] |= {k for k in paths if len({by_value(r, k) for r in same}) > 1}
    return {env: tuple(sorted(ks)) for env, ks in sorted(keys.items()) if ks}


def cell_order(env: str, transform: str, by: tuple[str, ...]) -> tuple[Any, ...]:
    """Sort key: env, then transform in canonical order (others alphabetically), then --by values."""
    rank = CANONICAL.index(transform) if transform in CANONICAL else len(CANONICAL)

    def val(v: str) -> tuple[int, float, str]:
        x = num(_float_or_none(v))
        return (0, x, "") if x is not None else (1, 0.0, v)

    return (env, rank, transform, *[val(v) for v in by])


def _float_or_none(v: str) -> float | None:
    try:
        return float(v)
    except ValueError:
        return None


def _mean_pct(vals: list[float | None]) -> float | None:
    xs = [v for v in vals if v is not None]
    return 100.0 * float(np.mean(xs)) if xs else None


def seed_notes(label: str, seeds: list[int], expected: set[int], scope: str) -> list[str]:
    """The 'missing seeds' and 'duplicate seeds' notes of one cell: ``seeds`` are its runs' seeds,
    ``expected`` every seed of its ``scope`` (its env, or its env and agent in the main table)."""
    out = []
    if missing := sorted(expected - set(seeds)):
        out.append(f"missing seeds: {label}: {', '.join(map(str, missing))} "
                   f"({len(set(seeds))} of {len(expected)} seeds {scope})")  # fmt: skip
    if dups := sorted({s for s in seeds if seeds.count(s) > 1}):
        out.append(f"duplicate seeds: {label}: {', '.join(map(str, dups))} (each run counted)")
    return out


def build_rows(
    records: list[RunRecord], by: tuple[str, ...], baseline: str | None, reps: int, seed: int
) -> tuple[list[Row], list[str]]:
    """Group records into cells and compute each cell's row; also the notes on what was left out and why."""
    cells: dict[tuple[str, str, tuple[str, ...]], list[RunRecord]] = defaultdict(list)
    for r in records:
        cells[(r.env, r.transform, tuple(by_value(r, k) for k in by))].append(r)
    # A cell's expected seeds are those of its experiment (its env and --by / experiment-key values) only.
    seeds_in_experiment: dict[tuple[str, tuple[str, ...]], set[int]] = defaultdict(set)
    for (env, _, bys), rs in cells.items():
        seeds_in_experiment[(env, bys)] |= {r.seed for r in rs if r.seed is not None}

    def finals(rs: list[RunRecord]) -> np.ndarray:
        return np.array([r.final_return for r in rs if r.status == FINISHED and r.final_return is not None])

    rows: list[Row] = []
    notes: list[str] = []
    for key in sorted(cells, key=lambda k: cell_order(*k)):
        env, transform, bys = key
        rs = cells[key]
        done = [r for r in rs if r.status == FINISHED]
        x = finals(rs)
        base = cells.get((env, baseline, bys)) if baseline else None
        poi, poi_ci = (
            improvement(x, finals(base), reps, seed) if base and transform != baseline else (None, None)
        )
        seeds = [r.seed for r in rs if r.seed is not None]
        expected = seeds_in_experiment[(env, bys)]
        missing = tuple(sorted(expected - set(seeds)))
        values = [f"{k}={v}" for k, v in zip(by, bys, strict=True)]
        label = " ".join([env, transform, *values])
        notes += seed_notes(label, seeds, expected, " ".join(["in", env, *values]))
        pgs = [r.p_success for r in done if r.p_success is not None]
        rows.append(Row(
            env, transform, bys, cell_stats(x, reps, seed), sum(r.status == DIVERGED for r in rs),
            float(np.mean(pgs)) if pgs else None, poi, poi_ci, baseline == transform,
            _mean_pct([r.frac_at_bounds for r in done]), _mean_pct([r.frac_out_of_bounds for r in done]),
            missing,
        ))  # fmt: skip
    for r in sorted(records, key=lambda r: (cell_order(r.env, r.transform, ()), r.seed or 0, r.source)):
        if r.status == DIVERGED:
            notes.append(f"diverged (counted in 'diverged', excluded from the statistics): {r.source}")
        elif r.status != FINISHED:
            why = "excluded from the statistics; curves only with --unfinished-curves"
            notes.append(f"status '{r.status}' ({why}): {r.source}")
    return rows, notes
