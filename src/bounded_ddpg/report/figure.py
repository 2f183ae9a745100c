"""The main figure (`report --main`): learning curves, one column per environment, one row per agent.

Each panel is one (agent, env); each line one transform (the same colour in every panel): the mean over the
cell's finished runs with a 95% percentile bootstrap band of that mean (plots.mean_band), runs interpolated
onto a common grid (plots.common_grid). The y value is the environment's main-table metric: eval.csv's
p_goal column where the metric is P(goal) and every finished run of the env has that column, else the
evaluation return. The x axis is training episodes for panels whose runs have an episode budget
(budget.episodes set, budget.steps null), else environment steps. Every curve ends where its run ended:
when a run's last eval.csv row lies before its summary's `episodes` / `steps` (its end of training), the
final evaluation (final_eval) is appended there, so a common grid reaches the budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from bounded_ddpg.report.main_table import (
    RETURN,
    agent_label,
    agent_of,
    agent_rank,
    env_order,
    groups,
    metric_of,
)
from bounded_ddpg.report.plots import Curve, draw_mean, thousands
from bounded_ddpg.report.stats import FINISHED, RunRecord, by_value, cell_order

PARAMETERISED_ONLY = ("pdqn", "mpdqn")  # agents that need a parameterised action space (config.py)
DPI = 160
Color = tuple[float, float, float, float]


@dataclass(frozen=True)
class Panel:
    """One (agent, env) panel: x axis ('episode' or 'step'), y ('P(goal)' or 'return'), transform ->
    the finished runs' curves, in table order."""

    agent: str
    env: str
    x: str
    y: str
    lines: dict[str, list[Curve]]


@dataclass(frozen=True)
class Layout:
    """The grid: columns `envs`, rows `agents`; `panels` for (agent, env) with runs, `absent` the text of
    the others ('not run', or 'n/a' where the agent cannot run that env); `transforms` fixes the colours."""

    envs: tuple[str, ...]
    agents: tuple[str, ...]
    panels: dict[tuple[str, str], Panel]
    absent: dict[tuple[str, str], str]
    transforms: tuple[str, ...]


def episode_budget(r: RunRecord) -> bool:
    """Whether the run trained for a number of episodes (budget.episodes set, budget.steps null)."""
    return by_value(r, "budget.episodes") != "null" and by_value(r, "budget.steps") == "null"


def run_curve(r: RunRecord, x: str, y: str) -> Curve:
    """The run's evaluation curve (x, y), with its final evaluation appended at its end of training when
    the last eval.csv row lies before it."""
    xs = list(r.episodes if x == "episode" else r.steps)
    ys = list(r.returns if y == RETURN else r.p_successes)
    end = r.total_episodes if x == "episode" else r.total_steps
    final = r.final_return if y == RETURN else r.p_success
    if end is not None and final is not None and (not xs or end > xs[-1]):
        xs, ys = [*xs, end], [*ys, final]
    return np.array(xs, dtype=float), np.array(ys, dtype=float)


def layout(records: list[RunRecord]) -> Layout:
    """Which panels the figure has and what each holds (finished runs only)."""
    done = [r for r in records if r.status == FINISHED]
    envs = tuple(env_order(records))
    agents = tuple(sorted({agent_of(r) for r in records}, key=agent_rank))
    y_of = {}
    for env in envs:
        rs = [r for r in done if r.env == env]
        has_curve = all(len(r.p_successes) == len(r.returns) > 0 for r in rs)
        y_of[env] = metric_of(rs) if has_curve else RETURN
    panels: dict[tuple[str, str], Panel] = {}
    for (env, agent), rs in groups(done).items():
        x = "episode" if all(episode_budget(r) for r in rs) else "step"
        lines: dict[str, list[Curve]] = {}
        for r in sorted(rs, key=lambda r: (cell_order("", r.transform, ()), r.seed or 0, r.source)):
            lines.setdefault(r.transform, []).append(run_curve(r, x, y_of[env]))
        panels[(agent, env)] = Panel(agent, env, x, y_of[env], lines)
    parameterised = {e: any(by_value(r, "env.parameterised") == "true" for r in records if r.env == e)
                     for e in envs}  # fmt: skip
    absent = {
        (a, e): "n/a: needs a parameterised\naction space" if a in PARAMETERISED_ONLY and not parameterised[e]
        else "not run"
        for a in agents for e in envs if (a, e) not in panels
    }  # fmt: skip
    transforms = tuple(sorted({r.transform for r in done}, key=lambda t: cell_order("", t, ())))
    return Layout(envs, agents, panels, absent, transforms)


