"""`report --aggregate`'s outputs: aggregate.md / .tex (booktabs) / .csv and two print-ready figures.

aggregate_intervals.{png,pdf}: per metric (IQM, median, mean, optimality gap) each method's point estimate
and 95% stratified bootstrap interval. aggregate_curves.{png,pdf}: the performance profile (fraction of
runs with normalised score > tau, with its band) and the sample-efficiency curve (IQM of the normalised
evaluation score against the fraction of the training budget, with its band). Both figures are drawn at
a two-column paper's text width (TWO_COLUMN_IN, 6.75 in) with 8 pt text (7 pt tick labels and
legend entries), at 300 dpi (2025 px wide); methods get print_style's Okabe-Ito colour-blind-safe palette
with distinct dash patterns and markers; the curves' legend sits below the axes, which keep their size.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from bounded_ddpg.report import print_style
from bounded_ddpg.report.aggregate import (
    METRICS,
    Aggregate,
    Estimate,
    efficiency,
    interval,
    profile,
    resample,
)
from bounded_ddpg.report.print_style import TWO_COLUMN_IN
from bounded_ddpg.report.scores import P_GOAL


def _fmt(e: Estimate, tex: bool = False) -> str:
    point, lo, hi = e
    ci = "[n/a]" if lo is None or hi is None else f"[{lo:.3f}, {hi:.3f}]"
    return f"{point:.3f} {ci}" if not tex else f"{point:.3f} {ci.replace('n/a', '--')}"


def _header(agg: Aggregate) -> list[str]:
    cols = ["method", *(f"{m} [95% CI]" for m in METRICS)]
    return cols + ([f"P(> {agg.baseline}) [95% CI]"] if agg.baseline else [])


def _cells(agg: Aggregate, m: str, tex: bool = False) -> list[str]:
    cells = [m, *(_fmt(agg.estimates[m][k], tex) for k in METRICS)]
    if agg.baseline:
        cells.append("base" if m == agg.baseline else _fmt(agg.poi[m], tex))
    return cells


def caption(agg: Aggregate) -> str:
    runs = ", ".join(f"{t} {'/'.join(sorted({str(agg.scores[m][i].size) for m in agg.methods}))}"
                     for i, t in enumerate(agg.tasks))  # fmt: skip
    return (f"Normalised final scores aggregated over {len(agg.tasks)} tasks (runs per method: {runs}); "
            f"95% stratified bootstrap intervals ({agg.reps} resamples, seed {agg.seed}), as in Agarwal "
            "et al. (2021). Optimality gap: lower is better.")  # fmt: skip


def render_markdown(agg: Aggregate) -> str:
    head = _header(agg)
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---", *["---:"] * (len(head) - 1)]) + "|"]
    lines += ["| " + " | ".join(_cells(agg, m)) + " |" for m in agg.methods]
    lines += ["", caption(agg), "", "| task | metric | score 0 | score 1 | score 0 is | score 1 is |",
              "|---|---|---:|---:|---|---|"]  # fmt: skip
    for t, r in agg.ranges.items():
        lines.append(f"| {t} | {r.metric} | {r.low} | {r.high} | {r.low_source} | {r.high_source} |")
    if agg.notes:
        lines += ["", "Notes:", *(f"- {n}" for n in agg.notes)]
    return "\n".join(lines) + "\n"


def render_latex(agg: Aggregate) -> str:
    head = _header(agg)
    esc = [h.replace("%", r"\%").replace(">", r"$>$") for h in head]
    lines = [r"\begin{table}[t]", r"\centering", f"\\caption{{{caption(agg)}}}",
             r"\begin{tabular}{l" + "r" * (len(head) - 1) + "}", r"\toprule", " & ".join(esc) + r" \\",
             r"\midrule"]  # fmt: skip
    lines += [
        " & ".join(c.replace("_", r"\_") for c in _cells(agg, m, tex=True)) + r" \\" for m in agg.methods
    ]
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def render_csv(agg: Aggregate) -> str:
    cols = ["method", "statistic", "value", "lo", "hi", "tasks", "runs"]
    rows = [",".join(cols)]
    named = [(m, k, agg.estimates[m][k]) for m in agg.methods for k in METRICS]
    named += [(m, f"P(> {agg.baseline})", e) for m, e in agg.poi.items()]
    for m, k, (point, lo, hi) in named:
        runs = sum(s.size for s in agg.scores[m])
        lo_s, hi_s = ("" if v is None else repr(v) for v in (lo, hi))
        rows.append(f'"{m}",{k},{point!r},{lo_s},{hi_s},{" ".join(agg.tasks)},{runs}')
    return "\n".join(rows) + "\n"


def plot_intervals(agg: Aggregate, out_dir: Path) -> list[Path]:
    """One panel per metric: each method's point estimate (marker) and interval (bar)."""
    n = len(agg.methods)
    with print_style.print_text():
        fig, axes = plt.subplots(1, len(METRICS), figsize=(TWO_COLUMN_IN, 0.3 * n + 1.1), sharey=True,
                                 layout="constrained")  # fmt: skip
        for ax, name in zip(axes, METRICS, strict=True):
            for i, m in enumerate(agg.methods):
                point, lo, hi = agg.estimates[m][name]
                y = n - 1 - i
                style = print_style.line_style(i)
                if lo is not None and hi is not None:
                    ax.plot([lo, hi], [y, y], color=style["color"], lw=5, alpha=0.55, solid_capstyle="butt")
                ax.plot(
                    [point], [y], color=style["color"], marker=style["marker"], ms=5, mec="black", mew=0.5
                )
            ax.set_title(name + ("\n(lower is better)" if name == "optimality gap" else "\n"))
            ax.set_xlabel("normalised score")
            ax.grid(axis="x", alpha=0.3)
        axes[0].set_yticks(range(n), list(reversed(agg.methods)))
        axes[0].set_ylim(-0.6, n - 0.4)
        return print_style.save(fig, out_dir, "aggregate_intervals")


