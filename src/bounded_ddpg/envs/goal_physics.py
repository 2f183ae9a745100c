"""Goal's physics in plain Python floats (one copy); constants from ``shared/reference/goal.md``.

Units: pitch units, pitch units per substep, radians. Entities are mutable lists: player and keeper
``[x, y, vx, vy, facing]``, ball ``[x, y, vx, vy]``. One substep (:func:`substep`): the player acts
(kick if the ball is kickable, else turn to face the ball or dash toward it), the keeper moves, every
entity integrates (pos += v; v *= decay), one pass of pairwise decollision, then the terminal check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PLAYER_RATE, PLAYER_SIZE, PLAYER_RAND, PLAYER_MAX, PLAYER_DECAY = 0.006, 0.9, 0.1, 1.0, 0.4
BALL_RATE, BALL_SIZE, BALL_RAND, BALL_MAX, BALL_DECAY = 0.027, 0.4, 0.05, 2.7, 0.94
KICKABLE, CATCHABLE, INERTIA_MOMENT, MAX_POWER = 1.6, 2.0, 5.0, 100.0
PITCH_X, PITCH_HALF_Y = 20.0, 15.0  # field x in [0, 20], y in [-15, 15]; goal line at x = 20
GOAL_HALF = 7.01  # mouth |y| <= 7.01
NET_DEPTH = 2.44
GOAL_AREA = (14.5, 20.0, -9.16, 9.16)  # x0, x1, y0, y1
SHOOT_X = 20.4  # shoot_goal kicks toward (20.4, y)
KICK_X, KICK_Y = (0.0, 40.0), (-15.0, 15.0)
MAX_STEPS = 100
NOISE_WIDTH = 10
KEEPER_REACH = BALL_MAX / (1.0 - BALL_DECAY) + BALL_MAX  # 47.7: how far past the ball the keeper may aim
# Honest containment box for every entity: the ball is on the field until the last substep (then at most
# one ball move plus one decollision push outside); the keeper chases points at most KEEPER_REACH beyond
# the ball, and the player only ever moves toward the ball or gets pushed by the keeper.
ARENA_X = (-KEEPER_REACH - 1.0, PITCH_X + NET_DEPTH + KEEPER_REACH + 1.0)
ARENA_Y = (-PITCH_HALF_Y - KEEPER_REACH - 1.0, PITCH_HALF_Y + KEEPER_REACH + 1.0)


def _wrap(a: float) -> float:
    """Angle to [-pi, pi]."""
    return (a + math.pi) % (2.0 * math.pi) - math.pi


def _accelerate(
    e: list[float], power: float, theta: float, rate: float, rand: float, vmax: float, u: list[float], i: int
) -> None:
    """theta *= 1 + U(-rand, rand); a = power*rate*(cos, sin) + U(-rand|v|, rand|v|); clip a and v."""
    theta *= 1.0 + rand * u[i]
    speed = math.hypot(e[2], e[3])
    ax = power * rate * math.cos(theta) + rand * speed * u[i + 1]
    ay = power * rate * math.sin(theta) + rand * speed * u[i + 2]
    ax, ay = min(max(ax, -vmax), vmax), min(max(ay, -vmax), vmax)  # acceleration bound == speed bound
    e[2] = min(max(e[2] + ax, -vmax), vmax)
    e[3] = min(max(e[3] + ay, -vmax), vmax)


def goal_distance(ball: list[float]) -> float:
    """Ball's distance to the goal mouth: nearest post when |y| > 7.01, else 20 - x."""
    x, y = ball[0], ball[1]
    if abs(y) > GOAL_HALF:
        return math.hypot(PITCH_X - x, abs(y) - GOAL_HALF)
    return PITCH_X - x


@dataclass
class GoalState:
    """Player, keeper and ball of one copy."""

    player: list[float]
    keeper: list[float]
    ball: list[float]

    @staticmethod
    def initial(player_y: float) -> GoalState:
        """Player at (0, y) facing (20, 0), ball 1.5 ahead, keeper on the ball-goal line in the goal area."""
        facing = math.atan2(-player_y, PITCH_X)
        d = KICKABLE - 0.1
        ball = [d * math.cos(facing), player_y + d * math.sin(facing), 0.0, 0.0]
        # the point where the ball-to-goal-centre line enters the goal area, clipped to the area
        t = (GOAL_AREA[0] - ball[0]) / (PITCH_X - ball[0])
        kx = GOAL_AREA[0]
        ky = min(max(ball[1] * (1.0 - t), GOAL_AREA[2]), GOAL_AREA[3])
        keeper = [kx, ky, 0.0, 0.0, math.atan2(ball[1] - ky, ball[0] - kx)]
        return GoalState([0.0, player_y, 0.0, 0.0, facing], keeper, ball)

    def as_list(self) -> list[float]:
        """The 14 observation numbers."""
        return self.player + self.keeper + self.ball

    def kickable(self) -> bool:
        return math.hypot(self.ball[0] - self.player[0], self.ball[1] - self.player[1]) <= KICKABLE

    def ball_speed(self) -> float:
        return math.hypot(self.ball[2], self.ball[3])


