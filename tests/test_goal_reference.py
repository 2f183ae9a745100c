"""Goal-v0 scores what the public reference scores: seven fixed policies against the reference's figures.

The reference figures are fixed observation-only policies run on the public reference implementation
(cycraig/gym-goal, gym_goal/envs/goal_env.py), 2,000 seeds each: mean return with its standard error,
P(goal) and mean agent steps. A faithful Goal-v0 must match each mean within 4 combined standard errors
plus 0.05, and each P(goal) within 4 combined binomial standard errors, here at 2,000 seeds per policy.
(GoalXY-v0 fails this test: with (x, y) kick targets the dribbling policies score far less.)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from bounded_ddpg.envs.goal_env import GoalEnv

Action = tuple[int, tuple[np.ndarray, ...]]
SEEDS = 2000
REFERENCE_SEEDS = 2000


def kick(x: float, y: float) -> Action:
    return 0, (np.array([x, y]), np.zeros(1), np.zeros(1))


def shoot(y: float, k: int = 1) -> Action:
    params = [np.zeros(2), np.zeros(1), np.zeros(1)]
    params[k] = np.array([y])
    return k, tuple(params)


# s: the 14 state numbers; s[1] player y, s[6] keeper y, s[10] ball x, s[11] ball y
POLICIES: dict[str, tuple[Callable[[list[float]], Action], float, float, float, float]] = {
    # name: (rule, reference mean return, its standard error, reference P(goal), reference mean steps)
    "kick_20_0": (lambda s: kick(20, 0), -9.475, 0.037, 0.000, 1.00),
    "kick_ball_plus5": (lambda s: kick(min(s[10] + 5, 40), s[11]), -11.451, 0.031, 0.000, 1.22),
    "kick_corner": (lambda s: kick(40, -15), -9.673, 0.074, 0.000, 1.00),
    "shoot_post": (lambda s: shoot(-6.5 if s[1] > 0 else 6.5, k=2), -8.230, 0.009, 0.000, 1.00),
    "dribble3_shoot6": (
        lambda s: kick(s[10] + 3, s[11]) if s[10] < 12 else shoot(6 if s[6] < s[11] else -6),
        -10.915,
        0.100,
        0.000,
        1.84,
    ),
    "dribble2_centre": (
        lambda s: kick(s[10] + 2, s[11]) if s[10] < 8 else shoot(0),
        -6.038,
        0.447,
        0.112,
        2.22,
    ),
    "dribble15_far_post": (
        lambda s: kick(s[10] + 1.5, s[11]) if s[10] < 11 else shoot(-6 if s[6] > s[11] else 6),
        -9.355,
        0.215,
        0.015,
        2.93,
    ),
}


def run_policy(env: GoalEnv, policy: Callable[[list[float]], Action], seeds: int) -> tuple[np.ndarray, ...]:
    returns, goals, steps = np.zeros(seeds), np.zeros(seeds, bool), np.zeros(seeds)
    for seed in range(seeds):
        env.reset(seed=seed)
        done = False
        while not done:
            _, r, term, trunc, info = env.step(policy(env.state.as_list()))
            returns[seed] += r
            steps[seed] += 1
            done = term or trunc
        goals[seed] = info["goal"]
    return returns, goals, steps


@pytest.mark.slow
@pytest.mark.parametrize("name", list(POLICIES))
def test_reference_figures(name: str) -> None:
    policy, ref_mean, ref_se, ref_p, ref_steps = POLICIES[name]
    returns, goals, steps = run_policy(GoalEnv(), policy, SEEDS)
    mean, se = returns.mean(), returns.std(ddof=1) / math.sqrt(SEEDS)
    p = goals.mean()
    p_se = math.sqrt(p * (1 - p) / SEEDS + ref_p * (1 - ref_p) / REFERENCE_SEEDS)
    print(
        f"{name}: mean {mean:.3f} ({se:.3f}) vs {ref_mean:.3f} ({ref_se:.3f});"
        f" P(goal) {p:.3f} vs {ref_p:.3f}; steps {steps.mean():.2f} vs {ref_steps:.2f}"
    )
    assert abs(mean - ref_mean) <= 4 * math.hypot(se, ref_se) + 0.05
    assert abs(p - ref_p) <= 4 * p_se
