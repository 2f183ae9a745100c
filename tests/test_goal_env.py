"""Faithfulness of the native Goal (rules from shared/reference/goal.md)."""

from __future__ import annotations

import math
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import bounded_ddpg  # noqa: F401  (registers the envs)
from bounded_ddpg.envs.goal_env import GoalEnv
from bounded_ddpg.envs.goal_physics import CATCHABLE, KICKABLE, MAX_STEPS, goal_distance


def act(k: int, p: list[float]) -> tuple[int, tuple[np.ndarray, ...]]:
    params = [np.array([20.0, 0.0], np.float32), np.zeros(1, np.float32), np.zeros(1, np.float32)]
    params[k] = np.array(p, np.float32)
    return k, tuple(params)


def test_reset_geometry() -> None:
    env = GoalEnv()
    for seed in range(10):
        obs, _ = env.reset(seed=seed)
        s = env.state
        assert s.player[0] == 0.0 and -15.0 <= s.player[1] <= 15.0
        assert s.player[4] == pytest.approx(math.atan2(-s.player[1], 20.0))  # facing (20, 0)
        assert math.hypot(s.ball[0] - s.player[0], s.ball[1] - s.player[1]) == pytest.approx(KICKABLE - 0.1)
        assert 14.5 <= s.keeper[0] <= 20.0 and abs(s.keeper[1]) <= 9.16
        assert np.all(obs[[2, 3, 7, 8, 12, 13]] == 0.0)  # all velocities zero
        assert env.observation_space.contains(obs)


def test_scripted_shot_scores_fifty() -> None:
    env = GoalEnv()
    env.reset(seed=2)  # dribble a little toward the near post, then shoot at the far top corner
    _, r, term, _, info = env.step(act(0, [2.605, -1.292]))
    assert (r, term) == (0.0, False) and info["substeps"] > 1
    _, r, term, trunc, info = env.step(act(1, [6.169]))
    assert r == 50.0 and term and not trunc and info["goal"]
    assert env.state.ball[0] > 20.0 and abs(env.state.ball[1]) <= 7.01


def test_keeper_catch_returns_minus_the_distance() -> None:
    env = GoalEnv()
    env.reset(seed=0)
    _, r, term, _, info = env.step(act(1, [6.5]))  # a slow direct shot: the keeper intercepts it
    b, k = env.state.ball, env.state.keeper
    assert term and not info["goal"]
    assert math.hypot(b[0] - k[0], b[1] - k[1]) <= CATCHABLE
    assert r == -goal_distance(b) == pytest.approx(-(20.0 - b[0]))
    assert r == pytest.approx(-6.7131, abs=1e-4)


def test_goal_distance_rule() -> None:
    assert goal_distance([12.0, 3.0, 0.0, 0.0]) == 8.0  # in front of the mouth: 20 - x
    assert goal_distance([17.0, -11.01, 0.0, 0.0]) == pytest.approx(5.0)  # wide: the nearest post


def test_hundred_steps_truncate() -> None:
    env = GoalEnv()
    env.reset(seed=0)
    for i in range(MAX_STEPS):
        p = env.state.player  # tap the ball toward the player's own spot: one substep per step
        _, r, term, trunc, info = env.step(act(0, [p[0], p[1]]))
        assert not term
        if i < MAX_STEPS - 1:
            assert not trunc and r == 0.0
    assert trunc and info["substeps"] == 0 and r == -goal_distance(env.state.ball)


def test_same_seed_same_trajectory() -> None:
    def traj(seed: int) -> list[tuple]:
        env = GoalEnv()
        env.reset(seed=seed)
        env.action_space.seed(11)
        out = []
        for _ in range(40):
            obs, r, term, trunc, info = env.step(env.action_space.sample())
            out.append((obs.tobytes(), r, info["substeps"]))
            if term or trunc:
                out.append((env.reset()[0].tobytes(), 0.0, 0))
        return out

    assert traj(5) == traj(5) and traj(5) != traj(6)


def test_gymnasium_api_and_render() -> None:
    env = gym.make("bounded_ddpg/Goal-v0")
    check_env(env.unwrapped, skip_render_check=True)
    g = GoalEnv(render_mode="rgb_array")
    g.reset(seed=0)
    img = g.render()
    assert img is not None and img.dtype == np.uint8 and img.shape[2] == 3


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros(7),
        (0, (np.zeros(1), np.zeros(1), np.zeros(1))),
        (1.5, (np.zeros(2), np.zeros(1), np.zeros(1))),
        (0, (np.zeros(2), np.full(1, np.nan), np.zeros(1))),
        None,
    ],
)
def test_bad_actions_raise_value_error(bad: object) -> None:
    env = GoalEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action space"):
        env.step(bad)


def test_record_episode_writes_a_gif_and_a_still(tmp_path: Path) -> None:
    from bounded_ddpg.envs.record import record_episode, scripted_policy

    gif, png = tmp_path / "goal.gif", tmp_path / "goal.png"
    result = record_episode("Goal", scripted_policy("Goal", 0), gif, seed=0, still=png)
    assert result["return"] == 50.0 and result["steps"] == 1 and result["frames"] > 2
    assert gif.stat().st_size > 0 and png.stat().st_size > 0
    with pytest.raises(ValueError, match=r"\.gif or \.mp4"):
        record_episode("Goal", scripted_policy("Goal", 0), tmp_path / "x.avi", seed=0)
