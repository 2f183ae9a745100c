"""Fixed policies for HyAR's tasks, numpy only: the same code drives the native envs (tests) and the
reference (HyAR's code, run in a separate virtual environment; docs/envs.md, "Checking against HyAR").

A policy maps (observation, rng) to (k, p): k the discrete action, p the full parameter vector (float64,
the shared layout). Hard Goal's policies read Goal's 14 raw state numbers (float64: player x, y, vx, vy,
facing; keeper x, y, vx, vy, facing; ball x, y, vx, vy); Catch Point's and Hard Move's read the float32
observation [vx, vy, tx - x, ty - y]. ``rng`` is a ``np.random.RandomState`` seeded per episode.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

Action = tuple[int, np.ndarray]
Policy = Callable[[np.ndarray, np.random.RandomState], Action]
RANDOM_STREAM = 100_000  # the random policies' per-episode generator: RandomState(RANDOM_STREAM + seed)


# ---- Hard Goal: k = 0 kick-to (p0, p1), k = 1..10 binned shots (p[k + 1]) ----
def _kick(x: float) -> Action:
    p = np.zeros(12)
    p[0] = x / 20.0 - 1.0  # kick-to x = 20 (p0 + 1)
    return 0, p


def _shoot(k: int, p_k: float) -> Action:
    p = np.zeros(12)
    p[k + 1] = p_k
    return k, p


def hard_goal_policies() -> dict[str, Policy]:
    return {
        "random": lambda s, rng: (int(rng.randint(11)), rng.uniform(-1.0, 1.0, 12)),
        # dribble 2 ahead, then shoot at y = +-5.61 (bin 4 or 0, p = 0) on the side away from the keeper
        "dribble_far_side": lambda s, rng: (
            _kick(s[10] + 2.0) if s[10] < 8.0 else _shoot(5, 0.0) if s[6] < s[11] else _shoot(1, 0.0)
        ),
        # the same through the duplicate actions k + 5 and the reversed bin ends (p = -1 -> hi, +1 -> lo)
        "dribble_dup_reversed": lambda s, rng: (
            _kick(s[10] + 2.0) if s[10] < 8.0 else _shoot(9, -1.0) if s[6] < s[11] else _shoot(6, 1.0)
        ),
        "shoot_degenerate_bin": lambda s, rng: _shoot(3, float(rng.uniform(-1.0, 1.0))),
        # kick-to aims at (x, x): kicking to the player's own x keeps the ball in play, often to step 100
        "kick_own_x": lambda s, rng: _kick(s[0]),
    }


# ---- Catch Point: k = 0 move toward angle pi p (x from the sine), k = 1 catch ----
def _toward(dx: float, dy: float) -> float:
    return math.atan2(dx, dy) / math.pi


def _catch_greedy(drift_aware: bool) -> Policy:
    def policy(o: np.ndarray, rng: np.random.RandomState) -> Action:
        vx, vy, dx, dy = (float(v) for v in o)
        if drift_aware:  # where the catch is judged: after one damped drift step
            dx, dy = dx - 0.075 * vx, dy - 0.075 * vy
        if dx * dx + dy * dy <= 0.15**2:
            return 1, np.zeros(1)
        return 0, np.array([_toward(dx - 0.3 * vx, dy - 0.3 * vy)])

    return policy


def catch_point_policies() -> dict[str, Policy]:
    return {
        "random": lambda o, rng: (int(rng.uniform() < 0.3), rng.uniform(-1.0, 1.0, 1)),
        "greedy": _catch_greedy(drift_aware=True),
        "greedy_no_drift": _catch_greedy(drift_aware=False),
        "always_catch": lambda o, rng: (1, np.zeros(1)),  # 11 misses, then the reward-0 end
        "move_fixed": lambda o, rng: (0, np.array([0.5])),  # never catches: the 25-step limit
    }


# ---- Hard Move: k selects actuators, p[k] scales the motion ----
def _move_greedy(motions: np.ndarray) -> Policy:
    def policy(o: np.ndarray, rng: np.random.RandomState) -> Action:
        vx, vy, dx, dy = (float(v) for v in o)
        want = np.array([dx - 0.35 * vx, dy - 0.35 * vy])
        score = motions @ want
        k = int(np.argmax(np.abs(score)))
        p = np.zeros(len(motions))
        p[k] = math.copysign(min(1.0, 4.0 * float(np.hypot(*want))), float(score[k]))
        return k, p

    return policy


def _single_actuator(n: int) -> Policy:
    """Actuator i alone is k = 2^(n - 1 - i) (most significant bit first); pick the best, reverse by sign."""

    def policy(o: np.ndarray, rng: np.random.RandomState) -> Action:
        dx, dy = float(o[2]), float(o[3])
        cos = [math.cos(2 * math.pi * i / n) * dx + math.sin(2 * math.pi * i / n) * dy for i in range(n)]
        i = int(np.argmax(np.abs(cos)))
        k = 1 << (n - 1 - i)
        p = np.zeros(2**n)
        p[k] = math.copysign(1.0, cos[i])
        return k, p

    return policy


def hard_move_policies(n: int, motions: np.ndarray) -> dict[str, Policy]:
    """``motions``: the env's (2^n, 2) table (each side passes its own, so a wrong table shows)."""
    return {
        "random": lambda o, rng: (int(rng.randint(2**n)), rng.uniform(-1.0, 1.0, 2**n)),
        "greedy": _move_greedy(motions),
        "single_actuator": _single_actuator(n),
        "no_force": lambda o, rng: (0, np.zeros(2**n)),  # success only when starting within 0.2
    }


