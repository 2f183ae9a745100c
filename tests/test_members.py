"""What batched members are (docs/running.md, "Batched members"): a one-member batch IS the single run,
byte for byte; with several members each member computes the single run's update up to float rounding (the
batched matrix products round differently), and since training amplifies rounding, later numbers differ run
by run while their distribution over seeds is the same."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hydra import compose, initialize_config_module
from scipy import stats

from bounded_ddpg import config, run
from conftest import TINY

config.register()


def train(tmp_path: Path, *overrides: str) -> list[dict[str, Any]]:
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        cfg = compose("config", overrides=[*overrides, f"out_dir={tmp_path / 'runs'}"])
    return run.train_from_config(cfg, overrides=[])


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return [{k: v for k, v in r.items() if k != "wall_s"} for r in csv.DictReader(f)]


def test_a_one_member_batch_is_the_single_run_exactly(tmp_path: Path) -> None:
    (batched,) = train(tmp_path, "env=Platform", *TINY, "transforms=[zero]", "seeds=[3]", "run_id=batched")
    (single,) = train(tmp_path, "env=Platform", *TINY, "transform=zero", "seed=3", "run_id=single")
    a, b = (tmp_path / "runs/Platform/zero/seed3" / r for r in ("batched", "single"))
    assert rows(a / "eval.csv") == rows(b / "eval.csv") and rows(a / "metrics.csv") == rows(b / "metrics.csv")
    assert batched["final_eval"] == single["final_eval"] and batched["diagnostics"] == single["diagnostics"]


SHORT = (
    "env=Pendulum", "agent.hidden_sizes=[32,32]", "agent.batch_size=32", "agent.learning_starts=200",
    "agent.lr_actor=1e-3", "budget.steps=1000", "eval.every_steps=0", "eval.final_episodes=10",
    "log_every_steps=100", "progress=false",
)  # fmt: skip
SEEDS = range(6)


@pytest.mark.slow
def test_many_members_are_statistically_equivalent_to_single_runs(tmp_path: Path) -> None:
    batched = train(tmp_path, *SHORT, f"seeds=[{','.join(map(str, SEEDS))}]", "run_id=batched")
    single = [train(tmp_path, *SHORT, f"seed={k}", "run_id=single")[0] for k in SEEDS]
    for k in SEEDS:  # the same computation: the first update's metrics agree to float rounding
        first = [
            rows(tmp_path / f"runs/Pendulum/invert/seed{k}/{r}/metrics.csv")[0] for r in ("batched", "single")
        ]
        for key in ("critic_loss", "q_mean", "actor_loss", "dq_da_norm"):
            assert float(first[0][key]) == pytest.approx(float(first[1][key]), rel=1e-5, abs=1e-7), (k, key)
    x = np.array([s["final_eval"]["return_mean"] for s in batched])
    y = np.array([s["final_eval"]["return_mean"] for s in single])
    assert len(set(x.tolist())) == len(SEEDS)  # independent members, not copies of one stream
    assert stats.mannwhitneyu(x, y, alternative="two-sided").pvalue > 0.05  # one distribution over seeds
    assert abs(x.mean() - y.mean()) < 2 * np.sqrt((x.var(ddof=1) + y.var(ddof=1)) / len(SEEDS))
