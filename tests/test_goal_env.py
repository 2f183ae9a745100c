"""Goal-v0 rule by rule against the public reference (cycraig/gym-goal, gym_goal/envs/goal_env.py); GoalXY-v0.

Each rule of the reference that a first re-implementation got wrong is pinned by a hand-computed case
(noise off where the rule is deterministic); the expected numbers are written out from the rule itself.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import bounded_ddpg  # noqa: F401  (registers the envs)
from bounded_ddpg.envs import GOAL_ID, GOALXY_ID
from bounded_ddpg.envs.goal_env import GoalEnv, GoalXYEnv
from bounded_ddpg.envs.goal_physics import (
    KICKABLE,
    MAX_STEPS,
    NO_NOISE,
    NOISE_WIDTH,
    GoalState,
    goal_distance,
    keeper_move,
    player_kick_to,
    substep,
    terminal,
)


def act(k: int, p: list[float]) -> tuple[int, tuple[np.ndarray, ...]]:
    params = [np.array([20.0, 0.0], np.float32), np.zeros(1, np.float32), np.zeros(1, np.float32)]
    params[k] = np.array(p, np.float32)
    return k, tuple(params)


def placed(
    player: list[float], keeper: list[float], ball: list[float], cls: type[GoalEnv] = GoalEnv
) -> GoalEnv:
    """A noise-free env with the given state (player/keeper [x, y, vx, vy, facing], ball [x, y, vx, vy])."""
    env = cls(noise=False)
    env.reset(seed=0)
    env.state = GoalState(list(player), list(keeper), list(ball))
    return env


def start(player_y: float = 0.0) -> GoalState:
    return GoalState.initial(player_y)


# --- 1. kick_to aims at (x, x) -------------------------------------------------------------------


def test_kick_to_targets_x_x_on_goal_and_x_y_on_goalxy() -> None:
    params = (np.array([30.0, -10.0]), np.zeros(1), np.zeros(1))
    assert GoalEnv().target(0, params) == (30.0, 30.0)
    assert GoalXYEnv().target(0, params) == (30.0, -10.0)
    assert GoalEnv().target(0, (np.array([55.0, -20.0]), *params[1:])) == (40.0, 40.0)  # x clipped first
    assert GoalEnv().target(1, (params[0], np.array([9.0]), np.zeros(1))) == (20.4, 7.01)  # shoot_goal


def test_first_kick_substep_by_hand() -> None:
    # player at the origin facing +x, ball 1.6 - 1e-12 ahead: kick_power = 1 - 0 - 0.25 = 0.75 (to 1e-12)
    s = start(0.0)
    substep(s, (30.0, 30.0), NO_NOISE)  # Goal-v0's kick_to(30, -10)
    # accel = 0.06 * (30, 30) = (1.8, 1.8): power |accel| / (0.75 * 0.027) = 125.7 -> clipped to 100,
    # times 0.75: the ball gets 75 * 0.027 = 2.025 along 45 degrees, then moves and decays by 0.94
    v = 2.025 * math.sqrt(0.5)
    assert s.ball[0] == pytest.approx(1.6 + v, abs=1e-9) and s.ball[1] == pytest.approx(v, abs=1e-9)
    assert s.ball[2] == pytest.approx(0.94 * v, abs=1e-9) and s.ball[3] == pytest.approx(0.94 * v, abs=1e-9)
    s = start(0.0)
    substep(s, (30.0, -10.0), NO_NOISE)  # GoalXY's: accel = (1.8, -0.6), |accel| 1.897 < 100 * 0.02025
    assert s.ball[2:] == pytest.approx([0.94 * 1.8, -0.94 * 0.6], abs=1e-9)


def test_kick_to_with_negative_y_goes_up_the_diagonal_on_goal() -> None:
    for cls, (tx, ty) in ((GoalEnv, (8.0, 8.0)), (GoalXYEnv, (8.0, -10.0))):
        env = cls(noise=False)
        env.reset(seed=0, options={"player_y": 0.0})
        _, _, _, _, info = env.step(act(0, [8.0, -10.0]))  # the kick is sized to stop the ball at the target
        b = env.state.ball
        assert info["substeps"] > 10 and env.state.ball_speed() < 0.1
        assert math.hypot(b[0] - tx, b[1] - ty) < 2.0


# --- 2. reset --------------------------------------------------------------------------------------


def test_reset_by_hand() -> None:
    env = GoalEnv()
    env.reset(seed=0, options={"player_y": 0.0})
    assert env.state.player == [0.0, 0.0, 0.0, 0.0, 0.0]
    assert env.state.ball == [(0.9 + 0.7) - 1e-12, 0.0, 0.0, 0.0]  # 1.6 - 1e-12 straight ahead
    assert env.state.keeper == [14.5, 0.0, 0.0, 0.0, math.pi]
    env.reset(seed=0, options={"player_y": 10.0})
    f = math.atan2(-10.0, 20.0)  # facing (20, 0)
    bx, by = 1.6 * math.cos(f), 10.0 + 1.6 * math.sin(f)
    assert env.state.player[4] == pytest.approx(f)
    assert env.state.ball[:2] == pytest.approx([bx, by], abs=1e-11)
    # the keeper on the line ball -> (20, 0) at x = 14.5: y = 10 * 5.5 / 20 (the ball lies on player-(20, 0))
    assert env.state.keeper[:2] == pytest.approx([14.5, 2.75], abs=1e-12)
    assert env.state.keeper[4] == pytest.approx(math.atan2(by - 2.75, bx - 14.5))


def test_reset_keeps_the_ball_just_kickable() -> None:
    env = GoalEnv()
    for seed in range(50):
        obs, _ = env.reset(seed=seed)
        s = env.state
        assert s.player[0] == 0.0 and -15.0 <= s.player[1] <= 15.0
        assert abs(s.ball_distance() - (KICKABLE - 1e-12)) < 1e-14 and s.kickable()
        assert s.keeper[0] == 14.5 and s.keeper[1] == pytest.approx(0.275 * s.player[1])
        assert np.all(obs[[2, 3, 7, 8, 12, 13]] == 0.0) and env.observation_space.contains(obs)


# --- 3. turning: no noise, no wrapping -------------------------------------------------------------


def test_turn_is_noise_free_and_not_wrapped() -> None:
    rng = np.random.default_rng(0)
    angle = math.atan2(-1.5, -3.0)  # the ball is behind the player, below
    for _ in range(5):  # whatever the random draws, the turn is the same
        u = rng.uniform(-1.0, 1.0, NOISE_WIDTH).tolist()
        s = GoalState([0.0, 0.0, 0.0, 0.0, 3.1], [15.0, 5.0, 0.0, 0.0, 0.0], [-3.0, -1.5, 0.0, 0.0])
        player_kick_to(s, (20.0, 20.0), u)
        # error = angle - 3.1 = -5.778 -> +0.505 (> pi / 8: turn) after normalising; passes pi unwrapped
        assert s.player[4] == pytest.approx(3.1 + (angle - 3.1 + 2 * math.pi), abs=1e-12)
        assert s.player[4] > math.pi
        s = GoalState([0.0, 0.0, 0.3, 0.4, 3.0], [15.0, 5.0, 0.0, 0.0, 0.0], [-3.0, -1.5, 0.0, 0.0])
        player_kick_to(s, (20.0, 20.0), u)
        assert s.player[4] == pytest.approx(3.0 + (angle - 3.0 + 2 * math.pi) / (1 + 5 * 0.5), abs=1e-12)
        assert s.player[2:4] == [0.3, 0.4]  # a turn does not dash


# --- 4. reward past the goal line ------------------------------------------------------------------


def test_goal_distance_by_hand() -> None:
    assert goal_distance([12.0, 3.0]) == 8.0  # in front of the mouth: 20 - x
    assert goal_distance([17.0, -11.01]) == pytest.approx(5.0)  # in front, wide: to the nearest post
    assert goal_distance([20.5, 9.0]) == pytest.approx(1.99)  # past the line above: y - 7.01
    assert goal_distance([20.5, -9.0]) == pytest.approx(16.01)  # below: 7.01 - y, as released
    assert goal_distance([20.5, -9.0], symmetric=True) == pytest.approx(1.99)  # GoalXY: |y| - 7.01
    assert goal_distance([20.0, -10.0]) == pytest.approx(17.01)  # x = 20 is past the line
    assert goal_distance([23.0, 3.0]) == 0.0  # past the line inside the mouth (beyond the net)


def test_ball_out_past_the_line_below_the_mouth() -> None:
    state = ([5.0, 5.0, 0.0, 0.0, 0.0], [10.0, 10.0, 0.0, 0.0, 0.0], [19.5, -9.0, 1.0, -0.2])
    for cls, expected in ((GoalEnv, -(7.01 + 9.2)), (GoalXYEnv, -(9.2 - 7.01))):
        env = placed(*state, cls=cls)
        _, r, term, trunc, info = env.step(act(1, [0.0]))
        assert env.state.ball[:2] == pytest.approx([20.5, -9.2])  # left the field in one substep
        assert term and not trunc and not info["goal"] and info["substeps"] == 1
        assert r == pytest.approx(expected)


# --- 5. the keeper's intercept test ----------------------------------------------------------------


def _keeper_after(ball: list[float]) -> list[float]:
    s = GoalState([0.0, -10.0, 0.0, 0.0, 0.0], [15.0, 3.0, 0.0, 0.0, 0.0], ball)
    keeper_move(s, NO_NOISE)
    return s.keeper


def test_keeper_intercepts_at_the_foot_of_the_perpendicular() -> None:
    # ball (10, 0) moving (1, 0.1): rests at (26.67, 1.67), past the line; its path y = 0.1 x - 1 meets
    # x = 20 at y = 1 (inside 9.01). Foot of the perpendicular from the keeper (15, 3): x = 154 / 10.1.
    k = _keeper_after([10.0, 0.0, 1.0, 0.1])
    fx = 154.0 / 10.1
    fy = 0.1 * fx - 1.0
    theta = math.atan2(fy - 3.0, fx - 15.0)
    assert k[4] == pytest.approx(theta)
    assert k[2:4] == pytest.approx([20 * 0.006 * math.cos(theta), 20 * 0.006 * math.sin(theta)])


@pytest.mark.parametrize(
    ("ball", "why"),
    [
        ([10.0, 0.0, 1.0, 0.0], "horizontal path: grad = 0"),
        ([10.0, 0.0, 0.0, 1.0], "vertical path: no x extent, grad taken as 0"),
        ([10.0, 0.0, 1.0, 1.0], "meets the line at y = 10 > 9.01"),
        ([10.0, 0.0, 0.5, 0.05], "rests at x = 18.3, short of the line"),
    ],
)
def test_keeper_chases_the_rest_point_otherwise(ball: list[float], why: str) -> None:
    ex, ey = ball[0] + ball[2] / 0.06, ball[1] + ball[3] / 0.06
    theta = math.atan2(ey - 3.0, ex - 15.0)
    k = _keeper_after(ball)
    assert k[4] == pytest.approx(theta), why
    assert k[2:4] == pytest.approx([8 * 0.006 * math.cos(theta), 8 * 0.006 * math.sin(theta)]), why


# --- 6. the goal test and 7. the catch test ----------------------------------------------------------


def _end(ball: list[float], keeper: tuple[float, float] = (10.0, 14.0)) -> float | None:
    return terminal(GoalState([5.0, -5.0, 0.0, 0.0, 0.0], [*keeper, 0.0, 0.0, 0.0], ball))


def test_goal_test_by_hand() -> None:
    assert _end([20.0, 7.01, 0.0, 0.0]) == 50.0  # on the line at the post counts
    assert _end([20.0, -7.01, 0.0, 0.0]) == 50.0
    assert _end([22.44, 0.0, 0.0, 0.0]) == 50.0  # the back of the net
    assert _end([22.45, 0.0, 0.0, 0.0]) == 0.0  # past the net's depth: out, paying -0
    assert _end([20.0, 7.02, 0.0, 0.0]) is None  # on the line beside the post: still on the field
    assert _end([19.99, 0.0, 0.0, 0.0]) is None


def test_goal_on_the_line_and_past_the_net_in_the_env() -> None:
    env = placed([5.0, -5.0, 0.0, 0.0, 0.0], [10.0, 14.0, 0.0, 0.0, 0.0], [19.0, 0.0, 1.0, 0.0])
    _, r, term, _, info = env.step(act(1, [0.0]))
    assert env.state.ball[0] == 20.0 and (r, term, info["goal"], info["substeps"]) == (50.0, True, True, 1)
    env = placed([5.0, -5.0, 0.0, 0.0, 0.0], [10.0, 14.0, 0.0, 0.0, 0.0], [19.9, 0.0, 2.6, 0.0])
    _, r, term, _, info = env.step(act(1, [0.0]))  # jumps from 19.9 to 22.5 in one substep
    assert (r, term, info["goal"]) == (0.0, True, False)


def test_catch_is_strictly_within_two() -> None:
    assert _end([13.0, 0.0, 0.0, 0.0], keeper=(15.0, 0.0)) is None  # exactly 2.0 away: not caught
    assert _end([13.5, 0.0, 0.0, 0.0], keeper=(15.0, 0.0)) == pytest.approx(-6.5)  # caught: -(20 - x)


# --- 8. the time limit -------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [GoalEnv, GoalXYEnv])
def test_hundredth_step_truncates(cls: type[GoalEnv]) -> None:
    env = cls(noise=False)
    env.reset(seed=0, options={"player_y": 0.0})
    for _ in range(MAX_STEPS - 1):  # kick_to(0, .) aims at the player's own spot (0, 0): a zero tap
        _, r, term, trunc, info = env.step(act(0, [0.0, 0.0]))
        assert (r, term, trunc, info["substeps"]) == (0.0, False, False, 1)
    assert env.state.ball == [1.6 - 1e-12, 0.0, 0.0, 0.0]
    _, r, term, trunc, info = env.step(act(1, [0.0]))  # the 100th step takes no action
    assert (term, trunc, info["substeps"], info["goal"]) == (False, True, 0, False)
    assert r == pytest.approx(-(20.0 - 1.6))


# --- the environments as gymnasium environments --------------------------------------------------------


@pytest.mark.parametrize("env_id", [GOAL_ID, GOALXY_ID])
def test_gymnasium_env_checker(env_id: str) -> None:
    env = gym.make(env_id)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the raw parameter boxes are the reference's, not [-1, 1]:
        warnings.filterwarnings("ignore", message=".*symmetric and normalized")
        check_env(env.unwrapped, skip_render_check=True)
    g = gym.make(env_id, render_mode="rgb_array").unwrapped
    g.reset(seed=0)
    img = g.render()
    assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.shape[2] == 3


def test_noise_off_is_deterministic_and_noise_on_is_not() -> None:
    def episode(noise: bool, seed: int) -> list[float]:
        env = GoalEnv(noise=noise)
        env.reset(seed=seed, options={"player_y": 3.0})
        env.step(act(0, [6.0, 0.0]))
        env.step(act(0, [9.0, 0.0]))
        return env.state.as_list()

    assert episode(False, 0) == episode(False, 1)
    assert episode(True, 0) != episode(True, 1) and episode(True, 0) == episode(True, 0)


def test_goal_and_goalxy_agree_where_the_rules_agree() -> None:
    a, b = GoalEnv(), GoalXYEnv()
    for seed in range(20):  # shoot_goal only, ball never out below the mouth past the line: identical
        a.reset(seed=seed)
        b.reset(seed=seed)
        ra, rb = a.step(act(1, [0.0])), b.step(act(1, [0.0]))
        assert np.array_equal(ra[0], rb[0]) and ra[1:4] == rb[1:4]


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
    assert result["return"] == 50.0 and result["steps"] > 1 and result["frames"] > 2  # dribbles, then scores
    assert gif.stat().st_size > 0 and png.stat().st_size > 0
    with pytest.raises(ValueError, match=r"\.gif or \.mp4"):
        record_episode("Goal", scripted_policy("Goal", 0), tmp_path / "x.avi", seed=0)
