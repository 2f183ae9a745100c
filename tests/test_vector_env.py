"""Vectorised Platform/Goal/GoalXY reproduce single copies exactly; SAME_STEP autoreset like gymnasium."""

from __future__ import annotations

import numpy as np
import pytest

from bounded_ddpg.envs.factory import make_env
from bounded_ddpg.envs.vector import GoalVectorEnv, PlatformVectorEnv, make_vector_env


def _run_and_compare(env_id: str, n: int, steps: int, check: int) -> int:
    seeds = list(range(100, 100 + n))
    venv = make_vector_env(env_id, n, seeds)
    obs0, _ = venv.reset()
    (action_dim,), (obs_dim,) = (
        venv.single_action_space.shape or (),
        venv.single_observation_space.shape or (),
    )
    acts = np.random.default_rng(1).uniform(-1, 1, (steps, n, action_dim))
    obs, rews, finals = [obs0], [], []
    for t in range(steps):
        o, r, term, trunc, info = venv.step(acts[t])
        assert o.shape == (n, obs_dim) and venv.observation_space.contains(o)
        obs.append(o)
        rews.append(r)
        finals.append((term | trunc, info.get("_final_obs"), info.get("final_obs")))
    episodes = 0
    for i in np.linspace(0, n - 1, check).astype(int).tolist():
        env = make_env(env_id, seed=seeds[i])
        o, _ = env.reset()
        np.testing.assert_array_equal(o, obs[0][i])
        for t in range(steps):
            o, r, term, trunc, _ = env.step(acts[t, i])
            assert r == rews[t][i]
            done, mask, final = finals[t]
            assert done[i] == (term or trunc)
            if term or trunc:
                episodes += 1
                assert mask is not None and mask[i] and final is not None
                np.testing.assert_array_equal(final[i], o)  # the final observation, before the reset
                o, _ = env.reset()
            np.testing.assert_array_equal(o, obs[t + 1][i])
    return episodes


CASES = [
    ("Platform", 1, 150, 1),
    ("Platform", 64, 40, 6),
    ("Goal", 1, 150, 1),
    ("Goal", 64, 40, 6),
    ("GoalXY", 16, 40, 3),
]


@pytest.mark.parametrize(("env_id", "n", "steps", "check"), CASES)
def test_copies_equal_single_envs(env_id: str, n: int, steps: int, check: int) -> None:
    assert _run_and_compare(env_id, n, steps, check) >= 3  # several episodes, so autoreset is covered


def test_types_spaces_and_bad_actions() -> None:
    p = make_vector_env("Platform", 4, [0, 1, 2, 3])
    assert isinstance(p, PlatformVectorEnv) and p.metadata["autoreset_mode"].name == "SAME_STEP"
    assert p.action_space.shape == (4, 6) and p.observation_space.shape == (4, 9)
    assert isinstance(make_vector_env("Goal", 2), GoalVectorEnv)
    xy = make_vector_env("GoalXY", 2)
    assert isinstance(xy, GoalVectorEnv) and all(type(c).__name__ == "GoalXYEnv" for c in xy.cores)
    p.reset()
    with pytest.raises(ValueError, match="flat action space"):
        p.step(np.zeros((3, 6)))
    with pytest.raises(ValueError, match="seeds"):
        make_vector_env("Platform", 2, [1])


def test_box_tasks_are_sync_vector_envs() -> None:
    venv = make_vector_env("Pendulum-v1", 3, [0, 1, 2])
    obs, _ = venv.reset()
    single = make_env("Pendulum-v1", seed=1).reset()[0]
    np.testing.assert_array_equal(obs[1], single)
    assert venv.metadata["autoreset_mode"].name == "SAME_STEP"
