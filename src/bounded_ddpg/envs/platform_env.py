"""Platform (Masson, Ranchod & Konidaris, AAAI 2016), native gymnasium re-implementation.

Source of every constant and rule: the public reference implementation, gym-platform
(github.com/cycraig/gym-platform, ``gym_platform/envs/platform_env.py``), re-implemented here from its
facts. Units are pixels and seconds; one substep is DT = 0.05 s. Positions are lower-left corners. One
agent step is a macro action: ``run`` lasts 20 substeps, ``hop`` and ``leap`` last until the player stands
on a platform again; any terminal event ends it at once.

Randomness: each substep consumes exactly four standard normals from the env's generator (block-buffered,
see :mod:`bounded_ddpg.envs.streams`): two take-off noises, the player's vx noise and the enemy's dx noise,
used or not. The vectorised copy (:mod:`bounded_ddpg.envs.vector`) does the same arithmetic in the same
order, so equal seeds give bit-identical trajectories.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from bounded_ddpg.envs.actions import validate_tuple_action
from bounded_ddpg.envs.streams import NoiseStream

DT = 0.05  # seconds per substep
PLATFORMS = ((0.0, 250.0), (475.0, 275.0), (985.0, 50.0))  # (left x, width); all span y in [0, 40]
SURFACE = 40.0  # the y of every platform's top surface
PW, PH = 20.0, 30.0  # player and enemy width, height
X_MAX = 1035.0  # goal line / right bound
ENEMY_START = (230.0, 730.0)  # enemy 1 on platform 1, enemy 2 on platform 2; both start with dx = -30
MAX_VX, MAX_VY, MAX_VX_GROUND = 100.0, 200.0, 70.0
MAX_AX, MAX_AY = 600.0, 4000.0
GRAVITY = 9.8
PLAYER_NOISE = ENEMY_NOISE = 0.5
ENEMY_SPEED = 30.0
RUN, HOP, LEAP = 0, 1, 2
JUMP_VY = (0.0, 35.0, 25.0)  # initial vy of hop (1) and leap (2)
PARAM_HIGH = (30.0, 720.0, 430.0)  # run power, hop distance, leap distance; all low bounds are 0
RUN_SUBSTEPS = 20
MAX_STEPS = 200  # agent steps before truncation
NOISE_WIDTH = 4  # standard normals per substep: jump x, jump y, player vx, enemy dx


def obs_features(x: float, vx: float, ex: float, edx: float) -> list[float]:
    """The 9 observation numbers (each in [0, 1]) for player x, vx and the active enemy's x, dx."""
    if x < 475.0:
        w1, w2, gap, pos = 250.0, 275.0, 225.0, 0.0
    elif x < 985.0:
        w1, w2, gap, pos = 275.0, 50.0, 235.0, 475.0
    else:
        w1, w2, gap, pos = 50.0, 0.0, 0.0, 985.0
    return [
        (x + 20.0) / 1055.0,
        vx / 100.0,
        ex / 1035.0,
        (edx + 30.0) / 60.0,
        w1 / 275.0,
        w2 / 275.0,
        gap / 235.0,
        pos / 1035.0,
        0.0,
    ]


def _clip(v: float, lo: float, hi: float) -> float:
    return lo if v < lo else hi if v > hi else v


