"""env=GoalXY is env=Goal's config on the other environment, and both report P(goal)."""

from __future__ import annotations

import json
from pathlib import Path

from hydra import compose, initialize_config_module
from omegaconf import DictConfig, OmegaConf

from bounded_ddpg import config as schema
from bounded_ddpg.envs.factory import canonical_id
from conftest import TINY, Cli, run_dirs

schema.register()


def make(*overrides: str) -> DictConfig:
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        return compose("config", overrides=list(overrides))


def test_goalxy_is_goal_on_the_other_environment() -> None:
    for experiment in ("default", "paper"):
        goal = make("env=Goal", f"experiment={experiment}")
        xy = make("env=GoalXY", f"experiment={experiment}")
        schema.validate(xy)
        assert (xy.env.name, xy.env.id) == ("GoalXY", "bounded_ddpg/GoalXY-v0")
        a, b = OmegaConf.to_container(goal), OmegaConf.to_container(xy)
        assert isinstance(a, dict) and isinstance(b, dict)
        assert {k: v for k, v in a.items() if k != "env"} == {k: v for k, v in b.items() if k != "env"}
        assert a["env"] == {**b["env"], "name": "Goal", "id": "bounded_ddpg/Goal-v0"}
    assert make("env=GoalXY", "experiment=paper").budget.episodes == 20000
    assert canonical_id("GoalXY") == "bounded_ddpg/GoalXY-v0"
    assert (
        goal.env.success_key == xy.env.success_key == "goal" and make("env=Platform").env.success_key is None
    )


def test_a_goalxy_run_reports_p_success(cli: Cli, tmp_path: Path) -> None:
    result = cli("env=GoalXY", *TINY)
    assert result.returncode == 0, result.stderr
    (run,) = run_dirs(tmp_path / "runs")
    s = json.loads((run / "summary.json").read_text())
    assert (s["env"], s["env_id"]) == ("GoalXY", "bounded_ddpg/GoalXY-v0")
    assert 0.0 <= s["final_eval"]["p_success"] <= 1.0
