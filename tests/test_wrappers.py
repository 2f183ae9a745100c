"""The flat-Box view of the parameterised environments and the factory."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bounded_ddpg.envs.actions import to_env_units, to_unit
from bounded_ddpg.envs.factory import make_env
from bounded_ddpg.envs.wrappers import FlatParameterisedAction, goal_features


def test_layout() -> None:
    p = make_env("Platform")
    assert isinstance(p, FlatParameterisedAction)
    assert p.n_discrete == 3 and p.action_space.shape == (6,) and p.observation_space.shape == (9,)
    assert p.param_slices == [slice(3, 4), slice(4, 5), slice(5, 6)]
    np.testing.assert_array_equal(p.param_high, [30.0, 720.0, 430.0])
    for goal_id in ("bounded_ddpg/Goal-v0", "bounded_ddpg/GoalXY-v0"):
        g = make_env(goal_id)
        assert isinstance(g, FlatParameterisedAction)
        assert g.action_space.shape == (7,) and g.observation_space.shape == (17,)
        assert g.param_slices == [slice(3, 5), slice(5, 6), slice(6, 7)]


@pytest.mark.parametrize("env_id", ["Platform", "Goal", "GoalXY"])
def test_round_trip_and_exact_boundaries(env_id: str) -> None:
    env = make_env(env_id)
    assert isinstance(env, FlatParameterisedAction)
    rng = np.random.default_rng(0)
    lo, hi = env.param_low, env.param_high
    for _ in range(200):
        flat = rng.uniform(-1.0, 1.0, env.action_space.shape)
        k, params = env.action(flat)
        assert k == int(np.argmax(flat[:3]))
        sl = env.param_slices[k]  # type: ignore[index]
        plo, phi = lo[sl.start - 3 : sl.stop - 3], hi[sl.start - 3 : sl.stop - 3]
        own = params[k]
        assert np.all(own >= plo) and np.all(own <= phi)
        np.testing.assert_allclose(to_unit(own, plo, phi), flat[sl], atol=1e-12)
    np.testing.assert_array_equal(to_env_units(-np.ones_like(lo), lo, hi), lo)
    np.testing.assert_array_equal(to_env_units(np.ones_like(lo), lo, hi), hi)
    np.testing.assert_array_equal(to_unit(lo, lo, hi), -1.0)
    np.testing.assert_array_equal(to_unit(hi, lo, hi), 1.0)
    np.testing.assert_array_equal(to_env_units(np.full_like(lo, 5.0), lo, hi), hi)  # outside: clipped
    k, params = env.action(np.r_[0.0, 0.0, 1.0, np.full(lo.size, -3.0)])
    assert k == 2 and np.all(np.concatenate(params) == lo)


def test_observations_are_rescaled() -> None:
    p = make_env("Platform", seed=0)
    obs, _ = p.reset()
    raw = np.array([0.018957, 0, 0.222222, 0, 0.909091, 1, 0.957447, 0, 0])
    np.testing.assert_allclose(obs, 2 * raw - 1, atol=2e-6)


# --- Goal's learner inputs: MP-DQN's (cycraig/MP-DQN common/goal_domain.py and common/wrappers.py) ---


def test_goal_features_by_hand() -> None:
    o = np.zeros(14)
    o[5:7], o[10:12] = (15.0, 2.0), (10.0, 0.0)  # keeper ahead of the ball
    # (ball - keeper) / |.| = (-5, -2) / sqrt(29); the line ball-keeper, y = 0.4 x - 4, meets x = 20 at 4
    np.testing.assert_allclose(goal_features(o), [-5 / math.sqrt(29), -2 / math.sqrt(29), 4.0])
    o[5:7], o[10:12] = (5.0, 0.0), (10.0, 2.0)  # keeper behind the ball: the same line rule, y = 0.4 x - 2
    np.testing.assert_allclose(goal_features(o), [5 / math.sqrt(29), 2 / math.sqrt(29), 6.0])
    o[5:7], o[10:12] = (10.0, 1.0), (10.0, 3.0)  # the same x, keeper below the ball
    np.testing.assert_allclose(goal_features(o), [0.0, 1.0, -7.01])
    o[5:7] = (10.0, 5.0)  # the same x, keeper above
    np.testing.assert_allclose(goal_features(o), [0.0, -1.0, 7.01])
    o[5:7], o[10:12] = (10.001, 5.0), (10.0, 0.0)  # a steep line: clipped to [-7.01, 14.02]
    assert goal_features(o)[2] == 14.02
    o[5:7] = (10.001, -5.0)
    assert goal_features(o)[2] == -7.01
    batch = np.stack([o, np.roll(o, 1)])
    np.testing.assert_array_equal(goal_features(batch)[0], goal_features(o))


@pytest.mark.parametrize("env_id", ["Goal", "GoalXY"])
def test_goal_observation_uses_the_reference_bounds_unclipped(env_id: str) -> None:
    env = make_env(env_id)
    assert isinstance(env, FlatParameterisedAction)
    pi = math.pi
    raw = np.array([10, 7.5, 0.5, -0.5, pi / 2, 20, -15, 1, -1, -pi, 0, 15, 1.5, -2.7], np.float32)
    # x in [0, 20], y in [-15, 15], player/keeper velocities +-1, facings +-pi, ball velocity +-3
    expected = [0, 0.5, 0.5, -0.5, 0.5, 1, -1, 1, -1, -1, -1, 1, 0.5, -0.9]
    # features: (ball - keeper) = (-20, 30) / 36.06; the line through both meets x = 20 at -15 -> -7.01
    expected += [-20 / math.sqrt(1300), 30 / math.sqrt(1300), -1.0]
    np.testing.assert_allclose(env.obs_map(raw), expected, atol=1e-6)
    raw[4], raw[10] = 2 * pi, 21.0  # outside the reference's box: not clipped, as ScaledStateWrapper
    out = env.obs_map(raw)
    assert out[4] == pytest.approx(2.0, abs=1e-6) and out[10] == pytest.approx(1.1, abs=1e-6)
    assert env.observation_space.contains(out)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (17,) and np.all(np.abs(obs) <= 1.0) and env.observation_space.contains(obs)


def test_make_env_seed_is_used_by_the_first_reset() -> None:
    a, b = make_env("Goal", seed=4), make_env("Goal", seed=4)
    np.testing.assert_array_equal(a.reset()[0], b.reset()[0])
    assert not np.array_equal(a.reset()[0], make_env("Goal", seed=5).reset()[0])


def test_unknown_id_lists_the_closest_registered_ones() -> None:
    with pytest.raises(ValueError, match="known ids") as err:
        make_env("Platfrom-v0")
    assert "bounded_ddpg/Platform-v0" in str(err.value) and "Pendulum-v1" not in str(err.value)


@pytest.mark.parametrize("bad", [np.zeros(5), np.zeros((1, 6)), "run", [0, 1, 2, 3, 4, np.nan]])
def test_bad_flat_actions_raise_value_error(bad: object) -> None:
    env = make_env("Platform", seed=0)
    env.reset()
    with pytest.raises(ValueError, match="flat action space"):
        env.step(bad)


SHARED_TASKS = ("Moving", "Sliding", "HardGoal", "CatchPoint", "HardMove")


@pytest.mark.parametrize("task", SHARED_TASKS)
def test_shared_layout_tasks_flatten_through_make_env_as_their_learners_see_them(task: str) -> None:
    """gym-hybrid's and HyAR's tasks: the ...Flat-v0 id is make_env's flat view, observations unchanged.

    Their reference learners saw what the environment returns (``learner_observation_space``), so the flat
    view passes the observations through (float32) instead of rescaling them; the shared parameters and
    their param_map come from the same code path as a user's own shared-layout task.
    """
    import gymnasium as gym

    native_id, flat_id = f"bounded_ddpg/{task}-v0", f"bounded_ddpg/{task}Flat-v0"
    native, trained, flat = gym.make(native_id).unwrapped, make_env(native_id), gym.make(flat_id)
    assert isinstance(trained, FlatParameterisedAction)
    layout = flat.get_wrapper_attr("layout")
    assert layout.layout == trained.layout.layout == "shared" and layout.param_map == trained.param_map
    assert np.array_equal(layout.low, trained.param_low) and np.array_equal(layout.high, trained.param_high)
    assert trained.param_map == tuple(map(tuple, native.param_map))  # type: ignore[attr-defined]
    declared = native.learner_observation_space  # type: ignore[attr-defined]
    assert trained.observation_space == flat.observation_space
    assert np.array_equal(trained.observation_space.low, np.float32(declared.low))  # type: ignore[attr-defined]
    assert np.array_equal(trained.observation_space.high, np.float32(declared.high))  # type: ignore[attr-defined]
    rng = np.random.default_rng(4)
    obs_native, _ = native.reset(seed=9)
    for env in (trained, flat):
        obs, _ = env.reset(seed=9)
        assert obs.dtype == np.float32 and np.array_equal(obs, np.float32(obs_native))
    for _ in range(20):
        u = rng.uniform(-1.0, 1.0, trained.action_space.shape).astype(np.float32)
        k, params = trained.action(u)
        want = native.step((k, params))
        for env in (trained, flat):
            got = env.step(u)
            assert np.array_equal(got[0], np.float32(want[0])) and got[1:4] == want[1:4]
        if want[2] or want[3]:
            break


def test_a_learner_observation_space_replaces_the_rescaling() -> None:
    """Any environment may declare that its observations are its learners' inputs; a wrong shape is named."""
    import gymnasium as gym

    env = gym.make("bounded_ddpg/Moving-v0")
    del env.unwrapped.learner_observation_space  # type: ignore[attr-defined]
    rescaled = FlatParameterisedAction(env)
    assert rescaled.observation_space == gym.spaces.Box(-1.0, 1.0, (10,), np.float32)
    raw, _ = env.reset(seed=2)
    np.testing.assert_allclose(rescaled.obs_map(raw)[2], -1.0)  # speed 0 of [0, 100.5]
    env.unwrapped.learner_observation_space = gym.spaces.Box(-1.0, 1.0, (3,))  # type: ignore[attr-defined]
    with pytest.raises(
        ValueError, match=r"learner_observation_space Box\(-1\.0, 1\.0, \(3,\), float32\) does not"
    ):
        FlatParameterisedAction(env)