class PlatformEnv(gym.Env[np.ndarray, Any]):
    """Platform on the gymnasium API. Observation Box(0, 1, (9,)); reward (x_end - x_start)/1035 per step.

    ``info["substeps"]`` is the macro action's substep count; ``info["cause"]`` is ``"goal"``, ``"enemy"``,
    ``"fell"`` on termination and ``None`` otherwise. 200 agent steps truncate.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 20}  # noqa: RUF012

    def __init__(self, render_mode: str | None = None) -> None:
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.render_mode = render_mode
        self.observation_space = spaces.Box(0.0, 1.0, (9,), np.float32)
        self.action_space = spaces.Tuple(
            (
                spaces.Discrete(3),
                spaces.Tuple(tuple(spaces.Box(0.0, h, (1,), np.float32) for h in PARAM_HIGH)),
            )
        )
        self._noise = NoiseStream("normal", NOISE_WIDTH)
        self.trail: list[tuple[float, float, list[float]]] = []  # substep states, kept when rendering
        self._state_init()

    def _state_init(self) -> None:
        self.x, self.y, self.vx, self.vy = 0.0, SURFACE, 0.0, 0.0
        self.ex = list(ENEMY_START)
        self.edx = [-ENEMY_SPEED, -ENEMY_SPEED]
        self.steps = 0

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Deterministic initial state; a seed reseeds the generator. Buffered noise is dropped."""
        super().reset(seed=seed)
        # Every episode draws its noise afresh from the generator as it stands at reset, so an episode is a
        # function of (generator state at reset, actions): checkpoint.EpisodeTape relies on it.
        self._noise.clear()
        self._state_init()
        return self._obs(), {}

    def _obs(self) -> np.ndarray:
        e = 1 if self.x > 475.0 else 0
        return np.array(obs_features(self.x, self.vx, self.ex[e], self.edx[e]), dtype=np.float32)

    def _standing(self) -> bool:
        if self.y != SURFACE:
            return False
        x = self.x
        for px, w in PLATFORMS:  # noqa: SIM110  (a loop, not any() over a generator: ~1 us less a call)
            if -PW <= x - px <= w:
                return True
        return False

    def _substep(self, act: int, param: float) -> None:
        """One DT of physics, in the reference order (see module docstring)."""
        z0, z1, z2, z3 = self._noise.take(self.np_random)
        x, y, vx, vy = self.x, self.y, self.vx, self.vy
        standing = self._standing()
        if not standing:
            ax, ay = 0.0, -GRAVITY
        elif act == RUN:
            ax, ay = param / DT, 0.0
        else:
            vy0 = JUMP_VY[act]
            dx0 = _clip(param / (2.0 * vy0 / GRAVITY + 1.0) - vx, -600.0, 200.0 - vy0)
            ax, ay = (dx0 - abs(z0)) / DT, (vy0 - abs(z1)) / DT
        vx += _clip(ax, -MAX_AX, MAX_AX) * DT
        vy += _clip(ay, -MAX_AY, MAX_AY) * DT
        vx -= abs(z2 * (PLAYER_NOISE * DT))
        vx = max(_clip(vx, -MAX_VX, MAX_VX), 0.0)
        vy = _clip(vy, -MAX_VY, MAX_VY)
        if standing:
            vx = _clip(vx, 0.0, MAX_VX_GROUND)
        e = 1 if x > 475.0 else 0
        x = _clip(x + vx * DT, 0.0, X_MAX)
        y = y + vy * DT
        vx *= 0.99
        px, w = PLATFORMS[e]
        right = px + w - PW
        ex, edx = self.ex[e], self.edx[e]
        if not px < ex < right:
            edx = -edx
        edx = _clip(edx + z3 * (ENEMY_NOISE * DT), -ENEMY_SPEED, ENEMY_SPEED)
        self.ex[e], self.edx[e] = _clip(ex + edx * DT, px, right), edx
        for qx, qw in PLATFORMS:
            if x < qx + qw and x + PW > qx and y < SURFACE and y + PH > 0.0:
                x, y, vx, vy = _decollide(x, y, vx, vy, qx, qw)
                vx = 0.0
        self.x, self.y, self.vx, self.vy = x, y, vx, vy

    def _cause(self) -> str | None:
        if self.x >= X_MAX:
            return "goal"
        for ex in self.ex:
            if self.x < ex + PW and self.x + PW > ex and self.y < SURFACE + PH and self.y + PH > SURFACE:
                return "enemy"
        return "fell" if self.y < SURFACE else None

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """One macro action. Parameters are clipped to [0, PARAM_HIGH[k]] (pixels/s or pixels)."""
        k, params = validate_tuple_action(action, self.action_space)
        param = _clip(float(params[k][0]), 0.0, PARAM_HIGH[k])
        x_start, cause, n = self.x, None, 0
        self.trail = []
        while True:
            self._substep(k, param)
            if self.render_mode is not None:
                self.trail.append((self.x, self.y, list(self.ex)))
            n += 1
            cause = self._cause()
            if cause is not None or (n >= RUN_SUBSTEPS if k == RUN else self._standing()):
                break
        self.steps += 1
        reward = (self.x - x_start) / X_MAX
        truncated = cause is None and self.steps >= MAX_STEPS
        return self._obs(), reward, cause is not None, truncated, {"substeps": n, "cause": cause}

    def render(self) -> np.ndarray | None:
        """An RGB uint8 picture of the level (numpy only), when render_mode == 'rgb_array'."""
        if self.render_mode != "rgb_array":
            return None
        from bounded_ddpg.envs.render import draw_platform

        return draw_platform(self.x, self.y, self.ex)

    def render_substeps(self, every: int = 4) -> list[np.ndarray]:
        """Pictures of every ``every``-th substep of the last macro action (render_mode 'rgb_array')."""
        from bounded_ddpg.envs.render import draw_platform

        return [draw_platform(x, y, ex) for x, y, ex in self.trail[every - 1 :: every]]


def _decollide(
    x: float, y: float, vx: float, vy: float, qx: float, qw: float
) -> tuple[float, float, float, float]:
    """Push the player out of platform (qx, qw) along the axis of smaller displacement."""
    nx = qx - PW if x < qx else qx + qw if x > qx + qw - PW else x
    ny = -PH if y < 0.0 else SURFACE if y > SURFACE - PH else y
    if nx == x or (ny != y and abs(ny - y) <= abs(nx - x)):
        return x, ny, vx, 0.0
    return nx, y, 0.0, vy
