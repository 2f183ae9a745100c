"""Robot Soccer Goal (Masson, Ranchod & Konidaris, AAAI 2016), native gymnasium re-implementation.

Source of every constant and rule: ``shared/reference/goal.md`` (facts of the public ``gym-goal``
package, re-implemented here from those facts). Units: pitch units for positions, pitch units per substep
for velocities (no DT: one substep is one unit of time), radians for orientations. The pitch is the
attacking half: x in [0, 20], y in [-15, 15]; goal line x = 20, mouth |y| <= 7.01.

Randomness: reset and every substep consume exactly ten uniforms on [-1, 1) from the env's generator
(block-buffered, :mod:`bounded_ddpg.envs.streams`), used or not: player accelerate (3), player turn (1),
ball accelerate (3), keeper accelerate (3).
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from bounded_ddpg.envs.actions import validate_tuple_action
from bounded_ddpg.envs.goal_physics import (
    ARENA_X,
    ARENA_Y,
    GOAL_HALF,
    KICK_X,
    KICK_Y,
    MAX_STEPS,
    NOISE_WIDTH,
    SHOOT_X,
    GoalState,
    goal_distance,
    substep,
)
from bounded_ddpg.envs.streams import NoiseStream

KICK_TO, SHOOT, SHOOT2 = 0, 1, 2
MAX_SUBSTEPS = 2000  # safety cap on one macro action (never reached in practice; see docs/envs.md)


def _obs_space() -> spaces.Box:
    """14 numbers: player x, y, vx, vy, facing; keeper x, y, vx, vy, facing; ball x, y, vx, vy."""
    pi = math.pi
    low = [ARENA_X[0], ARENA_Y[0], -1.0, -1.0, -pi] * 2 + [ARENA_X[0], ARENA_Y[0], -2.7, -2.7]
    high = [ARENA_X[1], ARENA_Y[1], 1.0, 1.0, pi] * 2 + [ARENA_X[1], ARENA_Y[1], 2.7, 2.7]
    return spaces.Box(np.array(low, np.float32), np.array(high, np.float32), dtype=np.float32)


class GoalEnv(gym.Env[np.ndarray, Any]):
    """Goal on the gymnasium API: +50 for a goal, minus the ball's distance to the goal mouth otherwise.

    Actions: 0 kick_to(x, y) in [0, 40] x [-15, 15]; 1 and 2 shoot_goal(y) in [-7.01, 7.01] (the same
    primitive twice, as in the reference). ``info["goal"]`` says whether the episode ended in a goal and
    ``info["substeps"]`` counts the macro action's substeps. The 100th agent step takes no action and
    truncates with reward minus the distance to the mouth.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}  # noqa: RUF012

    def __init__(self, render_mode: str | None = None) -> None:
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.render_mode = render_mode
        self.observation_space = _obs_space()
        shoot = spaces.Box(-GOAL_HALF, GOAL_HALF, (1,), np.float32)
        kick = spaces.Box(
            np.array([KICK_X[0], KICK_Y[0]], np.float32), np.array([KICK_X[1], KICK_Y[1]], np.float32)
        )
        self.action_space = spaces.Tuple((spaces.Discrete(3), spaces.Tuple((kick, shoot, shoot))))
        self._noise = NoiseStream("uniform", NOISE_WIDTH)
        self.state = GoalState.initial(0.0)
        self.steps = 0
        self.trail: list[GoalState] = []  # substep states of the last macro action, kept when rendering

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Player at (0, U(-15, 15)) facing (20, 0), ball just in kicking range, keeper in front of goal."""
        super().reset(seed=seed)
        # Every episode draws its noise afresh from the generator as it stands at reset, so an episode is a
        # function of (generator state at reset, actions): checkpoint.EpisodeTape relies on it.
        self._noise.clear()
        u = self._noise.take(self.np_random)
        self.state = GoalState.initial(15.0 * u[0])
        self.steps = 0
        return self._obs(), {}

    def _obs(self) -> np.ndarray:
        return np.array(self.state.as_list(), dtype=np.float32)

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """One macro action; parameters are clipped to their bounds (pitch units)."""
        k, params = validate_tuple_action(action, self.action_space)
        if k == KICK_TO:
            p = params[0]
            target = (
                min(max(float(p[0]), KICK_X[0]), KICK_X[1]),
                min(max(float(p[1]), KICK_Y[0]), KICK_Y[1]),
            )
        else:
            target = (SHOOT_X, min(max(float(params[k][0]), -GOAL_HALF), GOAL_HALF))
        self.steps += 1
        if self.steps >= MAX_STEPS:
            info = {"substeps": 0, "goal": False}
            return self._obs(), -goal_distance(self.state.ball), False, True, info
        reward, terminated, n, s = 0.0, False, 0, self.state
        self.trail = []
        while n < MAX_SUBSTEPS:
            outcome = substep(s, target, self._noise.take(self.np_random))
            n += 1
            if self.render_mode is not None:
                self.trail.append(GoalState(list(s.player), list(s.keeper), list(s.ball)))
            if outcome is not None:
                reward, terminated = outcome, True
                break
            if k == KICK_TO and s.kickable() and s.ball_speed() <= 0.1:
                break
        return self._obs(), reward, terminated, False, {"substeps": n, "goal": terminated and reward > 0}

    def render(self) -> np.ndarray | None:
        """An RGB uint8 picture of the pitch (numpy only), when render_mode == 'rgb_array'."""
        if self.render_mode != "rgb_array":
            return None
        from bounded_ddpg.envs.render import draw_goal

        return draw_goal(self.state)

    def render_substeps(self, every: int = 4) -> list[np.ndarray]:
        """Pictures of every ``every``-th substep of the last macro action (render_mode 'rgb_array')."""
        from bounded_ddpg.envs.render import draw_goal

        return [draw_goal(s) for s in self.trail[every - 1 :: every]]
