"""Hard Move at every actuator count of HyAR's tables (n = 4, 6, 8, 10): presets, action spaces, MP-DQN runs.

HyAR's Hard Move script (github.com/TJU-DRL-LAB/self-supervised-rl, ``RL_with_Action_Representation/HyAR/
HyAR_RL/main_embedding_hard_move_td3.py`` 118-123 and ``pad_action_`` 34-41) defines the action from its
``--action_n_dim`` n: ``discrete_action_dim = 2 ** action_n_dim``, ``parameter_action_dim = 2 **
action_n_dim``, ``max_action = 1.0``, and action k writes its one parameter into slot k of the 2^n.
"""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from hydra import compose, initialize_config_module

from bounded_ddpg import report, run
from bounded_ddpg.envs.presets import build
from bounded_ddpg.envs.wrappers import FlatParameterisedAction
from bounded_ddpg.report import published
from conftest import run_dirs

ACTUATORS = (4, 6, 8, 10)


def _compose(overrides: list[str]) -> object:
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        return compose("config", overrides=overrides)


@pytest.mark.parametrize("n", ACTUATORS)
def test_each_preset_builds_hyars_action_space(n: int) -> None:
    cfg = _compose([f"env=HardMove{n}"])
    assert (cfg.env.name, cfg.env.id, dict(cfg.env.kwargs)) == (  # type: ignore[attr-defined]
        f"HardMove{n}",
        "bounded_ddpg/HardMove-v0",
        {"n_actuators": n},
    )
    paper = _compose([f"env=HardMove{n}", "experiment=paper"])
    assert (paper.budget.steps, paper.eval.every_steps, paper.eval.episodes) == (1_000_000, 2500, 50)  # type: ignore[attr-defined]
    env = build(cfg.env)  # type: ignore[attr-defined]
    assert isinstance(env, FlatParameterisedAction)
    k = 2**n
    native = env.unwrapped
    assert native.action_space == gym.spaces.Tuple(
        (gym.spaces.Discrete(k), gym.spaces.Box(-1.0, 1.0, (k,), np.float32))
    )
    assert native.n_actuators == n and native.motions.shape == (k, 2)  # type: ignore[attr-defined]
    assert env.n_discrete == k and env.param_map == tuple((i,) for i in range(k))
    assert env.action_space == gym.spaces.Box(-1.0, 1.0, (2 * k,), np.float32)
    assert env.observation_space.shape == (4,)
    env.reset(seed=0)
    u = np.zeros(2 * k, np.float32)
    u[k // 2] = 1.0  # k = 2^(n-1): actuator 0 alone, direction (1, 0); its parameter u[k + k // 2]
    u[k + k // 2] = 1.0
    obs, *_ = env.step(u)  # force 2 p motions[k // 2], p = 1: velocity 0.1 x that, along x only
    motion = native.motions[k // 2]  # type: ignore[attr-defined]
    assert motion[0] > 0.0 and motion[1] == 0.0
    assert obs[:2].tolist() == [np.float32(0.2 * motion[0]), 0.0]


@pytest.mark.slow
@pytest.mark.parametrize("n", ACTUATORS)
def test_mpdqn_trains_at_each_actuator_count(n: int, tmp_path: Path) -> None:
    overrides = [
        f"env=HardMove{n}",
        "agent=mpdqn",
        "budget.steps=300",
        "agent.learning_starts=280",
        "agent.batch_size=8",
        "eval.every_steps=300",
        "eval.episodes=2",
        "eval.final_episodes=2",
        "log_every_steps=100",
        f"out_dir={tmp_path}",
    ]  # fmt: skip  (20 updates: at n = 10 each passes 8 x 1024 inputs of 1028 numbers through the Q-network)
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        cfg = compose("config", overrides=overrides)
        (summary,) = run.train_from_config(cfg, overrides=overrides)
    assert summary["status"] == "finished" and summary["steps"] == 300
    (run_dir,) = run_dirs(tmp_path)
    written = json.loads((run_dir / "summary.json").read_text())
    assert written["env"] == f"HardMove{n}" and written["config"]["env"]["kwargs"] == {"n_actuators": n}
    assert written["final_eval"]["n_episodes"] == 2 and written["final_eval"]["p_success"] in (0.0, 0.5, 1.0)
    assert 0.0 < written["diagnostics"]["dq_da_norm"] < float("inf")  # the updates ran on dQ/dx
    # its table carries HyAR's Table 2 row of this task, and both budgets
    assert report.main([str(tmp_path), "--out", str(tmp_path / "report")]) == 0
    table = (tmp_path / "report" / "table.md").read_text()
    m, sd = published.hyar_success_rate(f"HardMove{n}", "PDQN")
    assert (
        f"published beside HardMove{n}" in table
        and "runs of 1,000,000 steps (these runs: 300 steps)" in table
    )
    assert f"PDQN {m:.2f} ± {sd:.2f}, HHQN" in table and table.count("published beside") == 1
