"""The main table (`report --main`): one row per agent x transform, one column per environment.

Each measured cell is the IQM (interquartile mean) of one final-evaluation metric over the cell's finished
runs, with its 95% percentile bootstrap interval (stats.cell_stats: `--reps` resamples, seeded by `--seed`)
and N, the number of runs: `0.911 [0.784, 0.976] (10)`. The metric is the run's final P(goal)
(`final_eval.p_goal`, the fraction of final-evaluation episodes that scored) in environments whose runs
report it (Goal), else the final evaluation return (`final_eval.return_mean`). Published reference rows
(published.py) follow the measured ones; main_render.py renders the table. A cell holds one experiment:
if the runs of any (env, agent) differ in an experiment key (stats.experiment_keys), `build` raises
MixedExperiments.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from bounded_ddpg.report import published
from bounded_ddpg.report.stats import (
    DIVERGED,
    FINISHED,
    CellStats,
    RunRecord,
    by_value,
    cell_order,
    cell_stats,
    experiment_keys,
    seed_notes,
    success_keys,
)
from bounded_ddpg.report.tables import decimals_for

AGENTS = {"ddpg": "PA-DDPG / DDPG", "td3": "TD3", "pdqn": "P-DQN", "mpdqn": "MP-DQN"}
RETURN = "return"


def agent_of(r: RunRecord) -> str:
    """The run's `agent.name` (the schema's default, ddpg, for configs written before it existed)."""
    return by_value(r, "agent.name")


REFERENCE = "_reference"  # report/reference.py: a run of a published algorithm's own released code
REFERENCE_LABELS = {"ddpg": "PA-DDPG"}  # the released code's PA-DDPG is parameterised-only


def agent_label(name: str) -> str:
    """ddpg -> 'PA-DDPG / DDPG' (one agent: PA-DDPG on parameterised tasks, DDPG on Box tasks), ...;
    mpdqn_reference -> 'MP-DQN, reference code run here' (report/reference.py)."""
    if name.endswith(REFERENCE) and (base := name.removesuffix(REFERENCE)) in AGENTS:
        return f"{REFERENCE_LABELS.get(base, AGENTS[base])}, reference code run here"
    return AGENTS.get(name, name)


def agent_rank(name: str) -> tuple[int, str]:
    """Our agents in AGENTS' order, each followed by a run of its reference code; then any other."""
    base = name.removesuffix(REFERENCE)
    if base in AGENTS:
        return (2 * list(AGENTS).index(base) + (base != name), name)
    return (2 * len(AGENTS), name)


def env_order(records: list[RunRecord]) -> dict[str, int]:
    """Each environment's column: the order in which the runs, as given (folder by folder), first name it."""
    order: dict[str, int] = {}
    for r in records:
        order.setdefault(r.env, len(order))
    return order


def metric_of(records: list[RunRecord]) -> str:
    """An environment's metric: P(<success key>) when any of its finished runs reports one, else return."""
    keys = success_keys([r for r in records if r.status == FINISHED])
    return f"P({keys})" if keys else RETURN


def final_value(r: RunRecord, metric: str) -> float | None:
    return r.final_return if metric == RETURN else r.p_success


class MixedExperiments(ValueError):
    """Runs of different experiments in one (env, agent) group; the message names them."""


@dataclass(frozen=True)
class Column:
    env: str
    metric: str  # return, or P(<success key>)
    field: str = ""  # where a P(success) metric is read from: p_success (p_goal in older runs)

    @property
    def header(self) -> str:
        return f"{self.env} {self.metric}"


@dataclass(frozen=True)
class MainRow:
    """One measured row: agent x transform; env -> statistics of the metric (absent: no runs there)."""

    agent: str
    transform: str
    cells: dict[str, CellStats]

    @property
    def label(self) -> str:
        return agent_label(self.agent)


