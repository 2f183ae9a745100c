"""Robot Soccer Goal (Masson, Ranchod & Konidaris, AAAI 2016) on gymnasium: the published task and a variant.

:class:`GoalEnv` (``bounded_ddpg/Goal-v0``) reproduces the public reference implementation that MP-DQN's
published Goal numbers were produced on (github.com/cycraig/gym-goal, ``gym_goal/envs/goal_env.py``;
Bester, James & Konidaris 2019), quirks included: its kick_to passes only the first parameter, so the
kick target is (x, x), and the reward for a ball leaving past the goal line below the mouth is 7.01 + |y|
(above it, y - 7.01). The only change is gymnasium's time-limit semantics: the 100th agent step is
``truncated`` (the reference reports it as done).

:class:`GoalXYEnv` (``bounded_ddpg/GoalXY-v0``) is a different task, not the published one: kick_to aims at
(x, y) and the past-the-line reward is symmetric (|y| - 7.01); everything else as Goal-v0. Its numbers
are not comparable with MP-DQN's table.

Units: pitch units, pitch units per substep, radians (:mod:`bounded_ddpg.envs.goal_physics`). Randomness:
reset and every substep consume :data:`~bounded_ddpg.envs.goal_physics.NOISE_WIDTH` uniforms on [-1, 1)
from the env's generator (block-buffered, :mod:`bounded_ddpg.envs.streams`), used or not, so an episode
is a function of (generator state at reset, actions).
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
    BALL_MAX,
    GOAL_HALF,
    KICK_X,
    KICK_Y,
    MAX_STEPS,
    NO_NOISE,
    NOISE_WIDTH,
    PITCH_HALF_Y,
    PITCH_X,
    PLAYER_MAX,
    SHOOT_X,
    GoalState,
    goal_distance,
    substep,
)
from bounded_ddpg.envs.streams import NoiseStream

KICK_TO, SHOOT, SHOOT2 = 0, 1, 2
MAX_SUBSTEPS = 2000  # safety cap on one macro action (the reference has none; never reached in practice)
# The player's facing is never wrapped; a turn moves it by at most pi per substep, so this bounds it.
FACING_LIMIT = math.atan2(PITCH_HALF_Y, PITCH_X) + math.pi * MAX_SUBSTEPS * (MAX_STEPS - 1)


def _obs_space() -> spaces.Box:
    """14 numbers: player x, y, vx, vy, facing; keeper x, y, vx, vy, facing; ball x, y, vx, vy.

    A containment box (the learner's rescaling bounds are the reference's, goal_physics.OBS_LOW/HIGH):
    positions in the arena box, velocities +-1 (players) and +-2.7 (ball), the keeper's facing in
    [-pi, pi] (always an atan2), the player's facing within +-FACING_LIMIT (turns accumulate, never
    wrapped; about 6.2e5: a bound, not a typical value, which stays within a few radians).
    """
    pi, f, v, b = math.pi, FACING_LIMIT, PLAYER_MAX, BALL_MAX
    low = [ARENA_X[0], ARENA_Y[0], -v, -v, -f, ARENA_X[0], ARENA_Y[0], -v, -v, -pi]
    high = [ARENA_X[1], ARENA_Y[1], v, v, f, ARENA_X[1], ARENA_Y[1], v, v, pi]
    low += [ARENA_X[0], ARENA_Y[0], -b, -b]
    high += [ARENA_X[1], ARENA_Y[1], b, b]
    return spaces.Box(np.array(low, np.float32), np.array(high, np.float32), dtype=np.float32)


class GoalEnv(gym.Env[np.ndarray, Any]):
    """Goal-v0 as published: +50 for a goal, else minus the ball's distance to the goal mouth.

    Actions: 0 kick_to(x, y) with x in [0, 40], y in [-15, 15], which kicks toward (x, x) (the
    reference's behaviour; y is accepted and ignored); 1 and 2 shoot_goal(y) toward (20.4, y), y in
    [-7.01, 7.01] (the same primitive twice, as in the reference). Parameters are clipped to their bounds.
    kick_to runs substeps until the ball is within kicking distance and slower than 0.1; shoot_goal runs
    until the episode ends. ``info["goal"]``: the episode ended in a goal; ``info["substeps"]``: the
    macro action's substeps. The 100th agent step takes no action and truncates, paying minus the
    distance to the mouth.

    Arguments: ``noise=False`` turns every random perturbation of dashes, kicks and keeper moves off (for
    tests and hand-computed checks; the start position is still drawn). ``reset(options={"player_y": y})``
    starts the player at (0, y) instead of (0, U(-15, 15)) (the generator is consumed all the same).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}  # noqa: RUF012
    honours_kick_y = False  # kick_to aims at (x, x), as the reference
    symmetric_reward = False  # past the line below the mouth: 7.01 + |y|, as released

    def __init__(self, render_mode: str | None = None, noise: bool = True) -> None:
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.render_mode = render_mode
        self.noise = bool(noise)
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
        """Player at (0, U(-15, 15)) facing (20, 0), the ball just in kicking range, keeper before goal."""
        super().reset(seed=seed)
        # Every episode draws its noise afresh from the generator as it stands at reset, so an episode is a
        # function of (generator state at reset, actions): checkpoint.EpisodeTape relies on it.
        self._noise.clear()
        u = self._noise.take(self.np_random)
        player_y = PITCH_HALF_Y * u[0]
        if options and "player_y" in options:
            player_y = min(max(float(options["player_y"]), -PITCH_HALF_Y), PITCH_HALF_Y)
        self.state = GoalState.initial(player_y)
        self.steps = 0
        return self._obs(), {}

    def _obs(self) -> np.ndarray:
        return np.array(self.state.as_list(), dtype=np.float32)

    def target(self, k: int, params: tuple[np.ndarray, ...]) -> tuple[float, float]:
        """Where discrete action ``k`` kicks the ball, its parameters clipped to their bounds."""
        if k == KICK_TO:
            x = min(max(float(params[0][0]), KICK_X[0]), KICK_X[1])
            y = min(max(float(params[0][1]), KICK_Y[0]), KICK_Y[1])
            return (x, y) if self.honours_kick_y else (x, x)
        return SHOOT_X, min(max(float(params[k][0]), -GOAL_HALF), GOAL_HALF)

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """One macro action (one agent step)."""
        k, params = validate_tuple_action(action, self.action_space)
        target = self.target(k, params)
        self.steps += 1
        if self.steps >= MAX_STEPS:
            info = {"substeps": 0, "goal": False}
            return self._obs(), -goal_distance(self.state.ball, self.symmetric_reward), False, True, info
        reward, terminated, n, s = 0.0, False, 0, self.state
        self.trail = []
        while n < MAX_SUBSTEPS:
            u = self._noise.take(self.np_random)
            outcome = substep(s, target, u if self.noise else NO_NOISE, self.symmetric_reward)
            n += 1
            if self.render_mode is not None:
                self.trail.append(GoalState(list(s.player), list(s.keeper), list(s.ball)))
            if outcome is not None:
                reward, terminated = outcome, True
                break
            if k == KICK_TO and s.kickable() and not s.ball_speed() > 0.1:
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


class GoalXYEnv(GoalEnv):
    """GoalXY-v0: NOT the published task. kick_to(x, y) aims at (x, y), and a ball leaving past the goal
    line outside the mouth pays -(|y| - 7.01) on both sides; everything else exactly as :class:`GoalEnv`.
    Its returns and P(goal) are not comparable with MP-DQN's published Goal table."""

    honours_kick_y = True
    symmetric_reward = True
