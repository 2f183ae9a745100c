"""Learning curves for the ordinary report (curves.png, curves.pdf).

One panel per environment; each line one report cell (a transform, plus any `--by` values): the mean
over its runs, with a 95% percentile bootstrap band of that mean. Runs whose evaluation points differ are
linearly interpolated onto the union of their evaluation points within the range every run of the cell
covers (no extrapolation). The y value is the environment's metric (curve_metric): eval.csv's success
rate (P(goal) on Goal) when every finished run of the env has that column and reports a final one, else
the evaluation return; the axis says which. Print width (print_style.py): one column (3.25 in) for one
environment, two columns (6.75 in, up to three panels a row) for more; the legend below the panels; the
number of runs per line in each panel's title; coinciding lines said there too.
"""

from __future__ import annotations

import textwrap
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from bounded_ddpg.report import print_style
from bounded_ddpg.report.main_table import RETURN, metric_of
from bounded_ddpg.report.stats import CONFIDENCE, FINISHED, Array, RunRecord, by_value, cell_order

# One curve of one run: (x, evaluation return or success rate), both 1-D and of equal length, x increasing.
Curve = tuple[Array, Array]
MAX_GRID = 200
UNFINISHED = " (unfinished)"
X_LABELS = {"step": "environment steps", "episode": "training episodes"}


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


def curve_metric(finished: list[RunRecord]) -> str:
    """What an environment's curves show: its success rate ('P(goal)') when every one of its finished runs
    has an evaluation success column as long as its return column, else 'return'."""
    has_curve = all(len(r.p_successes) == len(r.returns) > 0 for r in finished)
    return metric_of(finished) if finished and has_curve else RETURN


def y_label(metric: str) -> str:
    return "evaluation return" if metric == RETURN else f"evaluation {metric}"


