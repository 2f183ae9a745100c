"""Learning curves for the report.

Curves: evaluation return over training, one panel per environment. Each line is one report cell (a
transform, plus any `--by` values): the mean over its runs, with a 95%
percentile bootstrap band of that mean. Runs whose evaluation points differ are linearly interpolated onto the
union of their evaluation points within the range every run of the cell covers (no extrapolation).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from bounded_ddpg.report.stats import CONFIDENCE, Array

# One curve of one run: (x, evaluation return), both 1-D and of equal length, x increasing.
Curve = tuple[Array, Array]
MAX_GRID = 200


def mean_band(curves: Array, reps: int, seed: int) -> tuple[Array, Array, Array]:
    """Across-run mean of `curves` [runs, points] and its 95% percentile bootstrap band per point.

    With a single run the band collapses onto the mean.
    """
    m = curves.mean(axis=0)
    if curves.shape[0] < 2:
        return m, m.copy(), m.copy()
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, curves.shape[0], size=(reps, curves.shape[0]))
    boot = curves[idx].mean(axis=1)
    alpha = (1.0 - CONFIDENCE) / 2
    lo, hi = np.quantile(boot, [alpha, 1.0 - alpha], axis=0)
    return m, lo, hi


def common_grid(curves: list[Curve]) -> Array | None:
    """The runs' own x when they all agree, else the union of their x within the range all of them cover."""
    xs = [c[0] for c in curves if c[0].size > 0]
    if not xs:
        return None
    if all(x.shape == xs[0].shape and np.array_equal(x, xs[0]) for x in xs):
        return xs[0]
    lo, hi = max(float(x[0]) for x in xs), min(float(x[-1]) for x in xs)
    if lo > hi:
        return None
    grid = np.unique(np.concatenate(xs))
    grid = grid[(grid >= lo) & (grid <= hi)]
    return grid if grid.size <= MAX_GRID else np.linspace(lo, hi, MAX_GRID)


def interpolate(curves: list[Curve], grid: Array) -> Array:
    """Every run's return on `grid`, stacked as [runs, points]."""
    return np.stack([np.interp(grid, x, y) for x, y in curves if x.size > 0])


def thousands(value: float, _position: int | None = None) -> str:
    return f"{value / 1000:g}k" if abs(value) >= 1000 else f"{value:g}"


def draw_mean(
    ax: Axes, curves: list[Curve], color: Any, reps: int, seed: int, **line: Any
) -> tuple[Array, Array] | None:
    """Draw one cell's mean curve (``line``: its plot keywords) and, for several runs, its 95% band;
    returns (grid, mean), or None when the runs share no x range."""
    grid = common_grid(curves)
    if grid is None:
        return None
    m, lo, hi = mean_band(interpolate(curves, grid), reps, seed)
    ax.plot(grid, m, color=color, **line)
    if len(curves) > 1:
        ax.fill_between(grid, lo, hi, color=color, alpha=0.2, lw=0)
    return grid, m


def plot_curves(
    panels: dict[str, dict[str, list[Curve]]], x_label: str, out_dir: Path, reps: int, seed: int
) -> list[Path]:
    """Draw `panels` (env -> line label -> runs' curves) into curves.png and curves.pdf in `out_dir`."""
    envs = list(panels)
    labels = list(dict.fromkeys(label for env in envs for label in panels[env]))
    colors = {label: plt.get_cmap("tab10")(i % 10) for i, label in enumerate(labels)}
    ncols = min(3, max(1, len(envs)))
    nrows = -(-max(1, len(envs)) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.4 * ncols, 3.6 * nrows), squeeze=False)
    for ax, env in zip(axes.flat, envs, strict=False):
        for label, curves in panels[env].items():
            dashed = label.endswith("(unfinished)")
            draw_mean(ax, curves, colors[label], reps, seed, label=f"{label} (N={len(curves)})", lw=1.6,
                      ls="--" if dashed else "-")  # fmt: skip
        ax.set_title(env)
        ax.xaxis.set_major_formatter(FuncFormatter(thousands))  # 20k, not 20000 (long ticks collide)
        ax.set_xlabel(x_label)
        ax.set_ylabel("evaluation return")
        ax.grid(alpha=0.3)
        if ax.lines:
            # beside the panel, not on it: a legend inside the axes hides curves and bands
            ax.legend(fontsize="small", frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        else:  # runs without evaluation rows (eval.every_steps=0 and unfinished)
            ax.text(0.5, 0.5, "no evaluation curves", ha="center", va="center", transform=ax.transAxes)
    for ax in list(axes.flat)[len(envs) :]:
        ax.set_visible(False)
    fig.suptitle("Mean evaluation return, 95% bootstrap band over runs", fontsize="medium")
    fig.tight_layout()
    paths = [out_dir / "curves.png", out_dir / "curves.pdf"]
    for p in paths:
        fig.savefig(p, dpi=120)
    plt.close(fig)
    return paths
