"""gym-hybrid's Moving-v0 and Sliding-v0 on gymnasium, rule for rule as the reference code runs them.

Reference: github.com/thomashirtz/gym-hybrid @ 2256181, ``gym_hybrid/environments.py`` (BaseEnv, the task)
and ``gym_hybrid/agents.py`` (MovingAgent, SlidingAgent, the physics). An agent in the field [-1, 1]^2 must
stop (speed exactly 0) inside a target disc of radius 0.1. Three actions share one parameter vector
``Box([0, -1], [1, 1])``: 0 accelerate (uses parameter 0), 1 turn (uses parameter 1), 2 break (none).

Moving: no inertia, the agent moves along its heading theta. Sliding: the velocity (speed, phi) persists;
accelerate adds a thrust along theta as a vector sum, turn changes theta only. The only difference from the
reference: Sliding's speed is sqrt(max(0, s)) where the reference takes sqrt(s) of a negative rounding
residue (a thrust that cancels the velocity) and gets NaN, which then poisons the episode
(:func:`sliding_thrust`). Reward, termination and the 201st step: see :class:`GymHybridEnv`.
Arithmetic in Python floats, in the reference's order; equal seeds give the reference's episodes.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from bounded_ddpg.envs.actions import validate_shared_action

ACCELERATE, TURN, BREAK = 0, 1, 2
CAUSES = ("goal", "out", "timeout")  # info["cause"] of a terminating step (None before)


def sliding_thrust(
    value: float, speed: float, phi: float, theta: float, guard: bool = True
) -> tuple[float, float]:
    """(speed, phi) after adding thrust ``value`` along ``theta`` to the velocity (``speed``, ``phi``).

    The reference's polar vector sum (agents.py SlidingAgent.accelerate). ``guard``: a negative rounding
    residue under the square root gives speed 0 (the reference, ``guard=False``, gives NaN).
    """
    squared = value**2 + speed**2 + 2 * value * speed * math.cos(phi - theta)
    new_speed = math.nan if squared < 0.0 and not guard else math.sqrt(max(0.0, squared))
    angle = theta + math.atan2(speed * math.sin(phi - theta), value + speed * math.cos(phi - theta))
    return new_speed, angle


class GymHybridEnv(gym.Env[np.ndarray, Any]):
    """The task shared by Moving and Sliding (gym-hybrid's BaseEnv); subclasses define the physics.

    Observation (10, float64, the reference's order): x, y, speed, cos theta, sin theta, target x, target y,
    distance to the target, 1.0 if distance <= 0.1 else 0.0, step / max_step. Its Box holds every value the
    env can produce (the reference declares ``Box(low=1, high=-1)``, an empty box): speed at most
    max_acceleration * (max_step + 1), position within one step of the field, step / max_step up to
    (max_step + 1) / max_step.

    Step: the action (parameters clipped: accelerate 0.5 * clip(p0, 0, 1), turn pi/2 * clip(p1, -1, 1))
    and one move along the current velocity; then, in this order: goal (distance < 0.1 strictly and speed
    == 0 exactly): reward (d_prev - d) - 0.001 + 1, terminated, ``info["success"]`` True; out (|x| > 1 or
    |y| > 1) or timeout (step > max_step, i.e. the 201st step): reward -1, terminated; else
    (d_prev - d) - 0.001. ``info["cause"]``: "goal", "out", "timeout" or None. The time-out is a
    termination, not a truncation: step / max_step is in the observation and the -1 is the task's own
    terminal penalty (docs/envs.md argues it); learners that prefer truncation can read the cause.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 20}  # noqa: RUF012
    param_map = [[0], [1], []]  # noqa: RUF012  (which entries of the shared Box each action uses)
    field_size = 1.0
    target_radius = 0.1

    def __init__(
        self,
        render_mode: str | None = None,
        max_turn: float = math.pi / 2,
        max_acceleration: float = 0.5,
        delta_t: float = 0.005,
        max_step: int = 200,
        penalty: float = 0.001,
        break_value: float = 0.1,
    ) -> None:
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.render_mode = render_mode
        self.max_turn, self.max_acceleration, self.delta_t = max_turn, max_acceleration, delta_t
        self.max_step, self.penalty, self.break_value = max_step, penalty, break_value
        low, high = np.array([0.0, -1.0], np.float32), np.array([1.0, 1.0], np.float32)
        self.action_space = self.shared_space = spaces.Tuple(
            (spaces.Discrete(3), spaces.Box(low, high, dtype=np.float32))
        )
        self.observation_space = self._obs_space()
        # the reference's learners saw the raw numbers: the flat view passes them through (as float32)
        self.learner_observation_space = self.observation_space
        self.x = self.y = self.speed = self.theta = self.phi = 0.0
        self.tx = self.ty = 0.0
        self.steps = 0
        self.trail: list[tuple[float, float]] = []  # positions of the episode so far, kept when rendering

    def _obs_space(self) -> spaces.Box:
        max_speed = self.max_acceleration * (self.max_step + 1)
        reach = self.field_size + self.delta_t * max_speed
        t = self.field_size - self.target_radius
        max_dist = math.hypot(reach + t, reach + t)
        low = [-reach, -reach, 0.0, -1.0, -1.0, -t, -t, 0.0, 0.0, 0.0]
        high = [reach, reach, max_speed, 1.0, 1.0, t, t, max_dist, 1.0, (self.max_step + 1) / self.max_step]
        return spaces.Box(np.array(low), np.array(high), dtype=np.float64)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Target (x, y) ~ U(-0.9, 0.9)^2, then agent (x, y) ~ U(-1, 1)^2 and heading ~ U(0, 2 pi)."""
        super().reset(seed=seed)
        self.steps = 0
        t, f = self.field_size - self.target_radius, self.field_size
        tx, ty, _ = self.np_random.uniform([-t, -t, self.target_radius], [t, t, self.target_radius])
        x, y, theta = self.np_random.uniform([-f, -f, 0], [f, f, 2 * np.pi])
        self.tx, self.ty = float(tx), float(ty)
        self.x, self.y, self.theta = float(x), float(y), float(theta)
        self.speed, self.phi = 0.0, self.theta
        self.trail = [(self.x, self.y)] if self.render_mode is not None else []
        return self._obs(), {"success": False, "cause": None}

    @property
    def distance(self) -> float:
        return math.sqrt((self.x - self.tx) ** 2 + (self.y - self.ty) ** 2)

    def _obs(self) -> np.ndarray:
        d = self.distance
        flag = 0.0 if d > self.target_radius else 1.0
        c, s = math.cos(self.theta), math.sin(self.theta)
        return np.array(
            [self.x, self.y, self.speed, c, s, self.tx, self.ty, d, flag, self.steps / self.max_step]
        )

    def _move(self, angle: float) -> None:
        self.x += self.delta_t * self.speed * math.cos(angle)
        self.y += self.delta_t * self.speed * math.sin(angle)

    def _accelerate(self, value: float) -> None:
        raise NotImplementedError

    def _break(self) -> None:
        raise NotImplementedError

    def _turn(self, value: float) -> None:
        self.theta = (self.theta + value) % (2 * math.pi)

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """One action: (k, [acceleration, rotation]); each action uses its own entry (``param_map``)."""
        k, params = validate_shared_action(action, self.shared_space)
        accel, rot = float(params[0]), float(params[1])
        last_distance = self.distance
        self.steps += 1
        if k == TURN:
            self._turn(self.max_turn * max(min(rot, 1.0), -1.0))
        elif k == ACCELERATE:
            self._accelerate(self.max_acceleration * max(min(accel, 1.0), 0.0))
        else:
            self._break()
        d = self.distance
        cause = None
        if d < self.target_radius and self.speed == 0:
            reward, cause = last_distance - d - self.penalty + 1, "goal"
        elif abs(self.x) > self.field_size or abs(self.y) > self.field_size:
            reward, cause = -1.0, "out"
        elif self.steps > self.max_step:
            reward, cause = -1.0, "timeout"
        else:
            reward = last_distance - d - self.penalty
        info = {"success": cause == "goal", "cause": cause}
        if self.render_mode is not None:
            self.trail.append((self.x, self.y))
        return self._obs(), reward, cause is not None, False, info

    def render(self) -> np.ndarray | None:
        """The field [-1, 1]^2 as RGB uint8 (numpy only) when render_mode == 'rgb_array': target disc (red),
        the episode's path (grey dots), agent (blue) with its heading (black)."""
        if self.render_mode != "rgb_array":
            return None
        from bounded_ddpg.envs.render import Canvas

        c = Canvas(-1.0, 1.0, -1.0, 1.0, 100.0, (235, 235, 235))
        c.disc(self.tx, self.ty, self.target_radius, (255, 128, 128))
        for x, y in self.trail:
            c.disc(x, y, 0.008, (150, 150, 150))
        c.disc(self.x, self.y, 0.05, (25, 75, 230))
        tip_x, tip_y = self.x + 0.1 * math.cos(self.theta), self.y + 0.1 * math.sin(self.theta)
        c.segment(self.x, self.y, tip_x, tip_y, 0.02, (0, 0, 0))
        return c.img


class MovingEnv(GymHybridEnv):
    """Moving-v0: no inertia. Accelerate adds to the speed; break takes 0.1 off (0 below 0.1); every
    action then moves the agent delta_t * speed along its heading."""

    def _accelerate(self, value: float) -> None:
        self.speed += value
        self._move(self.theta)

    def _break(self) -> None:
        self.speed = 0.0 if self.speed < self.break_value else self.speed - self.break_value
        self._move(self.theta)

    def _turn(self, value: float) -> None:
        super()._turn(value)
        self._move(self.theta)


class SlidingEnv(GymHybridEnv):
    """Sliding-v0: inertia. The velocity (speed, phi) persists; accelerate adds a thrust along the heading
    (vector sum, :func:`sliding_thrust`); break takes 0.1 off the speed along phi (phi becomes the heading
    when the speed reaches 0); turn changes the heading only; every action then moves the agent along phi."""

    def _accelerate(self, value: float) -> None:
        self.speed, self.phi = sliding_thrust(value, self.speed, self.phi, self.theta)
        self._move(self.phi)

    def _break(self) -> None:
        self.speed = 0.0 if self.speed < self.break_value else self.speed - self.break_value
        self.phi = self.theta if self.speed == 0 else self.phi
        self._move(self.phi)

    def _turn(self, value: float) -> None:
        super()._turn(value)
        self._move(self.phi)