def _player_act(s: GoalState, target: tuple[float, float], u: list[float]) -> None:
    p, b = s.player, s.ball
    dx, dy = b[0] - p[0], b[1] - p[1]
    dist = math.hypot(dx, dy)
    if dist <= KICKABLE:
        ax = (1.0 - BALL_DECAY) * (target[0] - p[0]) - b[2]
        ay = (1.0 - BALL_DECAY) * (target[1] - p[1]) - b[3]
        kick_power = 1.0 - 0.25 * abs(_wrap(math.atan2(dy, dx) - p[4])) / math.pi - 0.25 * dist / KICKABLE
        power = math.hypot(ax, ay) / (kick_power * BALL_RATE)
        power = min(max(power, -MAX_POWER), MAX_POWER) * kick_power
        _accelerate(b, power, math.atan2(ay, ax), BALL_RATE, BALL_RAND, BALL_MAX, u, 4)
        return
    turn = _wrap(math.atan2(dy, dx) - p[4])
    if abs(turn) > math.pi / 8.0:
        moment = turn * (1.0 + PLAYER_RAND * u[3]) / (1.0 + INERTIA_MOMENT * math.hypot(p[2], p[3]))
        p[4] = _wrap(p[4] + moment)
    else:
        _accelerate(p, 10.0, p[4], PLAYER_RATE, PLAYER_RAND, PLAYER_MAX, u, 0)


def _keeper_act(s: GoalState, u: list[float]) -> None:
    k, b = s.keeper, s.ball
    px, py = b[0] + b[2] / (1.0 - BALL_DECAY), b[1] + b[3] / (1.0 - BALL_DECAY)
    v2 = b[2] * b[2] + b[3] * b[3]
    if px > PITCH_X and abs(py) <= GOAL_HALF + CATCHABLE and v2 > 0.0:
        t = ((k[0] - b[0]) * b[2] + (k[1] - b[1]) * b[3]) / v2  # perpendicular foot on the ball's path
        tx, ty, power = b[0] + t * b[2], b[1] + t * b[3], 20.0
    else:
        tx, ty, power = px, py, 8.0
    k[4] = math.atan2(ty - k[1], tx - k[0])
    _accelerate(k, power, k[4], PLAYER_RATE, PLAYER_RAND, PLAYER_MAX, u, 7)


def _decollide(a: list[float], b: list[float], size: float) -> None:
    """Push two overlapping entities apart by half the overlap each and negate both velocities."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    dist = math.hypot(dx, dy)
    if dist >= size:
        return
    ux, uy = (dx / dist, dy / dist) if dist > 0.0 else (1.0, 0.0)
    half = (size - dist) / 2.0
    a[0], a[1], b[0], b[1] = a[0] - ux * half, a[1] - uy * half, b[0] + ux * half, b[1] + uy * half
    a[2], a[3], b[2], b[3] = -a[2], -a[3], -b[2], -b[3]


def substep(s: GoalState, target: tuple[float, float], u: list[float]) -> float | None:
    """Advance one substep toward kicking the ball to ``target``; the reward if the episode ended."""
    _player_act(s, target, u)
    _keeper_act(s, u)
    for e, decay in ((s.player, PLAYER_DECAY), (s.keeper, PLAYER_DECAY), (s.ball, BALL_DECAY)):
        e[0] += e[2]
        e[1] += e[3]
        e[2] *= decay
        e[3] *= decay
    _decollide(s.player, s.keeper, 2.0 * PLAYER_SIZE)
    _decollide(s.player, s.ball, PLAYER_SIZE + BALL_SIZE)
    _decollide(s.keeper, s.ball, PLAYER_SIZE + BALL_SIZE)
    b = s.ball
    if b[0] > PITCH_X and abs(b[1]) <= GOAL_HALF:
        return 50.0
    caught = math.hypot(b[0] - s.keeper[0], b[1] - s.keeper[1]) <= CATCHABLE
    if caught or b[0] < 0.0 or b[0] > PITCH_X or abs(b[1]) > PITCH_HALF_Y:
        return -goal_distance(b)
    return None
