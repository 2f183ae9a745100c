"""Moving-v0 and Sliding-v0 replay the reference's trajectories under two further policies, seed for seed.

An independent check beside tests/test_gym_hybrid_reference.py (whose six policies are compared by their
statistics): ``TRAJECTORY_POLICIES`` of tests/gym_hybrid_policies.py, a braking random walk with in-range
parameters (the goal rule fires on a few starts, the others leave the field or time out) and the steering
policy with one action in four replaced by a random one (the goal on 30% of Moving's starts and 75% of
Sliding's), drove the reference code (github.com/thomashirtz/gym-hybrid @ 2256181,
``gym_hybrid/environments.py`` and ``gym_hybrid/agents.py``, under gym 0.25.2 and numpy 2.4.6, in its own
virtual environment, outside this project: a fresh env per seed, ``env.seed(s)``, ``reset()``) on seeds
0-299; the fingerprint of each episode (``hyar_policies.digest``: length, return, time-weighted sums of the
rewards and of the float32 observations, the final observation) is kept in
tests/golden/gym_hybrid_reference_digests.json. Success on the reference: the episode ended stopped
inside the disc (distance < 0.1, speed == 0). No reference episode of these policies went NaN. Natively,
``reset(seed=s)``: the same numbers (bit for bit on the machine that made them; 1e-9 relative and absolute
allowed for another CPU's last-bit sine or cosine).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bounded_ddpg.envs.gym_hybrid import GymHybridEnv, MovingEnv, SlidingEnv
from gym_hybrid_policies import TRAJECTORY_POLICIES
from hyar_policies import digest

GOLDEN = Path(__file__).parent / "golden" / "gym_hybrid_reference_digests.json"
ENVS: dict[str, type[GymHybridEnv]] = {"Moving": MovingEnv, "Sliding": SlidingEnv}


def native_digest(env: GymHybridEnv, policy_name: str, seed: int) -> list[float]:
    obs, _ = env.reset(seed=seed)
    policy = TRAJECTORY_POLICIES[policy_name](seed)
    obs_list, rewards = [obs], []
    while True:
        obs, reward, terminated, truncated, info = env.step(policy(obs))
        obs_list.append(obs)
        rewards.append(reward)
        assert not truncated
        if terminated:
            return digest(obs_list, rewards, True, info["success"])


@pytest.mark.slow
@pytest.mark.parametrize("env_name", list(ENVS))
@pytest.mark.parametrize("policy_name", list(TRAJECTORY_POLICIES))
def test_trajectories_match_the_reference(env_name: str, policy_name: str) -> None:
    expected_all = json.loads(GOLDEN.read_text())[env_name][policy_name]
    assert len(expected_all) == 300
    env = ENVS[env_name]()
    # episodes that ended on the goal, out of the field (before step 201), at step 201 (the time-out)
    outcomes = np.zeros(3)
    for seed, expected in enumerate(expected_all):
        got = native_digest(env, policy_name, seed)
        assert np.allclose(got, expected, rtol=1e-9, atol=1e-9), (env_name, policy_name, seed, got, expected)
        goal = got[2] == 1
        outcomes += [goal, not goal and got[0] <= env.max_step, not goal and got[0] == env.max_step + 1]
    assert outcomes.sum() == 300 and np.all(outcomes > 0), outcomes  # every terminal rule fired
