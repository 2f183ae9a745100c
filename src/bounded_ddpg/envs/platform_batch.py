"""Platform physics for N copies at once in numpy (float64), mirroring ``platform_env`` op by op.

Every arithmetic step is the same IEEE operation in the same order as the single environment's Python-float
code, and every copy consumes four standard normals per substep from its own generator in the same blocks
(:class:`~bounded_ddpg.envs.streams.BatchNoise`), so copy i reproduces a single PlatformEnv exactly.
"""

from __future__ import annotations

import numpy as np

from bounded_ddpg.envs.platform_env import (
    DT,
    ENEMY_NOISE,
    ENEMY_SPEED,
    ENEMY_START,
    GRAVITY,
    MAX_AX,
    MAX_AY,
    MAX_STEPS,
    MAX_VX,
    MAX_VX_GROUND,
    MAX_VY,
    NOISE_WIDTH,
    PH,
    PLATFORMS,
    PLAYER_NOISE,
    PW,
    RUN,
    RUN_SUBSTEPS,
    SURFACE,
    X_MAX,
)
from bounded_ddpg.envs.streams import BatchNoise

GOAL, ENEMY, FELL = 1, 2, 3  # cause codes; 0 = none
CAUSES = (None, "goal", "enemy", "fell")


def _clip(v: np.ndarray, lo: float | np.ndarray, hi: float | np.ndarray) -> np.ndarray:
    """min(max(v, lo), hi): the single env's clip, without np.clip's per-call overhead."""
    return np.minimum(np.maximum(v, lo), hi)


