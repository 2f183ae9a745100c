"""HyAR's tasks and gym-hybrid's train with every agent through their presets, and report P(success)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hydra import compose, initialize_config_module

from bounded_ddpg import run
from conftest import run_dirs

TASKS = ("HardGoal", "CatchPoint", "HardMove", "Moving", "Sliding")
AGENTS = ("ddpg", "td3", "pdqn", "mpdqn")  # ddpg: the preset's PA-DDPG (agent=pa_ddpg_hybrid)


@pytest.mark.slow
@pytest.mark.parametrize("agent", AGENTS)
@pytest.mark.parametrize("task", TASKS)
def test_every_agent_trains_on_every_task_of_the_suite(task: str, agent: str, tmp_path: Path) -> None:
    overrides = [
        f"env={task}", "budget.steps=150", "agent.learning_starts=50", "eval.every_steps=150",
        "eval.episodes=2", "eval.final_episodes=2", "log_every_steps=50", f"out_dir={tmp_path}",
    ]  # fmt: skip
    if agent != "ddpg":
        overrides.insert(1, f"agent={agent}")
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        cfg = compose("config", overrides=overrides)
        (summary,) = run.train_from_config(cfg, overrides=overrides)
    assert summary["status"] == "finished" and summary["steps"] == 150
    (run_dir,) = run_dirs(tmp_path)
    final = json.loads((run_dir / "summary.json").read_text())["final_eval"]
    assert final["n_episodes"] == 2 and final["p_success"] in (0.0, 0.5, 1.0)
    assert "p_success" in (run_dir / "eval.csv").read_text().splitlines()[0]
