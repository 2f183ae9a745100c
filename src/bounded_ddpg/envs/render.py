"""numpy-only pictures of Platform and Goal (RGB uint8 arrays; no pygame).

Platform: 0.6 image pixels per world pixel, world y up; sky, platforms (brown), gaps, the goal line
(green), enemies (red), player (blue). Goal: 16 image pixels per pitch unit; pitch (green), lines,
goal area, net, keeper (orange), player (blue) with a facing tick, ball (white).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from bounded_ddpg.envs.platform_env import PH, PLATFORMS, PW, SURFACE, X_MAX

if TYPE_CHECKING:
    from bounded_ddpg.envs.goal_physics import GoalState

SKY, GROUND, GAP, PLAYER, ENEMY, FLAG = (
    (200, 225, 245),
    (140, 95, 55),
    (60, 60, 80),
    (40, 90, 220),
    (210, 40, 40),
    (40, 170, 70),
)
GRASS, LINE, NET, KEEPER, BALL = (
    (60, 150, 70),
    (240, 240, 240),
    (190, 190, 190),
    (245, 150, 30),
    (255, 255, 255),
)


class Canvas:
    """An RGB image with a world-to-pixel map: px = (x - x0) * scale, py = (y1 - y) * scale (y up)."""

    def __init__(self, x0: float, x1: float, y0: float, y1: float, scale: float, bg: tuple[int, int, int]):
        self.x0, self.y1, self.scale = x0, y1, scale
        self.img = np.empty((round((y1 - y0) * scale), round((x1 - x0) * scale), 3), np.uint8)
        self.img[:] = bg
        h, w = self.img.shape[:2]
        self.yy, self.xx = np.mgrid[0:h, 0:w]

    def rect(self, x: float, y: float, w: float, h: float, color: tuple[int, int, int]) -> None:
        """Fill the world rectangle with lower-left corner (x, y), width w, height h."""
        s = self.scale
        c0, c1 = round((x - self.x0) * s), round((x + w - self.x0) * s)
        r0, r1 = round((self.y1 - y - h) * s), round((self.y1 - y) * s)
        H, W = self.img.shape[:2]
        c0, c1, r0, r1 = max(c0, 0), min(max(c1, c0 + 1), W), max(r0, 0), min(max(r1, r0 + 1), H)
        if c0 < W and r0 < H:
            self.img[r0:r1, c0:c1] = color

    def disc(self, x: float, y: float, radius: float, color: tuple[int, int, int]) -> None:
        """Fill a world disc."""
        cx, cy = (x - self.x0) * self.scale, (self.y1 - y) * self.scale
        mask = (self.xx - cx) ** 2 + (self.yy - cy) ** 2 <= (radius * self.scale) ** 2
        self.img[mask] = color

    def segment(
        self, x0: float, y0: float, x1: float, y1: float, width: float, color: tuple[int, int, int]
    ) -> None:
        """A thick world line segment (width in world units)."""
        n = max(2, round(math.hypot(x1 - x0, y1 - y0) * self.scale))
        for t in np.linspace(0.0, 1.0, n):
            self.rect(x0 + t * (x1 - x0) - width / 2, y0 + t * (y1 - y0) - width / 2, width, width, color)


def draw_platform(x: float, y: float, enemies: list[float]) -> np.ndarray:
    """Platform's level with the player at (x, y) and enemies at x positions ``enemies`` (on y = 40)."""
    c = Canvas(-10.0, X_MAX + 30.0, -10.0, 220.0, 0.6, SKY)
    c.rect(-10.0, -10.0, X_MAX + 40.0, SURFACE + 10.0, GAP)
    for px, w in PLATFORMS:
        c.rect(px, 0.0, w, SURFACE, GROUND)
    c.rect(X_MAX, SURFACE, 3.0, 90.0, FLAG)
    c.rect(X_MAX + 3.0, SURFACE + 70.0, 18.0, 20.0, FLAG)
    for ex in enemies:
        c.rect(ex, SURFACE, PW, PH, ENEMY)
    c.rect(x, y, PW, PH, PLAYER)
    return c.img


def draw_goal(s: GoalState) -> np.ndarray:
    """Goal's attacking half-pitch with the player (and facing), keeper and ball of state ``s``."""
    from bounded_ddpg.envs.goal_physics import BALL_SIZE, GOAL_AREA, GOAL_HALF, NET_DEPTH, PLAYER_SIZE

    c = Canvas(-1.5, 24.0, -16.5, 16.5, 16.0, GRASS)
    lw = 0.12
    sides = (
        (0.0, -15.0, 20.0, -15.0),
        (0.0, 15.0, 20.0, 15.0),
        (0.0, -15.0, 0.0, 15.0),
        (20.0, -15.0, 20.0, 15.0),
    )
    for x0, y0, x1, y1 in sides:
        c.segment(x0, y0, x1, y1, lw, LINE)
    gx0, gx1, gy0, gy1 = GOAL_AREA
    for x0, y0, x1, y1 in ((gx0, gy0, gx0, gy1), (gx0, gy0, gx1, gy0), (gx0, gy1, gx1, gy1)):
        c.segment(x0, y0, x1, y1, lw, LINE)
    c.rect(20.0, -GOAL_HALF, NET_DEPTH, 2 * GOAL_HALF, NET)
    p, k, b = s.player, s.keeper, s.ball
    c.disc(k[0], k[1], PLAYER_SIZE, KEEPER)
    c.disc(p[0], p[1], PLAYER_SIZE, PLAYER)
    c.segment(p[0], p[1], p[0] + 1.3 * math.cos(p[4]), p[1] + 1.3 * math.sin(p[4]), 0.2, PLAYER)
    c.disc(b[0], b[1], BALL_SIZE, BALL)
    return c.img