# ---- further policies: the independent check (tests/test_hyar_reference.py, EXTRA_GOLDEN) ----
def _noisy(policy: Policy, n_actions: int, n_params: int, share: float, p_range: float) -> Policy:
    """``policy``, with a share of its actions replaced by random ones, p ~ U(-p_range, p_range)."""

    def noisy(o: np.ndarray, rng: np.random.RandomState) -> Action:
        if rng.uniform() < share:
            return int(rng.randint(n_actions)), rng.uniform(-p_range, p_range, n_params)
        return policy(o, rng)

    return noisy


def extra_policies(task: str, motions: np.ndarray | None = None) -> dict[str, Policy]:
    """Two further policies per task: ``wild_random``, random actions with parameters far beyond [-1, 1]
    (unclipped, as the reference: Hard Goal's shots leave their bins and kick-to targets the pitch, Catch
    Point's angles wrap, Hard Move's forces exceed 2), and ``noisy_greedy``, a policy that reaches the
    success state on many starts (Hard Goal: dribble then shoot on the far side) with a share of random
    in-range actions, so that successes, failures and the limits all occur."""
    if task == "HardGoal":
        return {
            "wild_random": lambda s, rng: (int(rng.randint(11)), rng.uniform(-3.0, 3.0, 12)),
            "noisy_greedy": _noisy(hard_goal_policies()["dribble_far_side"], 11, 12, 0.2, 1.0),
        }
    if task == "CatchPoint":
        return {
            "wild_random": lambda o, rng: (int(rng.uniform() < 0.5), rng.uniform(-3.0, 3.0, 1)),
            "noisy_greedy": _noisy(_catch_greedy(drift_aware=True), 2, 1, 0.3, 1.0),
        }
    assert motions is not None
    k = len(motions)
    return {
        "wild_random": lambda o, rng: (int(rng.randint(k)), rng.uniform(-2.0, 2.0, k)),
        "noisy_greedy": _noisy(_move_greedy(motions), k, k, 0.3, 1.5),
    }


def digest(obs_list: list[np.ndarray], rewards: list[float], terminated: bool, success: bool) -> list[float]:
    """An episode's fingerprint: length, terminated, success, return, sum of t * r_t, sum of t * (w . o_t)
    over the observations (w = 1, 2, ..., as the agent's float32), and w . (final observation)."""
    obs = np.array(obs_list, dtype=np.float32).astype(np.float64)
    per_step = obs @ np.arange(1, obs.shape[1] + 1, dtype=np.float64)
    t = np.arange(1, len(per_step) + 1, dtype=np.float64)
    r = np.array(rewards, dtype=np.float64)
    head = [len(r), int(terminated), int(success), float(r.sum()), float(r @ t[: len(r)])]
    return [*head, float(per_step @ t), float(per_step[-1])]
