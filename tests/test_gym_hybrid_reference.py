"""Moving-v0 and Sliding-v0 score what the reference code scores: six fixed policies, figures kept here.

The reference figures: the policies of ``gym_hybrid_policies.py`` run on the reference code
(thomashirtz/gym-hybrid @ 2256181 under gym 0.25.2, numpy 2.4.6; ``env.seed(s)`` then ``reset()``, a fresh
env per seed) on seeds 0-999: mean return and its standard error, P(success) (the episode ended on the
goal rule) and mean episode length with its standard deviation. This test runs the native environments
on 200 other seeds (1000-1199), an independent sample, and requires each mean within 4 combined standard
errors, and P(success) within 4 combined binomial standard errors, computed with the adjusted estimate
(s + 2) / (n + 4) so that a rate of 0 or 1 still has a standard error (Agresti & Coull 1998).

Sliding's "nan" policy: on the reference 515 of the 1000 episodes hit the square root of a negative
rounding residue and went NaN (return NaN, run to the time-out); the native env guards that case (speed
0). Compared: the fraction of episodes where the guard fires (the unguarded formula would give NaN) with
the reference's NaN fraction, and the figures of the other episodes with the reference's 485 finite ones.
Every other policy: the guard never fires, as the reference never went NaN.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from gymnasium import spaces

from bounded_ddpg.envs.gym_hybrid import ACCELERATE, GymHybridEnv, MovingEnv, SlidingEnv, sliding_thrust
from gym_hybrid_policies import POLICIES

SEEDS = range(1000, 1200)
REFERENCE_SEEDS = 1000
# (env, policy): (mean return, its standard error, P(success), mean length, sd of length, episodes,
# NaN episodes)
REFERENCE: dict[tuple[str, str], tuple[float, float, float, float, float, int, int]] = {
    ("Moving", "random"): (-1.2830, 0.0146, 0.010, 119.34, 57.69, 1000, 0),
    ("Moving", "steer"): (1.8862, 0.0145, 1.000, 67.33, 19.32, 1000, 0),
    ("Moving", "leave"): (-1.2780, 0.0166, 0.000, 25.73, 9.75, 1000, 0),
    ("Moving", "orbit"): (-1.1994, 0.0003, 0.000, 200.43, 10.44, 1000, 0),
    ("Moving", "spin"): (-1.1758, 0.0073, 0.011, 198.80, 20.87, 1000, 0),
    ("Moving", "nan"): (-1.1881, 0.0020, 0.000, 186.15, 42.10, 1000, 0),
    ("Sliding", "random"): (-1.2164, 0.0152, 0.015, 144.46, 64.16, 1000, 0),
    ("Sliding", "steer"): (1.8862, 0.0145, 1.000, 67.33, 19.32, 1000, 0),
    ("Sliding", "leave"): (-1.2780, 0.0166, 0.000, 25.73, 9.75, 1000, 0),
    ("Sliding", "orbit"): (-1.1957, 0.0023, 0.000, 194.97, 27.92, 1000, 0),
    ("Sliding", "spin"): (-1.1758, 0.0073, 0.011, 198.80, 20.87, 1000, 0),
    # the 485 episodes that stayed finite on the reference; 515 of 1000 went NaN
    ("Sliding", "nan"): (-1.1743, 0.0102, 0.010, 191.93, 36.23, 485, 515),
}
ENVS: dict[str, type[GymHybridEnv]] = {"Moving": MovingEnv, "Sliding": SlidingEnv}


def run_episode(env: GymHybridEnv, policy_name: str, seed: int) -> tuple[float, bool, int, bool]:
    """(return, success, length, guard fired) of one episode; every observation checked against the Box."""
    obs, _ = env.reset(seed=seed)
    policy = POLICIES[policy_name](seed)
    ret, length, guarded = 0.0, 0, False
    space = env.observation_space
    assert isinstance(space, spaces.Box)
    low, high = space.low, space.high
    while True:
        k, params = policy(obs)
        if isinstance(env, SlidingEnv) and k == ACCELERATE:
            value = env.max_acceleration * max(min(params[0], 1.0), 0.0)
            guarded = guarded or math.isnan(
                sliding_thrust(value, env.speed, env.phi, env.theta, guard=False)[0]
            )
        obs, reward, terminated, truncated, info = env.step((k, params))
        assert np.all((low <= obs) & (obs <= high)), obs
        assert not truncated
        ret += reward
        length += 1
        if terminated:
            return ret, info["success"], length, guarded


def binomial_se(p: float, n: int) -> float:
    """Standard error of a success rate p over n episodes, with the adjusted estimate (s + 2) / (n + 4)."""
    q = (p * n + 2) / (n + 4)
    return math.sqrt(q * (1 - q) / (n + 4))


@pytest.mark.slow
@pytest.mark.parametrize("key", list(REFERENCE), ids=lambda k: f"{k[0]}-{k[1]}")
def test_reference_figures(key: tuple[str, str]) -> None:
    ref_mean, ref_se, ref_p, ref_len, ref_len_sd, ref_n, ref_nan = REFERENCE[key]
    env = ENVS[key[0]]()
    runs = [run_episode(env, key[1], seed) for seed in SEEDS]
    guarded = np.array([g for *_, g in runs])
    p_nan = ref_nan / REFERENCE_SEEDS
    assert abs(guarded.mean() - p_nan) <= 4 * math.hypot(
        binomial_se(guarded.mean(), len(runs)), binomial_se(p_nan, REFERENCE_SEEDS)
    )
    kept = [r for r in runs if not r[3]]  # the episodes the reference figures are comparable with
    returns = np.array([r[0] for r in kept])
    success = np.array([r[1] for r in kept])
    lengths = np.array([r[2] for r in kept])
    n = len(kept)
    assert np.all(np.isfinite([r[0] for r in runs]))
    mean, se, p = returns.mean(), returns.std(ddof=1) / math.sqrt(n), success.mean()
    print(
        f"{key}: mean {mean:.4f} ({se:.4f}) vs {ref_mean:.4f} ({ref_se:.4f});"
        f" P(success) {p:.3f} vs {ref_p:.3f}; length {lengths.mean():.2f} vs {ref_len:.2f};"
        f" guard fired in {guarded.mean():.3f} vs NaN {p_nan:.3f}"
    )
    assert abs(mean - ref_mean) <= 4 * math.hypot(se, ref_se)
    assert abs(p - ref_p) <= 4 * math.hypot(binomial_se(p, n), binomial_se(ref_p, ref_n))
    len_se = math.hypot(lengths.std(ddof=1) / math.sqrt(n), ref_len_sd / math.sqrt(ref_n))
    assert abs(lengths.mean() - ref_len) <= 4 * len_se
