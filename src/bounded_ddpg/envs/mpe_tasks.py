"""Catch Point and Hard Move (HyAR; Li et al., ICLR 2022), with the run scripts' rules inside the env.

Reference: github.com/TJU-DRL-LAB/self-supervised-rl, ``RL_with_Action_Representation/HyAR/``: the world is
HyAR's fork of the multi-agent particle environment (``multiagent/core.py``, ``multiagent/environment.py``)
with one agent and one landmark (``multiagent/scenarios/simple_catch.py``,
``simple_move_4_direction_v1.py``); the termination rules, step limits and the action encoding live in
the run scripts (``HyAR_RL/main_embedding_direction_catch_td3.py`` 24-30 and 65-70,
``HyAR_RL/main_embedding_hard_move_td3.py`` 34-40 and 72-76).

World (both tasks): a point at position x with velocity v, no walls, no noise; one step with force F is
v <- 0.75 v + 0.1 F, then x <- x + 0.1 v (damping 0.25, dt 0.1, mass 1). The reward is computed after the
step, at the new position. Observation (float32): [vx, vy, tx - x, ty - y]. Reset: x ~ U(-1, 1)^2 with
v = 0, then the target t ~ U(-1, 1)^2, from the env's ``np_random``; ``reset(options={"agent_pos": (x, y),
"target_pos": (x, y)})`` places them instead (the draws are made all the same). Arithmetic in float64,
operation for operation as the reference. Parameters are not clipped (as there).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from bounded_ddpg.envs.actions import shared_space, validate_shared_action

DAMPING, DT, FORCE_SCALE = 0.25, 0.1, 2.0
TARGET_RADIUS = 0.2  # Agent.target_distance (multiagent/core.py)
SUCCESS_REWARD_ABOVE = 4  # the scripts' "if reward > 4: success, done"
CATCH_MISSES_ALLOWED = 10  # simple_catch.py: while valid_time <= 10 a catch can still score
ACTUATOR_CHOICES = (4, 6, 8, 10)


class PointMassEnv(gym.Env[np.ndarray, Any]):
    """The shared point-mass world; subclasses define ``_force``, ``_reward``, ``_terminal`` and the limit."""

    metadata = {"render_modes": []}  # noqa: RUF012
    max_steps: int
    param_map: list[list[int]]
    shared_space: spaces.Tuple

    def __init__(self) -> None:
        self.observation_space = spaces.Box(-np.inf, np.inf, (4,), np.float32)
        self.learner_observation_space = self.in_range_observation_space()
        self.pos, self.vel, self.target = np.zeros(2), np.zeros(2), np.zeros(2)
        self.steps = 0

    def in_range_observation_space(self) -> spaces.Box:
        """A containment box for parameters within [-1, 1] and at most ``max_steps`` steps.

        The flat view's observation space (``learner_observation_space``: the observations pass through, as
        HyAR's learners saw them). Each force component is at most 2, so each velocity component stays below
        0.1 * 2 / 0.25 = 0.8 and the position moves less than 0.08 per step and component; the target
        starts within 2.
        """
        rel = 2.0 + DT * FORCE_SCALE * DT / DAMPING * self.max_steps
        vmax = FORCE_SCALE * DT / DAMPING
        bound = np.array([vmax, vmax, rel, rel], dtype=np.float32)
        return spaces.Box(-bound, bound, dtype=np.float32)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.pos = self.np_random.uniform(-1.0, 1.0, 2)
        self.target = self.np_random.uniform(-1.0, 1.0, 2)
        options = options or {}
        if "agent_pos" in options:
            self.pos = np.array(options["agent_pos"], dtype=np.float64).reshape(2)
        if "target_pos" in options:
            self.target = np.array(options["target_pos"], dtype=np.float64).reshape(2)
        self.vel = np.zeros(2)
        self.steps = 0
        self._reset_task()
        return self._obs(), {}

    def _reset_task(self) -> None:
        """Per-episode task state (none by default)."""

    def _obs(self) -> np.ndarray:
        return np.concatenate([self.vel, self.target - self.pos]).astype(np.float32)

    def dist2(self) -> float:
        return float(np.sum(np.square(self.pos - self.target)))

    def _force(self, k: int, p: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _reward(self, k: int) -> float:
        raise NotImplementedError

    def _terminal(self, reward: float) -> bool:
        return reward > SUCCESS_REWARD_ABOVE

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        k, p = validate_shared_action(action, self.shared_space)
        force = self._force(k, p)
        # World.integrate_state: v = v (1 - damping); v += (F / mass) dt; x += v dt
        self.vel = self.vel * (1 - DAMPING)
        self.vel += (force / 1.0) * DT
        self.pos = self.pos + self.vel * DT
        self.steps += 1
        reward = self._reward(k)
        terminated = self._terminal(reward)
        truncated = not terminated and self.steps >= self.max_steps
        return self._obs(), reward, terminated, truncated, {"success": reward > SUCCESS_REWARD_ABOVE}


class CatchPointEnv(PointMassEnv):
    """``bounded_ddpg/CatchPoint-v0``: move in a chosen direction, or try to catch the target.

    Action ``Tuple(Discrete(2), Box(-1, 1, (1,)))``: k = 0 moves with force 2 (sin(pi p), cos(pi p)) (x from
    the sine, as the reference's mode 1); k = 1 catches (no force: the agent drifts, and the catch is
    judged at the position after the drift) and ignores p. ``param_map = [[0], []]``.

    Reward: -d^2 (d: distance to the target after the step); a catch with d <= 0.2 pays 20 - d^2 and
    ends the episode (success); a catch farther away counts a miss; once 11 catches have missed, every
    reward is 0, which ends the episode (``terminated``, as HyAR's scripts end on reward == 0). The 25th
    step truncates (the scripts' loop bound, stored as non-terminal by HyAR's learners).
    """

    max_steps = 25
    param_map = [[0], []]  # noqa: RUF012

    def __init__(self) -> None:
        super().__init__()
        self.action_space = self.shared_space = shared_space(2, 1)
        self.misses = 0

    def _reset_task(self) -> None:
        self.misses = 0

    def _force(self, k: int, p: np.ndarray) -> np.ndarray:
        force = np.zeros(2)
        if k == 0:
            angle = p[0] * np.pi
            force[0] += np.sin(angle) * FORCE_SCALE
            force[1] += np.cos(angle) * FORCE_SCALE
        return force

    def _reward(self, k: int) -> float:
        dist2 = self.dist2()
        if self.misses > CATCH_MISSES_ALLOWED:
            return 0.0
        if k == 1:
            if dist2 <= TARGET_RADIUS**2:
                return float(-(dist2 - 20))
            self.misses += 1
        return -dist2

    def _terminal(self, reward: float) -> bool:
        return reward > SUCCESS_REWARD_ABOVE or reward == 0


def actuator_motions(n: int) -> np.ndarray:
    """(2^n, 2): the motion of each discrete action, as get_movements / get_action_motions build it.

    Actuator i points at angle 2 pi i / n (cos and sin rounded to 3 decimals); the bits of k select the
    actuators most significant bit first (bit 0 of k is actuator n - 1, binaryEncoding); the motion is
    the sum of the selected directions divided by the largest such norm over all 2^n combinations.
    """
    angles = np.linspace(0, 2 * np.pi, n + 1)
    movement = np.vstack(
        (np.around(np.cos(angles)[:-1], decimals=3), np.around(np.sin(angles)[:-1], decimals=3))
    ).T
    bits = (np.arange(2**n)[:, None] >> np.arange(n - 1, -1, -1)[None, :]) & 1
    motions = np.zeros((2**n, 2))
    for k in range(2**n):
        motions[k] = np.dot(bits[k].astype(np.float64), movement)
    motions /= np.max(np.linalg.norm(motions, ord=2, axis=-1))
    return motions


class HardMoveEnv(PointMassEnv):
    """``bounded_ddpg/HardMove-v0`` (``n_actuators`` = 4, 6, 8 or 10): reach the target with actuator sets.

    Action ``Tuple(Discrete(2^n), Box(-1, 1, (2^n,)))``: k picks a set of actuators (:func:`actuator_motions`,
    ``motions``) and p[k] its strength: force = 2 motions[k] p[k] (negative p reverses it; k = 0 and the
    all-on set give no force). One parameter per combination, not per actuator: ``param_map[k] = [k]``.

    Reward: -d^2; 20 - d^2 when d <= 0.2 after the step, which ends the episode (success; no catch action).
    The 30th step truncates.
    """

    max_steps = 30

    def __init__(self, n_actuators: int = 4) -> None:
        if n_actuators not in ACTUATOR_CHOICES:
            raise ValueError(f"n_actuators must be one of {ACTUATOR_CHOICES}, got {n_actuators!r}")
        super().__init__()
        self.n_actuators = n_actuators
        self.motions = actuator_motions(n_actuators)
        k = 2**n_actuators
        self.action_space = self.shared_space = shared_space(k, k)
        self.param_map = [[i] for i in range(k)]

    def _force(self, k: int, p: np.ndarray) -> np.ndarray:
        force = np.zeros(2)
        force[0] += self.motions[k][0] * p[k] * FORCE_SCALE
        force[1] += self.motions[k][1] * p[k] * FORCE_SCALE
        return force

    def _reward(self, k: int) -> float:
        dist2 = self.dist2()
        return float(-(dist2 - 20)) if dist2 <= TARGET_RADIUS**2 else -dist2
