"""The main figure (`report --main`): learning curves, a panel per (agent, env) with finished runs.

Drawn at a two-column paper's text width (6.75 in, print_style.py): the panels with runs only (a cell
without runs is a '-' in the main table, never an empty panel), in the main table's order (agent, then
env), four to a row, one legend below. Each line is one transform (the same colour, dashes and marker in
every panel): the mean over the cell's finished runs with a 95% percentile bootstrap band of that mean
(plots.mean_band), runs interpolated onto a common grid (plots.common_grid); lines that coincide are said
in the panel's title. The y value is the environment's main-table metric (plots.curve_metric): eval.csv's
success column where the metric is a success rate (P(goal)) and every finished run of the env has that
column, else the evaluation return. The x axis is training episodes for panels whose runs have an
episode budget (budget.episodes set, budget.steps null), else environment steps. Every curve ends where
its run ended: when a run's last eval.csv row lies before its summary's `episodes` / `steps` (its end of
training), the final evaluation (final_eval) is appended there, so a common grid reaches the budget.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from bounded_ddpg.report import print_style
from bounded_ddpg.report.main_table import (
    RETURN,
    agent_label,
    agent_of,
    agent_rank,
    env_order,
    groups,
)
from bounded_ddpg.report.plots import Curve, curve_metric, draw_panel, has_curves, runs_label
from bounded_ddpg.report.stats import FINISHED, RunRecord, by_value, cell_order

PARAMETERISED_ONLY = ("pdqn", "mpdqn")  # agents that need a parameterised action space (config.py)
COLUMNS, PANEL_HEIGHT_IN = 4, 1.55
TITLE_CHARS = 24  # a panel's title lines wrap here: its axes, a quarter of 6.75 in less labels, at 7 pt


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
    """`envs` and `agents` in table order; `panels` for (agent, env) with runs, `absent` why the others have
    none ('not run', or 'n/a' where the agent cannot run that env; printed, not drawn); `transforms` fixes
    the line styles; `parameterised`: env -> whether its runs have a parameterised action space."""

    envs: tuple[str, ...]
    agents: tuple[str, ...]
    panels: dict[tuple[str, str], Panel]
    absent: dict[tuple[str, str], str]
    transforms: tuple[str, ...]
    parameterised: dict[str, bool]


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
    y_of = {env: curve_metric([r for r in done if r.env == env]) for env in envs}
    panels: dict[tuple[str, str], Panel] = {}
    for (env, agent), rs in groups(done).items():
        x = "episode" if all(episode_budget(r) for r in rs) else "step"
        lines: dict[str, list[Curve]] = {}
        for r in sorted(rs, key=lambda r: (cell_order("", r.transform, ()), r.seed or 0, r.source)):
            lines.setdefault(r.transform, []).append(run_curve(r, x, y_of[env]))
        if has_curves({env: lines}):  # else no panel: its runs share no evaluation range (see absent)
            panels[(agent, env)] = Panel(agent, env, x, y_of[env], lines)
    parameterised = {e: any(by_value(r, "env.parameterised") == "true" for r in records if r.env == e)
                     for e in envs}  # fmt: skip
    ran = {(agent, env) for env, agent in groups(done)}
    absent = {
        (a, e): "no evaluation range its runs share" if (a, e) in ran
        else "n/a: needs a parameterised action space" if a in PARAMETERISED_ONLY and not parameterised[e]
        else "not run"
        for a in agents for e in envs if (a, e) not in panels
    }  # fmt: skip
    transforms = tuple(sorted({r.transform for r in done}, key=lambda t: cell_order("", t, ())))
    return Layout(envs, agents, panels, absent, transforms, parameterised)


def plot_figure(lay: Layout, out_dir: Path, reps: int, seed: int) -> list[Path]:
    """Draw `lay` into figure.png and figure.pdf in `out_dir`, at a two-column paper's text width
    (print_style.TWO_COLUMN_IN, 6.75 in; 8 pt text, 7 pt ticks and legend): only the panels with runs,
    in table order (agent, then env), COLUMNS to a row, one legend below; [] when no panel has runs."""
    keys = [(a, e) for a in lay.agents for e in lay.envs if (a, e) in lay.panels]
    if not keys:
        return []
    styles = {t: print_style.line_style(i) for i, t in enumerate(lay.transforms)}
    ncols = min(COLUMNS, len(keys))
    nrows = -(-len(keys) // ncols)
    with print_style.print_text():
        fig, axes = plt.subplots(nrows, ncols, figsize=(print_style.TWO_COLUMN_IN, PANEL_HEIGHT_IN * nrows),
                                 squeeze=False, layout="constrained")  # fmt: skip
        for ax, (agent, env) in zip(axes.flat, keys, strict=False):
            panel = lay.panels[(agent, env)]
            note = draw_panel(ax, panel.lines, styles, panel.x, panel.y, reps, seed)
            name = agent_label(agent) if agent != "ddpg" else "PA-DDPG" if lay.parameterised[env] else "DDPG"
            parts = [env, f"{name}, {runs_label(panel.lines)}", *([note] if note else [])]
            title = "\n".join(textwrap.fill(part, TITLE_CHARS) for part in parts)
            ax.set_title(title, fontsize=print_style.SMALL_PT)
        for ax in list(axes.flat)[len(keys) :]:
            ax.remove()  # no empty panels: a cell without runs is a '-' in the main table
        handles = [Line2D([], [], **styles[t]) for t in lay.transforms]
        print_style.legend_below(
            fig, handles, list(lay.transforms), "transform: mean over runs, 95% bootstrap band"
        )
        return print_style.save(fig, out_dir, "figure")