class PlatformBatch:
    """State of N Platform copies; :meth:`macro_step` runs one agent step for all of them."""

    def __init__(self, num: int) -> None:
        self.num = num
        self.noise = BatchNoise("normal", NOISE_WIDTH, num)
        self.x, self.y = np.zeros(num), np.full(num, SURFACE)
        self.vx, self.vy = np.zeros(num), np.zeros(num)
        self.ex, self.edx = np.zeros((num, 2)), np.zeros((num, 2))
        self.steps = np.zeros(num, np.int64)
        self.reset(np.arange(num))

    def reset(self, ids: np.ndarray) -> None:
        """The deterministic initial state for copies ``ids``; their buffered noise is dropped, as a single
        env's reset does."""
        self.noise.pos[ids] = self.noise.block
        self.x[ids], self.y[ids], self.vx[ids], self.vy[ids] = 0.0, SURFACE, 0.0, 0.0
        self.ex[ids] = ENEMY_START
        self.edx[ids] = -ENEMY_SPEED
        self.steps[ids] = 0

    def obs(self) -> np.ndarray:
        """The 9 raw observation numbers of every copy, float32 (N, 9)."""
        x = self.x
        e = (x > 475.0).astype(np.int64)
        rows = np.arange(self.num)
        w1 = np.where(x < 475.0, 250.0, np.where(x < 985.0, 275.0, 50.0))
        w2 = np.where(x < 475.0, 275.0, np.where(x < 985.0, 50.0, 0.0))
        gap = np.where(x < 475.0, 225.0, np.where(x < 985.0, 235.0, 0.0))
        pos = np.where(x < 475.0, 0.0, np.where(x < 985.0, 475.0, 985.0))
        cols = [
            (x + 20.0) / 1055.0,
            self.vx / 100.0,
            self.ex[rows, e] / 1035.0,
            (self.edx[rows, e] + 30.0) / 60.0,
            w1 / 275.0,
            w2 / 275.0,
            gap / 235.0,
            pos / 1035.0,
            np.zeros(self.num),
        ]
        return np.stack(cols, axis=1).astype(np.float32)

    def standing(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        on = np.zeros(x.shape, bool)
        for px, w in PLATFORMS:
            d = x - px
            on |= (d >= -PW) & (d <= w)
        return on & (y == SURFACE)

    def _substep(
        self, r: np.ndarray, k: np.ndarray, param: np.ndarray, rngs: list[np.random.Generator]
    ) -> None:
        z = self.noise.take(r, rngs)
        x, y, vx, vy = self.x[r], self.y[r], self.vx[r], self.vy[r]
        standing = self.standing(x, y)
        vy0 = np.where(k == 1, 35.0, 25.0)
        dx0 = _clip(param / (2.0 * vy0 / GRAVITY + 1.0) - vx, -600.0, 200.0 - vy0)
        jump = standing & (k != RUN)
        ax = np.where(jump, (dx0 - np.abs(z[:, 0])) / DT, np.where(standing, param / DT, 0.0))
        ay = np.where(jump, (vy0 - np.abs(z[:, 1])) / DT, np.where(standing, 0.0, -GRAVITY))
        vx = vx + _clip(ax, -MAX_AX, MAX_AX) * DT
        vy = vy + _clip(ay, -MAX_AY, MAX_AY) * DT
        vx = vx - np.abs(z[:, 2] * (PLAYER_NOISE * DT))
        vx = np.maximum(_clip(vx, -MAX_VX, MAX_VX), 0.0)
        vy = _clip(vy, -MAX_VY, MAX_VY)
        vx = np.where(standing, _clip(vx, 0.0, MAX_VX_GROUND), vx)
        e = (x > 475.0).astype(np.int64)
        x = _clip(x + vx * DT, 0.0, X_MAX)
        y = y + vy * DT
        vx = vx * 0.99
        px = np.where(e == 1, PLATFORMS[1][0], PLATFORMS[0][0])
        right = np.where(
            e == 1, PLATFORMS[1][0] + PLATFORMS[1][1] - PW, PLATFORMS[0][0] + PLATFORMS[0][1] - PW
        )
        ex, edx = self.ex[r, e], self.edx[r, e]
        edx = np.where((px < ex) & (ex < right), edx, -edx)
        edx = _clip(edx + z[:, 3] * (ENEMY_NOISE * DT), -ENEMY_SPEED, ENEMY_SPEED)
        self.ex[r, e], self.edx[r, e] = _clip(ex + edx * DT, px, right), edx
        for qx, qw in PLATFORMS:
            ov = (x < qx + qw) & (x + PW > qx) & (y < SURFACE) & (y + PH > 0.0)
            if ov.any():
                nx = np.where(x < qx, qx - PW, np.where(x > qx + qw - PW, qx + qw, x))
                ny = np.where(y < 0.0, -PH, np.where(y > SURFACE - PH, SURFACE, y))
                use_y = (nx == x) | ((ny != y) & (np.abs(ny - y) <= np.abs(nx - x)))
                x = np.where(ov & ~use_y, nx, x)
                y = np.where(ov & use_y, ny, y)
                vy = np.where(ov & use_y, 0.0, vy)
                vx = np.where(ov, 0.0, vx)
        self.x[r], self.y[r], self.vx[r], self.vy[r] = x, y, vx, vy

    def _cause(self, r: np.ndarray) -> np.ndarray:
        x, y = self.x[r], self.y[r]
        hit = np.zeros(r.shape, bool)
        for j in range(2):
            ex = self.ex[r, j]
            hit |= (x < ex + PW) & (x + PW > ex) & (y < SURFACE + PH) & (y + PH > SURFACE)
        return np.where(x >= X_MAX, GOAL, np.where(hit, ENEMY, np.where(y < SURFACE, FELL, 0)))

    def macro_step(
        self, k: np.ndarray, param: np.ndarray, rngs: list[np.random.Generator]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """One agent step for every copy: (reward, terminated, truncated, substeps, cause codes)."""
        x_start = self.x.copy()
        n = np.zeros(self.num, np.int64)
        cause = np.zeros(self.num, np.int64)
        rows = np.arange(self.num)
        while rows.size:
            kr = k[rows]
            self._substep(rows, kr, param[rows], rngs)
            n[rows] += 1
            c = self._cause(rows)
            cause[rows] = c
            ended = np.where(kr == RUN, n[rows] >= RUN_SUBSTEPS, self.standing(self.x[rows], self.y[rows]))
            rows = rows[(c == 0) & ~ended]
        self.steps += 1
        reward = (self.x - x_start) / X_MAX
        terminated = cause != 0
        truncated = ~terminated & (self.steps >= MAX_STEPS)
        return reward, terminated, truncated, n, cause
