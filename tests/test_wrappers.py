"""The flat-Box view of the parameterised environments and the factory."""

from __future__ import annotations

import numpy as np
import pytest

from bounded_ddpg.envs.actions import to_env_units, to_unit
from bounded_ddpg.envs.factory import KNOWN_IDS, make_env
from bounded_ddpg.envs.wrappers import FlatParameterisedAction, goal_features


def test_layout() -> None:
    p = make_env("Platform")
    assert isinstance(p, FlatParameterisedAction)
    assert p.n_discrete == 3 and p.action_space.shape == (6,) and p.observation_space.shape == (9,)
    assert p.param_slices == [slice(3, 4), slice(4, 5), slice(5, 6)]
    np.testing.assert_array_equal(p.param_high, [30.0, 720.0, 430.0])
    g = make_env("bounded_ddpg/Goal-v0")
    assert isinstance(g, FlatParameterisedAction)
    assert g.action_space.shape == (7,) and g.observation_space.shape == (17,)
    assert g.param_slices == [slice(3, 5), slice(5, 6), slice(6, 7)]


@pytest.mark.parametrize("env_id", ["Platform", "Goal"])
def test_round_trip_and_exact_boundaries(env_id: str) -> None:
    env = make_env(env_id)
    assert isinstance(env, FlatParameterisedAction)
    rng = np.random.default_rng(0)
    lo, hi = env.param_low, env.param_high
    for _ in range(200):
        flat = rng.uniform(-1.0, 1.0, env.action_space.shape)
        k, params = env.action(flat)
        assert k == int(np.argmax(flat[:3]))
        sl = env.param_slices[k]
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
    g = make_env("Goal", seed=0)
    obs, _ = g.reset()
    assert obs.shape == (17,) and np.all(np.abs(obs) <= 1.0)


def test_goal_features() -> None:
    o = np.zeros(14)
    o[5:7], o[10:12] = (15.0, 1.0), (5.0, 1.0)  # keeper straight ahead of the ball
    np.testing.assert_allclose(goal_features(o), [-1.0, 0.0, 1.0])
    o[5:7], o[10:12] = (15.0, 2.0), (10.0, 0.0)  # the ray ball -> keeper meets x = 20 at y = 4
    np.testing.assert_allclose(goal_features(o)[2], 4.0)
    o[5:7], o[10:12] = (5.0, 0.0), (10.0, 0.0)  # keeper behind the ball: the top of the range
    assert goal_features(o)[2] == 14.02
    batch = np.stack([o, o])
    np.testing.assert_array_equal(goal_features(batch)[1], goal_features(o))


def test_make_env_seed_is_used_by_the_first_reset() -> None:
    a, b = make_env("Goal", seed=4), make_env("Goal", seed=4)
    np.testing.assert_array_equal(a.reset()[0], b.reset()[0])
    assert not np.array_equal(a.reset()[0], make_env("Goal", seed=5).reset()[0])


def test_unknown_id_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known ids") as err:
        make_env("Platfrom-v0")
    assert all(k in str(err.value) for k in KNOWN_IDS)


@pytest.mark.parametrize("bad", [np.zeros(5), np.zeros((1, 6)), "run", [0, 1, 2, 3, 4, np.nan]])
def test_bad_flat_actions_raise_value_error(bad: object) -> None:
    env = make_env("Platform", seed=0)
    env.reset()
    with pytest.raises(ValueError, match="flat action space"):
        env.step(bad)
