"""HyAR's Hard Goal, Catch Point and Hard Move: each rule of the reference, checked on hand-computed cases.

The side-by-side checks against the reference code are in test_hyar_reference.py.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import bounded_ddpg  # noqa: F401  (registers the ids)
from bounded_ddpg.envs import HYAR_FLAT_IDS, HYAR_IDS
from bounded_ddpg.envs.goal_env import KICK_TO, SHOOT, SHOOT2
from bounded_ddpg.envs.goal_physics import goal_distance
from bounded_ddpg.envs.hard_goal import HardGoalEnv, goal_action
from bounded_ddpg.envs.mpe_tasks import CatchPointEnv, HardMoveEnv, actuator_motions
from bounded_ddpg.report import published


def shot(k: int, p_k: float) -> np.ndarray:
    p = np.zeros(12)
    p[k + 1] = p_k
    return p


# ---------------- Hard Goal ----------------
@pytest.mark.parametrize(
    ("k", "p_k", "y"),
    [
        (1, 1.0, -7.01),  # bin 0 is [-1, -0.6], reversed: p = +1 gives its low end
        (1, -1.0, -4.206),
        (2, 0.0, -2.804),  # bin 1 [-0.6, -0.2], midpoint
        (3, -1.0, 1.402),  # bin 2 [0.2, 0.2]: degenerate, every p shoots at 1.402
        (3, 0.7, 1.402),
        (4, 1.0, 1.402),
        (4, -1.0, 4.206),
        (5, -1.0, 7.01),
        (1, -5.0, 1.402),  # not clipped before the map: out of range p leaves its bin
    ],
)
def test_hard_goal_shot_bins_are_reversed_and_bin_2_is_degenerate(k: int, p_k: float, y: float) -> None:
    kind, params = goal_action(k, shot(k, p_k))
    assert kind == SHOOT and params[1][0] == pytest.approx(y, abs=1e-6)
    kind5, params5 = goal_action(
        k + 5, shot(k + 5, p_k)
    )  # k and k + 5: the same shot through Goal's action 2
    assert kind5 == SHOOT2 and params5[2][0] == params[1][0]


def test_hard_goal_kick_to_scales_and_aims_at_x_x() -> None:
    p = np.zeros(12)
    p[0], p[1] = -0.25, 0.5
    kind, params = goal_action(0, p)
    assert kind == KICK_TO and params[0].tolist() == [15.0, 7.5]
    env = HardGoalEnv()
    assert env.goal.target(kind, params) == (15.0, 15.0)  # Goal-v0's quirk: y is ignored


def test_hard_goal_observation_is_the_17_scaled_learner_inputs() -> None:
    env = HardGoalEnv()
    obs, _ = env.reset(seed=3)
    raw = np.array(env.goal.state.as_list())
    assert obs.shape == (17,) and obs.dtype == np.float32
    assert obs[0] == -1.0  # player x = 0 of [0, 20]
    assert obs[1] == pytest.approx(raw[1] / 15.0, abs=1e-6)
    unit = (raw[10:12] - raw[5:7]) / np.linalg.norm(raw[10:12] - raw[5:7])
    assert obs[14:16] == pytest.approx(unit, abs=1e-6)


def own_x_kick(env: HardGoalEnv) -> np.ndarray:
    p = np.zeros(12)
    p[0] = (
        env.goal.state.player[0] / 20.0 - 1.0
    )  # kick-to (x, x) at the player's own x: the ball stays in play
    return p


def test_hard_goal_100th_step_takes_no_action_and_terminates() -> None:
    env = HardGoalEnv(noise=False)
    env.reset(seed=0, options={"player_y": 0.0})
    for step in range(1, 100):
        _, _, term, trunc, info = env.step((0, own_x_kick(env)))
        assert not (term or trunc) and info["substeps"] > 0, step
    ball = list(env.goal.state.ball)
    _, reward, term, trunc, info = env.step((3, np.zeros(12)))  # the 100th: a shot, but nothing moves
    assert term and not trunc and info["time_limit"] and not info["success"] and info["substeps"] == 0
    assert env.goal.state.ball == ball and reward == -goal_distance(ball) == pytest.approx(-18.4)


def test_hard_goal_success_is_a_goal_and_pays_50() -> None:
    env = HardGoalEnv(noise=False)
    env.reset(seed=0, options={"player_y": 0.0})
    rewards: list[float] = []
    info: dict[str, object] = {}
    while not info.get("success") and len(rewards) < 10:  # dribble 2 ahead, shoot in bin 3 from x >= 8
        ball_x = env.goal.state.ball[0]
        p = np.zeros(12)
        p[0] = (ball_x + 2.0) / 20.0 - 1.0
        _, r, term, trunc, info = env.step((0, p) if ball_x < 8.0 else (4, p * 0))
        rewards.append(r)
    assert rewards == [0.0, 0.0, 0.0, 50.0] and term and not trunc and info["goal"]


# ---------------- Catch Point ----------------
def test_catch_point_moves_x_by_sine_and_y_by_cosine() -> None:
    env = CatchPointEnv()
    env.reset(seed=0, options={"agent_pos": (0.0, 0.0), "target_pos": (0.0, 0.5)})
    obs, reward, term, trunc, info = env.step((0, np.array([0.0])))  # angle 0: force (0, 2)
    assert obs.tolist() == pytest.approx([0.0, 0.2, 0.0, 0.48], abs=1e-7)
    assert reward == pytest.approx(-(0.48**2)) and not (term or trunc or info["success"])
    obs, *_ = env.step((0, np.array([0.5])))  # angle pi/2: force (2, 0); v = 0.75 v + 0.1 F
    assert obs[:2].tolist() == pytest.approx([0.2, 0.15], abs=1e-7)


def test_catch_point_catch_is_judged_after_the_drift() -> None:
    env = CatchPointEnv()
    env.reset(seed=0, options={"agent_pos": (0.0, 0.0), "target_pos": (0.0, -0.17)})
    env.step((0, np.array([0.0])))  # moving away: 0.19 from the target, speed 0.2
    _, reward, term, _, info = env.step((1, np.array([0.3])))  # drifts 0.015 further: 0.205 > 0.2, a miss
    assert env.misses == 1 and reward == pytest.approx(-(0.205**2)) and not term and not info["success"]
    env.reset(seed=0, options={"agent_pos": (0.0, 0.0), "target_pos": (0.0, 0.215)})
    env.step((0, np.array([0.0])))  # 0.195 away, moving closer
    _, reward, term, trunc, info = env.step((1, np.zeros(1)))  # drifts to 0.18: caught
    assert term and not trunc and info["success"] and reward == pytest.approx(20 - 0.18**2)


def test_catch_point_eleven_misses_then_reward_zero_ends() -> None:
    env = CatchPointEnv()
    env.reset(seed=0, options={"agent_pos": (0.0, 0.0), "target_pos": (0.0, 0.9)})
    rewards = []
    while True:
        _, r, term, trunc, info = env.step((1, np.zeros(1)))
        rewards.append(r)
        if term or trunc:
            break
    assert len(rewards) == 12 and rewards[-1] == 0.0 and all(r == -0.81 for r in rewards[:-1])
    assert term and not trunc and not info["success"]


def test_catch_point_truncates_at_step_25() -> None:
    env = CatchPointEnv()
    env.reset(seed=0, options={"agent_pos": (0.0, 0.0), "target_pos": (0.0, -0.9)})
    for step in range(1, 26):
        _, _, term, trunc, _ = env.step((0, np.array([0.0])))
        assert not term and trunc == (step == 25)


# ---------------- Hard Move ----------------
@pytest.mark.parametrize(("n", "max_norm"), [(4, math.sqrt(2)), (6, 2.0), (8, 2.613), (10, 3.236)])
def test_hard_move_motions_msb_first_normalised_by_the_largest_norm(n: int, max_norm: float) -> None:
    motions = actuator_motions(n)
    assert motions[1 << (n - 1)] == pytest.approx([1 / max_norm, 0.0], abs=1e-3)  # actuator 0 alone
    last = 2 * math.pi * (n - 1) / n  # bit 0 of k is actuator n - 1
    assert motions[1] == pytest.approx([math.cos(last) / max_norm, math.sin(last) / max_norm], abs=1e-3)
    assert np.max(np.linalg.norm(motions, axis=1)) == pytest.approx(1.0)
    assert np.abs(motions[0]).max() == 0.0 and np.abs(motions[-1]).max() < 1e-12


def test_hard_move_reads_only_p_k_and_a_negative_p_reverses() -> None:
    env = HardMoveEnv(n_actuators=4)
    assert env.shared_space.spaces[0].n == 16 and env.param_map[8] == [8]  # type: ignore[attr-defined]
    for sign in (1.0, -1.0):
        env.reset(seed=0, options={"agent_pos": (0.0, 0.0), "target_pos": (0.9, 0.9)})
        p = np.full(16, 0.7)
        p[8] = sign
        obs, *_ = env.step((8, p))  # actuator 0 (direction (1, 0)) alone, 2 p / sqrt(2)
        assert obs[:2].tolist() == pytest.approx([sign * 0.2 / math.sqrt(2), 0.0], abs=1e-7)


def test_hard_move_success_within_0_2_and_truncation_at_30() -> None:
    env = HardMoveEnv(n_actuators=6)
    env.reset(seed=0, options={"agent_pos": (0.0, 0.0), "target_pos": (0.1, 0.0)})
    _, reward, term, trunc, info = env.step((0, np.zeros(64)))
    assert term and not trunc and info["success"] and reward == pytest.approx(19.99)
    env.reset(seed=0, options={"agent_pos": (0.0, 0.0), "target_pos": (0.9, 0.0)})
    for step in range(1, 31):
        _, _, term, trunc, info = env.step((0, np.zeros(64)))
        assert not term and trunc == (step == 30) and not info["success"]


def test_hard_move_rejects_other_actuator_counts() -> None:
    with pytest.raises(ValueError, match=r"n_actuators must be one of \(4, 6, 8, 10\), got 5"):
        gym.make("bounded_ddpg/HardMove-v0", n_actuators=5)


# ---------------- all three ----------------
@pytest.mark.parametrize("env_id", HYAR_IDS)
def test_native_envs_pass_the_env_checker(env_id: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Catch Point and Hard Move declare Box(-inf, inf) observations, as the reference: parameters are not
        # clipped, so positions and speeds are unbounded (the flat views clip and declare finite bounds)
        warnings.filterwarnings("ignore", message=".*infinity.*")
        check_env(gym.make(env_id).unwrapped, skip_render_check=True)


@pytest.mark.parametrize("flat_id", list(HYAR_FLAT_IDS))
def test_flat_views_pass_the_env_checker_without_a_warning(flat_id: str) -> None:
    env = gym.make(flat_id)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message=".*different from the unwrapped version.*")
        check_env(env, skip_render_check=True)


def test_flat_view_argmax_picks_and_clips_the_shared_parameters() -> None:
    env = gym.make("bounded_ddpg/CatchPointFlat-v0")
    assert env.action_space.shape == (3,)
    env.reset(seed=1, options={"agent_pos": (0.0, 0.0), "target_pos": (0.0, 0.9)})
    obs, *_ = env.step(np.array([0.9, -0.5, 3.0], dtype=np.float32))  # move, p clipped to 1: angle pi
    assert obs[:2].tolist() == pytest.approx([0.0, -0.2], abs=1e-6)
    flat_move = gym.make("bounded_ddpg/HardMoveFlat-v0", n_actuators=8)
    assert flat_move.action_space.shape == (512,) and flat_move.get_wrapper_attr("n_discrete") == 256


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ((2, np.zeros(1)), r"discrete action 2 outside 0\.\.1"),
        ((0, np.zeros(2)), r"parameter shape \(2,\) != \(1,\)"),
        ((0, np.array([np.nan])), "non-finite parameter"),
        ("move", "does not match the action space"),
    ],
)
def test_bad_actions_are_named(action: object, message: str) -> None:
    env = CatchPointEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match=message):
        env.step(action)


def test_seeded_resets_repeat_and_differ() -> None:
    for env_id in HYAR_IDS:
        env = gym.make(env_id).unwrapped
        a, _ = env.reset(seed=5)
        b, _ = env.reset(seed=5)
        c, _ = env.reset(seed=6)
        assert np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.parametrize(
    ("env", "paper_steps", "paper_every", "paper_episodes"),
    [("HardGoal", 300_000, 500, 100), ("CatchPoint", 1_000_000, 2500, 50), ("HardMove", 1_000_000, 2500, 50)],
)
def test_presets_compose_with_hyar_protocols(
    env: str, paper_steps: int, paper_every: int, paper_episodes: int
) -> None:
    from hydra import compose, initialize_config_module

    from bounded_ddpg import config as schema

    schema.register()
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        cpu = compose("config", overrides=[f"env={env}"])
        paper = compose("config", overrides=[f"env={env}", "experiment=paper"])
    assert cpu.env.id in gym.registry and cpu.env.parameterised and cpu.budget.steps <= 50_000
    hyar_env = "HardMove4" if env == "HardMove" else env
    assert paper.budget.steps == published.HYAR_STEPS[hyar_env]  # the report's note quotes this budget
    assert (paper.budget.steps, paper.eval.every_steps, paper.eval.episodes) == (
        paper_steps,
        paper_every,
        paper_episodes,
    )


def test_hyar_published_table_rows_and_lookup() -> None:
    assert all(len(row) == len(published.HYAR_AGENTS) for row in published.HYAR_TABLE.values())
    assert published.hyar_success_rate("HardGoal", "HyAR-TD3") == (0.60, 0.07)
    assert published.hyar_success_rate("HardMove10", "HyAR-DDPG") == (0.82, 0.06)
    assert all(0.0 <= m <= 1.0 for row in published.HYAR_TABLE.values() for m, _ in row)  # success rates
    with pytest.raises(KeyError, match=r"envs: .*agents: "):
        published.hyar_success_rate("HardMove12", "HyAR-TD3")


def test_docs_pictures_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bounded_ddpg.envs import render_hyar

    monkeypatch.setattr("sys.argv", ["render_hyar", "--out", str(tmp_path)])
    render_hyar.main()
    for name in ("hard_goal.png", "catch_point.png", "hard_move.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