@dataclass(frozen=True)
class MainTable:
    columns: tuple[Column, ...]
    rows: tuple[MainRow, ...]
    published: tuple[published.Published, ...]
    notes: tuple[str, ...]
    reps: int
    seed: int

    def decimals(self) -> dict[str, int]:
        """Per column, as tables.decimals does for an environment's returns (3 below 10, ...)."""
        return {
            c.env: decimals_for(r.cells[c.env] for r in self.rows if c.env in r.cells) for c in self.columns
        }


def groups(records: list[RunRecord]) -> dict[tuple[str, str], list[RunRecord]]:
    """(env, agent name) -> its runs, in column order then agent order."""
    out: dict[tuple[str, str], list[RunRecord]] = defaultdict(list)
    for r in records:
        out[(r.env, agent_of(r))].append(r)
    order = env_order(records)
    return dict(sorted(out.items(), key=lambda kv: (agent_rank(kv[0][1]), order[kv[0][0]])))


def check_one_experiment(records: list[RunRecord], command: str = "report --main") -> None:
    """Raise MixedExperiments naming every (env, agent) whose runs differ in an experiment key."""
    bad = []
    for (env, agent), rs in groups(records).items():
        for key in experiment_keys(rs, ()).get(env, ()):
            seen = sorted({by_value(r, key) for r in rs}, key=lambda v: cell_order("", "", (v,)))
            bad.append(f"{env}, {agent_label(agent)}: runs differ in {key} (values seen: {', '.join(seen)})")
    if bad:
        raise MixedExperiments(
            f"{command}: each (env, agent) must hold one experiment, but these runs are of several:\n"
            + "\n".join(f"- {b}" for b in bad)
            + "\nPass only one experiment's folders per (env, agent) (the ordinary report shows them apart)."
        )


def _notes(env: str, agent: str, rs: list[RunRecord], metric: str) -> list[str]:
    """What was left out of one (env, agent) group, and seeds missing from a cell."""
    who = f"{env} {agent_label(agent)}"
    seeds = {r.seed for r in rs if r.seed is not None}
    out = []
    for transform in sorted({r.transform for r in rs}, key=lambda t: cell_order("", t, ())):
        have = [r.seed for r in rs if r.transform == transform and r.seed is not None]
        out += seed_notes(f"{who} {transform}", have, seeds, f"of {who}")
    for r in sorted(rs, key=lambda r: (cell_order("", r.transform, ()), r.seed or 0, r.source)):
        if r.status == DIVERGED:
            out.append(f"diverged (excluded from the statistics): {r.source}")
        elif r.status != FINISHED:
            out.append(f"status '{r.status}' (excluded from the statistics and the figure): {r.source}")
        elif final_value(r, metric) is None:
            out.append(f"finished without a final {metric} (excluded): {r.source}")
    return out


def build(records: list[RunRecord], problems: list[str], reps: int, seed: int) -> MainTable:
    """The main table of `records`; `problems` (malformed directories) head its notes."""
    check_one_experiment(records)
    envs = list(env_order(records))
    metric = {e: metric_of([r for r in records if r.env == e]) for e in envs}
    field = {
        e: next((r.success_field for r in records if r.env == e and r.p_success is not None), "")
        for e in envs
    }
    cells: dict[tuple[str, str], dict[str, CellStats]] = defaultdict(dict)
    notes = list(problems)
    for (env, agent), rs in groups(records).items():
        notes += _notes(env, agent, rs, metric[env])
        for transform in {r.transform for r in rs}:
            x = [final_value(r, metric[env]) for r in rs if r.transform == transform and r.status == FINISHED]
            vals = np.array([v for v in x if v is not None], dtype=np.float64)
            cells[(agent, transform)][env] = cell_stats(vals, reps, seed)
    order = sorted(cells, key=lambda k: (agent_rank(k[0]), cell_order("", k[1], ())))
    rows = tuple(MainRow(a, t, cells[(a, t)]) for a, t in order)
    pub = tuple(published.published_for(envs))
    return MainTable(tuple(Column(e, metric[e], field[e]) for e in envs), rows, pub, tuple(notes), reps, seed)