def plot_curves(agg: Aggregate, out_dir: Path) -> list[Path]:
    """Performance profiles and sample-efficiency IQM curves, one line per method, legend below."""
    pooled = np.concatenate([s for m in agg.methods for s in agg.scores[m]])
    taus = np.linspace(min(0.0, float(pooled.min())), max(1.0, float(pooled.max())), 101)
    with print_style.print_text():
        fig, (left, right) = plt.subplots(1, 2, figsize=(TWO_COLUMN_IN, 2.4), layout="constrained")
        handles = []
        for i, m in enumerate(agg.methods):
            style = print_style.line_style(i)
            lo, hi = interval(
                profile(resample(agg.scores[m], agg.reps, np.random.default_rng(agg.seed)), taus)
            )
            left.fill_between(taus, lo, hi, color=style["color"], alpha=0.15, lw=0)
            (h,) = left.plot(taus, profile(agg.scores[m], taus), lw=1.4, markevery=10, ms=3.5, **style)
            handles.append(h)
            grid, point, clo, chi = efficiency(agg.curves[m], agg.reps, agg.seed)
            right.fill_between(grid, clo, chi, color=style["color"], alpha=0.15, lw=0)
            right.plot(grid, point, lw=1.4, markevery=8, ms=3.5, **style)
        left.set(xlabel=r"normalised score $\tau$", ylabel=r"fraction of runs with score $> \tau$",
                 title="performance profile", ylim=(-0.02, 1.02))  # fmt: skip
        right.set(xlabel="fraction of the training budget", ylabel="IQM normalised score",
                  title="sample efficiency (IQM over all runs)")  # fmt: skip
        for ax in (left, right):
            ax.grid(alpha=0.3)
        metrics = sorted({r.metric for r in agg.ranges.values()}, key=lambda k: k != P_GOAL)
        n_tasks = len(agg.tasks)
        title = f"method ({', '.join(metrics)} normalised; {n_tasks} tasks; 95% stratified bootstrap bands)"
        print_style.legend_below(fig, handles, list(agg.methods), title)
        return print_style.save(fig, out_dir, "aggregate_curves")