def plot_figure(lay: Layout, out_dir: Path, reps: int, seed: int) -> list[Path]:
    """Draw `lay` into figure.png (at least 1600 px wide) and figure.pdf (vector) in `out_dir`."""
    colors = {t: plt.get_cmap("tab10")(i % 10) for i, t in enumerate(lay.transforms)}
    ncols, nrows = max(1, len(lay.envs)), max(1, len(lay.agents))
    width = max(4.2 * ncols, 10.5)  # 10.5 in at 160 dpi: 1680 px
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(width, 2.7 * nrows + 0.9), squeeze=False, layout="constrained"
    )
    for i, agent in enumerate(lay.agents):
        for j, env in enumerate(lay.envs):
            ax = axes[i, j]
            title = f"{env} — {agent_label(agent)}"
            panel = lay.panels.get((agent, env))
            if panel is None:
                ax.set_axis_off()
                ax.set_title(title, fontsize="small", color="0.55")
                ax.text(0.5, 0.5, lay.absent[(agent, env)], ha="center", va="center", color="0.55",
                        fontsize="small", transform=ax.transAxes)  # fmt: skip
                continue
            _draw(ax, panel, colors, reps, seed)
            ns = sorted({len(c) for c in panel.lines.values()})
            n = f"N={ns[0]}" if len(ns) == 1 else f"N={ns[0]}-{ns[-1]}"
            ax.set_title(f"{title} ({n})", fontsize="small")
    handles = [Line2D([], [], color=colors[t], lw=2) for t in lay.transforms]
    fig.legend(handles, list(lay.transforms), loc="outside lower center", ncol=max(1, len(handles)),
               frameon=False, title="transform (mean over runs, 95% bootstrap band)")  # fmt: skip
    paths = [out_dir / "figure.png", out_dir / "figure.pdf"]
    for p in paths:
        fig.savefig(p, dpi=DPI)
    plt.close(fig)
    return paths


def _draw(ax: Axes, panel: Panel, colors: Mapping[str, Color], reps: int, seed: int) -> None:
    """One panel's lines and bands, axes labelled by its x and y."""
    drawn: list[tuple[np.ndarray, np.ndarray]] = []
    for transform, curves in panel.lines.items():
        if (mean := draw_mean(ax, curves, colors[transform], reps, seed, lw=1.4)) is not None:
            drawn.append(mean)
    if len(drawn) > 1 and all(g.shape == drawn[0][0].shape and np.allclose(g, drawn[0][0]) and
                              np.allclose(m, drawn[0][1]) for g, m in drawn):  # fmt: skip
        ax.text(0.98, 0.95, f"all {len(drawn)} lines coincide (the last drawn shows)", ha="right",
                va="top", fontsize="x-small", color="0.4", transform=ax.transAxes)  # fmt: skip
    if panel.y != RETURN:
        ax.set_ylim(-0.03, 1.03)
    ax.xaxis.set_major_formatter(FuncFormatter(thousands))
    ax.set_xlabel("training episodes" if panel.x == "episode" else "environment steps", fontsize="small")
    ax.set_ylabel("evaluation return" if panel.y == RETURN else panel.y, fontsize="small")
    ax.tick_params(labelsize="x-small")
    ax.grid(alpha=0.3)
