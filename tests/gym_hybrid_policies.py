"""Fixed policies for gym-hybrid's Moving and Sliding, numpy and math only.

Each ``make(seed)`` returns ``policy(obs) -> (k, [acceleration, rotation])`` for one episode; ``obs`` is
the 10 numbers (x, y, speed, cos, sin, target x, target y, distance, flag, step / 200) as either the
reference (a list) or the native environment (an array) returns them. No module of the project is
imported, so the same functions drive the reference code in its own virtual environment when its
figures are measured (docs/envs.md, "Checked against the reference").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

Action = tuple[int, list[float]]
Obs = Sequence[float] | np.ndarray  # the reference's list or the native array
Policy = Callable[[Obs], Action]
BRAKE_DISTANCE = 0.025  # distance covered while braking from speed s is about 0.025 s^2 (0.1 off a step)


def random_policy(seed: int) -> Policy:
    """Uniform action and parameters slightly beyond the bounds (exercises the clipping)."""
    rng = np.random.default_rng(seed)

    def act(obs: Obs) -> Action:
        k = int(rng.integers(3))
        return k, [float(rng.uniform(-0.2, 1.2)), float(rng.uniform(-1.2, 1.2))]

    return act


def heading_error(obs: Obs) -> float:
    """Angle from the heading to the target, wrapped to [-pi, pi)."""
    x, y, c, s, tx, ty = obs[0], obs[1], obs[3], obs[4], obs[5], obs[6]
    err = math.atan2(ty - y, tx - x) - math.atan2(s, c)
    return (err + math.pi) % (2 * math.pi) - math.pi


def steer_policy(seed: int) -> Policy:
    """Stop, face the target, accelerate, coast (turn 0), brake to a stop inside the disc.

    Inside the disc (distance < 0.08) or moving faster than the braking distance allows: brake. Stopped
    and facing away (> 0.02 rad): turn toward the target. Facing it and slower than the speed from which
    braking ends at the target: accelerate. Moving but facing away: brake first (Sliding keeps its
    velocity through a turn). Else coast.
    """

    def act(obs: Obs) -> Action:
        speed, dist = obs[2], obs[7]
        err = heading_error(obs)
        v_max = math.sqrt(max(dist - 0.05, 0.0) / BRAKE_DISTANCE)
        if dist < 0.08 or speed > v_max:
            return 2, [0.0, 0.0]
        if abs(err) > 0.02:
            if speed > 0:
                return 2, [0.0, 0.0]
            return 1, [0.0, err / (math.pi / 2)]
        if speed + 0.5 <= v_max:
            return 0, [1.0, 0.0]
        return 1, [0.0, 0.0]

    return act


def leave_policy(seed: int) -> Policy:
    """Accelerate at full power every step: a straight line out of the field (through the disc, if it
    lies ahead, without stopping)."""
    return lambda obs: (0, [1.0, 0.0])


def orbit_policy(seed: int) -> Policy:
    """Accelerate once (parameter 0.2: speed 0.1), then turn by 0.2 * pi/2 every step: Moving circles
    (radius ~0.0016) until the time-out; Sliding keeps its velocity through the turns and drifts 0.1 in
    200 steps, leaving the field from a start near its edge."""

    def act(obs: Obs) -> Action:
        return (0, [0.2, 0.0]) if obs[9] == 0 else (1, [0.0, 0.2])

    return act


def spin_policy(seed: int) -> Policy:
    """Turn in place: speed stays 0, so it succeeds at step 1 when it starts inside the disc, else it
    times out at step 201 (return -0.2 - 1 up to rounding)."""
    return lambda obs: (1, [0.0, 0.5])


def nan_policy(seed: int) -> Policy:
    """Accelerate 0.15 (0.075 of thrust) and turn -0.3 pi (parameter -0.6), alternating. On Sliding the
    thrusts cancel the velocity exactly on many seeds: the reference's speed becomes NaN there."""

    def act(obs: Obs) -> Action:
        return (0, [0.15, 0.0]) if round(obs[9] * 200) % 2 == 0 else (1, [0.0, -0.6])

    return act


def braking_walk_policy(seed: int) -> Policy:
    """In-range uniform parameters, actions drawn 0.25 / 0.25 / 0.5 (accelerate / turn / break): many short
    stops, so the goal rule (stopped inside the disc) fires on some starts; otherwise out or time-out."""
    rng = np.random.default_rng(10_000 + seed)

    def act(obs: Obs) -> Action:
        k = int(rng.choice(3, p=[0.25, 0.25, 0.5]))
        return k, [float(rng.uniform(0.0, 1.0)), float(rng.uniform(-1.0, 1.0))]

    return act


def jittery_steer_policy(seed: int) -> Policy:
    """:func:`steer_policy`, but one action in four replaced by a uniform in-range one: reaches the goal
    on most starts by other paths than the steering policy's, and leaves the field on some."""
    rng = np.random.default_rng(20_000 + seed)
    steer = steer_policy(seed)

    def act(obs: Obs) -> Action:
        if rng.uniform() < 0.25:
            return int(rng.integers(3)), [float(rng.uniform(0.0, 1.0)), float(rng.uniform(-1.0, 1.0))]
        return steer(obs)

    return act


POLICIES: dict[str, Callable[[int], Policy]] = {
    "random": random_policy,
    "steer": steer_policy,
    "leave": leave_policy,
    "orbit": orbit_policy,
    "spin": spin_policy,
    "nan": nan_policy,
}
# the independent check (tests/test_gym_hybrid_trajectories.py): trajectories compared with the reference's
TRAJECTORY_POLICIES: dict[str, Callable[[int], Policy]] = {
    "braking_walk": braking_walk_policy,
    "jittery_steer": jittery_steer_policy,
}
