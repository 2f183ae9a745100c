"""Moving-v0 and Sliding-v0: every rule by hand, the reference's exact episodes, spaces, flat views.

The exact numbers below were printed by the reference code (thomashirtz/gym-hybrid @ 2256181, gym 0.25.2,
``env.seed(s)``, ``reset()``, the policies of ``gym_hybrid_policies.py``); the native environment
reproduces them bit for bit (docs/envs.md, "Checked against the reference").
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from omegaconf import OmegaConf

from bounded_ddpg.envs import MOVING_FLAT_ID, MOVING_ID, SLIDING_FLAT_ID, SLIDING_ID
from bounded_ddpg.envs.gym_hybrid import GymHybridEnv, MovingEnv, SlidingEnv, sliding_thrust
from gym_hybrid_policies import POLICIES

BRAKE, NO_PARAMS = (2, [0.0, 0.0]), [0.0, 0.0]
# seed: (x, y, cos theta, sin theta, target x, target y) of the reference's first reset
REFERENCE_STARTS = {
    0: (-0.9669447289429418, 0.6265404784005448, 0.8534781134132176, -0.5211286884490384,
        0.24653103717861768, -0.41438391522503343),
    1: (0.8972988942744877, -0.3763370959790291, -0.886183538201192, 0.4633343680553132,
        0.02127892446046209, 0.8108346533866836),
}  # fmt: skip
# (env, policy, seed): (episode length, final x, final y, final speed, return) on the reference
REFERENCE_EPISODES = {
    ("Moving", "steer", 0): (89, 0.21521114068393357, -0.3875175820214085, 0.0, 2.468500000000003),
    ("Moving", "random", 1): (60, 1.0034800034438796, -0.3552011386161374, 4.347249719951751,
                              -1.088309172697293),
    ("Moving", "nan", 1): (201, 0.8296342590786067, -0.4240095488594113, 7.575000000000013,
                           -1.2336839995788549),
    ("Sliding", "random", 0): (201, -0.2543229442560468, -0.03248775927200179, 0.08284684374749302,
                               -0.2313320582636308),
    ("Sliding", "random", 1): (103, 1.008729206611922, -0.7272369422164572, 2.4648391926559086,
                               -1.442660435352498),
    ("Sliding", "nan", 1): (201, 0.8978351264516274, -0.2935670647184572, 0.075, -1.1349322607532075),
}  # fmt: skip
ENVS: dict[str, type[GymHybridEnv]] = {"Moving": MovingEnv, "Sliding": SlidingEnv}
CONF = Path(__file__).parents[1] / "src" / "bounded_ddpg" / "conf"


def place(
    env: GymHybridEnv, x: float, y: float, tx: float, ty: float, speed: float = 0.0, theta: float = 0.0
) -> None:
    env.reset(seed=0)
    env.x, env.y, env.tx, env.ty, env.speed, env.theta, env.phi = x, y, tx, ty, speed, theta, theta


@pytest.mark.parametrize("seed", list(REFERENCE_STARTS))
@pytest.mark.parametrize("cls", [MovingEnv, SlidingEnv])
def test_reset_draws_the_reference_start(cls: type[GymHybridEnv], seed: int) -> None:
    obs, info = cls().reset(seed=seed)
    assert tuple(obs[[0, 1, 3, 4, 5, 6]]) == REFERENCE_STARTS[seed]
    assert obs[2] == 0.0 and obs[9] == 0.0 and info == {"success": False, "cause": None}


@pytest.mark.parametrize("key", list(REFERENCE_EPISODES), ids=lambda k: "-".join(map(str, k)))
def test_reference_episodes_bit_for_bit(key: tuple[str, str, int]) -> None:
    env = ENVS[key[0]]()
    obs, _ = env.reset(seed=key[2])
    policy = POLICIES[key[1]](key[2])
    ret, n, terminated = 0.0, 0, False
    while not terminated:
        obs, reward, terminated, _, _ = env.step(policy(obs))
        ret, n = ret + reward, n + 1
    assert (n, obs[0], obs[1], obs[2], ret) == REFERENCE_EPISODES[key]


@pytest.mark.parametrize("cls", [MovingEnv, SlidingEnv])
def test_goal_needs_speed_exactly_zero_and_strictly_inside(cls: type[GymHybridEnv]) -> None:
    env = cls()
    place(env, 0.0, 0.0, 0.1, 0.0)  # distance exactly 0.1: the flag says inside (<=), the goal (<) does not
    obs, reward, terminated, _, info = env.step(BRAKE)
    assert obs[7] == 0.1 and obs[8] == 1.0 and not terminated and not info["success"]
    place(env, 0.0, 0.0, 0.05, 0.0, speed=0.15)
    obs, _, terminated, _, _ = env.step(BRAKE)  # 0.15 - 0.1 = 0.04999999999999999: moving, not a goal
    assert 0 < obs[2] < 0.1 and not terminated
    d_prev = obs[7]
    obs, reward, terminated, truncated, info = env.step(BRAKE)  # below 0.1: speed 0 exactly
    assert obs[2] == 0.0 and terminated and not truncated
    assert info == {"success": True, "cause": "goal"}
    assert reward == d_prev - obs[7] - 0.001 + 1


@pytest.mark.parametrize("cls", [MovingEnv, SlidingEnv])
def test_every_action_moves_and_parameters_are_clipped(cls: type[GymHybridEnv]) -> None:
    env = cls()
    place(env, 0.0, 0.0, 0.5, 0.5, speed=1.0)
    obs, *_ = env.step((1, [0.0, 3.0]))  # turn clipped to pi/2; the agent still moves 0.005
    moved = obs[1] if cls is MovingEnv else obs[0]  # Moving: along the new heading; Sliding: the old velocity
    assert env.theta == math.pi / 2 and moved == pytest.approx(0.005, abs=1e-15)
    obs, *_ = env.step((0, [-2.0, 0.0]))  # acceleration clipped to 0
    assert obs[2] == 1.0
    obs, *_ = env.step((0, [5.0, 0.0]))  # clipped to 1: + 0.5
    assert obs[2] == pytest.approx(1.5 if cls is MovingEnv else math.hypot(1.0, 0.5), abs=1e-15)


def test_sliding_adds_thrust_as_a_vector_and_keeps_velocity_through_turns() -> None:
    env = SlidingEnv()
    place(env, 0.0, 0.0, 0.5, 0.5, speed=1.0, theta=0.0)
    env.step((1, [0.0, 1.0]))  # heading now pi/2; the velocity still points along x
    assert (env.x, env.y, env.phi) == (0.005, 0.0, 0.0)
    env.step((0, [1.0, 0.0]))  # (1, 0) + (0, 0.5)
    assert env.speed == pytest.approx(math.hypot(1.0, 0.5), abs=1e-15)
    assert env.phi == pytest.approx(math.atan2(0.5, 1.0), abs=1e-15)
    env.speed = 0.05
    env.step(BRAKE)  # stopping turns the velocity's direction to the heading
    assert env.speed == 0.0 and env.phi == env.theta == math.pi / 2


@pytest.mark.parametrize("cls", [MovingEnv, SlidingEnv])
def test_out_of_field_and_the_201st_step_cost_one_and_terminate(cls: type[GymHybridEnv]) -> None:
    env = cls()
    place(env, 0.999, 0.0, -0.5, 0.0, speed=1.0)
    _, reward, terminated, truncated, info = env.step((1, NO_PARAMS))
    assert (reward, terminated, truncated, info["cause"]) == (-1.0, True, False, "out")
    place(env, 0.9, 0.9, -0.5, -0.5)
    for _ in range(200):
        obs, reward, terminated, truncated, info = env.step((1, [0.0, 0.5]))
        assert not terminated and not truncated and reward == pytest.approx(-0.001, abs=1e-15)
    obs, reward, terminated, truncated, info = env.step((1, [0.0, 0.5]))
    assert (reward, terminated, truncated, info) == (
        -1.0,
        True,
        False,
        {"success": False, "cause": "timeout"},
    )
    assert obs[9] == 1.005 and obs in env.observation_space


def test_nan_guard_is_the_only_difference() -> None:
    rng = np.random.default_rng(0)
    for value, speed, phi, theta in rng.uniform([0, 0, 0, 0], [0.5, 3, 7, 7], (2000, 4)):
        assert sliding_thrust(value, speed, phi, theta) == sliding_thrust(
            value, speed, phi, theta, guard=False
        )
    env = SlidingEnv()  # seed 0 of the "nan" policy went NaN on the reference at its 39th step
    obs, _ = env.reset(seed=0)
    policy, fired = POLICIES["nan"](0), []
    for step in range(1, 202):
        k, params = policy(obs)
        unguarded = sliding_thrust(0.5 * params[0], env.speed, env.phi, env.theta, guard=False)[0]
        if k == 0 and math.isnan(unguarded):
            fired.append(step)
        obs, reward, terminated, _, _ = env.step((k, params))
        assert np.all(np.isfinite(obs)) and math.isfinite(reward)
        if fired and fired[-1] == step:
            assert obs[2] == 0.0  # the guarded case: speed 0 where the reference's is NaN
        if terminated:
            break
    assert fired[0] == 39


@pytest.mark.parametrize("env_id", [MOVING_ID, SLIDING_ID, MOVING_FLAT_ID, SLIDING_FLAT_ID])
def test_gymnasium_env_checker_and_valid_spaces(env_id: str) -> None:
    env = gym.make(env_id)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # check_env's own remark about any wrapped env (gym.make always wraps): not about these envs
        warnings.filterwarnings("ignore", message=".*different from the unwrapped version.*")
        check_env(env, skip_render_check=True)
    space = env.observation_space
    assert isinstance(space, gym.spaces.Box) and np.all(space.low < space.high)
    assert env.unwrapped.param_map == [[0], [1], []]  # type: ignore[attr-defined]


def test_flat_view_maps_scores_and_shared_parameters() -> None:
    env = gym.make(SLIDING_FLAT_ID)
    env.reset(seed=1)
    inner = env.unwrapped
    assert env.action_space.shape == (5,) and isinstance(inner, SlidingEnv)
    obs, *_ = env.step(np.array([0.9, 0.0, 0.1, 1.0, -1.0], np.float32))  # accelerate, parameter 1 -> 1.0
    assert obs.dtype == np.float32 and inner.speed == 0.5
    theta = inner.theta
    env.step(np.array([0.0, 0.5, 0.1, -1.0, 0.0], np.float32))  # turn, rotation parameter 0 -> 0
    assert inner.theta == theta
    with pytest.raises(ValueError, match="flat action space"):
        env.step(np.zeros(4))


@pytest.mark.parametrize("bad", [(3, NO_PARAMS), (1, [0.1]), (0.5, NO_PARAMS), (1, [0.0, math.nan]), "x"])
def test_bad_actions_raise_value_error(bad: object) -> None:
    env = MovingEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action space"):
        env.step(bad)


def test_render_draws_the_field() -> None:
    env = MovingEnv(render_mode="rgb_array")
    env.reset(seed=0)
    img = env.render()
    assert img is not None and img.shape == (200, 200, 3) and img.dtype == np.uint8
    assert MovingEnv().render() is None
    with pytest.raises(ValueError, match="render_mode"):
        MovingEnv(render_mode="human")


@pytest.mark.parametrize("name", ["Moving", "Sliding"])
def test_presets_name_the_env_its_success_key_and_param_map(name: str) -> None:
    conf = OmegaConf.load(CONF / "env" / f"{name}.yaml")
    env = gym.make(conf.env.id).unwrapped
    assert isinstance(env, ENVS[name]) and conf.env.name == name and conf.env.parameterised
    assert OmegaConf.to_object(conf.env.param_map) == env.param_map
    _, info = env.reset(seed=0)
    assert info[conf.env.success_key] is False
    assert conf.budget.steps % conf.eval.every_steps == 0


def test_docs_picture_snippet_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (CONF.parents[2] / "docs" / "envs.md").read_text()
    marker = (
        "<!-- picture: checked by tests/test_gym_hybrid.py::test_docs_picture_snippet_runs -->\n```python\n"
    )
    snippet = text.split(marker)[1].split("```")[0]
    (tmp_path / "docs" / "img").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    exec(compile(snippet, "docs/envs.md", "exec"), {})
    import matplotlib.pyplot as plt

    img = plt.imread(tmp_path / "docs" / "img" / "gym_hybrid.png")
    committed = plt.imread(CONF.parents[2] / "docs" / "img" / "gym_hybrid.png")
    plt.close("all")
    assert img.shape == committed.shape == (256, 480, 4)