def curve_panels(
    records: list[RunRecord], x: str, by: tuple[str, ...], unfinished: bool
) -> dict[str, dict[str, list[Curve]]]:
    """env -> line label -> runs' (x, metric) curves (metric: curve_metric of the env's finished runs).
    Finished runs only, unless ``unfinished``: then runs still running or interrupted get their own lines,
    labelled "(unfinished)" (and drawn with hollow markers)."""
    metric = {e: curve_metric([r for r in records if r.env == e and r.status == FINISHED])
              for e in {r.env for r in records}}  # fmt: skip
    panels: dict[str, dict[str, list[Curve]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        xs = np.array(r.steps if x == "step" else r.episodes, dtype=float)
        ys = r.returns if metric[r.env] == RETURN else r.p_successes
        partial = unfinished and r.status in ("running", "interrupted")
        if (r.status == FINISHED or partial) and xs.size and xs.size == len(ys):
            label = " ".join([r.transform, *[f"{k}={by_value(r, k)}" for k in by]])
            panels[r.env][label + (UNFINISHED if partial else "")].append((xs, np.array(ys, float)))
    return {
        e: dict(sorted(panels[e].items(), key=lambda kv: cell_order(e, kv[0].split()[0], ())))
        for e in sorted(panels)
    }


def draw_mean(
    ax: Axes, curves: list[Curve], style: Mapping[str, Any], reps: int, seed: int
) -> tuple[Array, Array] | None:
    """Draw one cell's mean curve (``style``: print_style.line_style) and, for several runs, its 95% band;
    returns (grid, mean), or None when the runs share no x range. Runs evaluated once, at the same point
    (another code's final evaluation, report/reference.py) are one large marker with the band as error
    bar, drawn above the lines."""
    grid = common_grid(curves)
    if grid is None:
        return None
    m, lo, hi = mean_band(interpolate(curves, grid), reps, seed)
    if grid.size == 1:
        point = {k: v for k, v in style.items() if k != "linestyle"}
        ax.errorbar(grid, m, yerr=[m - lo, hi - m], linestyle="none", markersize=6, capsize=2.5,
                    markeredgecolor="black", markeredgewidth=0.6, zorder=5, **point)  # fmt: skip
        return grid, m
    ax.plot(grid, m, markevery=0.1, **style)
    if len(curves) > 1:
        ax.fill_between(grid, lo, hi, color=style["color"], alpha=0.15, lw=0)
    return grid, m


def draw_panel(
    ax: Axes,
    lines: Mapping[str, list[Curve]],
    styles: Mapping[str, Mapping[str, Any]],
    x: str,
    y: str,
    reps: int,
    seed: int,
) -> str:
    """One panel's lines, bands and axes (x: 'step' or 'episode', y: its metric); returns the note for its
    title: lines that coincide, lines not drawn (their runs share no x range); '' when none."""
    drawn = {}
    for label, curves in lines.items():
        if (mean := draw_mean(ax, curves, styles.get(label, {}), reps, seed)) is not None:
            drawn[label] = mean
    if y != RETURN:
        ax.set_ylim(-0.03, 1.03)
    ax.xaxis.set_major_formatter(FuncFormatter(thousands))  # 20k, not 20000 (long ticks collide)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))  # ticks apart at 7 pt
    ax.set_xlabel(X_LABELS[x])
    ax.set_ylabel(y_label(y))
    ax.grid(alpha=0.3)
    missing = [label for label in lines if label not in drawn]
    notes = [print_style.coinciding_note(drawn)]
    notes += [f"not drawn, its runs share no range: {', '.join(missing)}"] if missing else []
    return "; ".join(n for n in notes if n)


def runs_label(lines: Mapping[str, list[Curve]]) -> str:
    ns = sorted({len(c) for c in lines.values()})
    return f"N={ns[0]}" if len(ns) == 1 else f"N={ns[0]}-{ns[-1]}"


def has_curves(panels: Mapping[str, Mapping[str, list[Curve]]]) -> bool:
    """Whether any line of any panel has a point to draw: runs with a common x range (common_grid)."""
    return any(common_grid(curves) is not None for lines in panels.values() for curves in lines.values())


def plot_curves(
    panels: dict[str, dict[str, list[Curve]]],
    x: str,
    out_dir: Path,
    reps: int,
    seed: int,
    metrics: Mapping[str, str] | None = None,
) -> list[Path]:
    """Draw `panels` (env -> line label -> runs' curves; `metrics`: env -> its metric, default return)
    into curves.png and curves.pdf in `out_dir`. Panels without a curve are left out; with none at all,
    nothing is drawn and [] is returned."""
    envs = [e for e in panels if has_curves({e: panels[e]})]
    if not envs:
        return []
    labels = list(dict.fromkeys(label for env in envs for label in panels[env]
                                if common_grid(panels[env][label]) is not None))  # fmt: skip
    styles = {label: print_style.line_style(i) for i, label in enumerate(labels)}
    for label in labels:  # unfinished runs: hollow markers, and the label says so
        styles[label] |= {"markerfacecolor": "white"} if label.endswith(UNFINISHED) else {}
    ncols = min(3, len(envs))
    nrows = -(-len(envs) // ncols)
    width = print_style.ONE_COLUMN_IN if ncols == 1 else print_style.TWO_COLUMN_IN
    with print_style.print_text():
        fig, axes = plt.subplots(nrows, ncols, figsize=(width, 2.1 * nrows), squeeze=False,
                                 layout="constrained")  # fmt: skip
        for ax, env in zip(axes.flat, envs, strict=False):
            y = (metrics or {}).get(env, RETURN)
            lines = {label: curves for label, curves in panels[env].items() if label in styles or
                     common_grid(curves) is None}  # fmt: skip
            note = draw_panel(ax, lines, styles, x, y, reps, seed)
            parts = [f"{env} ({runs_label(panels[env])})", *([note] if note else [])]
            ax.set_title("\n".join(textwrap.fill(part, 40 if ncols == 1 else 28) for part in parts))
        for ax in list(axes.flat)[len(envs) :]:
            ax.remove()
        handles = [Line2D([], [], **styles[label]) for label in labels]
        print_style.legend_below(fig, handles, labels, "mean over runs, 95% bootstrap band")
        return print_style.save(fig, out_dir, "curves")
