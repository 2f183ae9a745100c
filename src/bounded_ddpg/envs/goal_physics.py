"""Goal's physics in plain Python floats (one copy), rule for rule as the public reference implementation.

Reference: Masson, Ranchod & Konidaris (AAAI 2016), in the gym port used by MP-DQN (Bester, James &
Konidaris 2019): github.com/cycraig/gym-goal, ``gym_goal/envs/goal_env.py`` (entities and rules),
``gym_goal/envs/config.py`` (constants) and ``gym_goal/envs/util.py`` (angles, bounds). The arithmetic
follows the reference expression by expression, so that, given the same random draws, states agree to
rounding. Units: pitch units, pitch units per substep (no DT: one substep is one unit of time), radians.

Entities are mutable lists: player and keeper ``[x, y, vx, vy, facing]``, ball ``[x, y, vx, vy]``. One
substep (:func:`substep`): the player acts (:func:`player_kick_to`), the keeper moves (:func:`keeper_move`),
every entity integrates (pos += v; v *= decay), one pass of pairwise decollision (player-keeper,
player-ball, keeper-ball), then the terminal check (:func:`terminal`).

Random draws: ``u`` holds :data:`NOISE_WIDTH` uniforms on [-1, 1) per substep: slots 0-2 the player's dash,
3-5 the kick, 6-8 the keeper's move (angle factor, then the two velocity components). Turning draws none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# gym_goal/envs/config.py
PLAYER_RATE, PLAYER_SIZE, PLAYER_RAND, PLAYER_MAX, PLAYER_DECAY = 0.006, 0.9, 0.1, 1.0, 0.4
BALL_RATE, BALL_SIZE, BALL_RAND, BALL_MAX, BALL_DECAY = 0.027, 0.4, 0.05, 2.7, 0.94
KICKABLE = PLAYER_SIZE + 0.7  # computed as the reference computes it (1.5999999999999999)
CATCHABLE, INERTIA_MOMENT, MAX_POWER = 2.0, 5.0, 100.0
PITCH_X, PITCH_HALF_Y = 20.0, 15.0  # the attacking half: x in [0, 20], y in [-15, 15]; goal line x = 20
GOAL_HALF = 14.02 / 2  # mouth |y| <= 7.01
NET_DEPTH = 2.44
GOAL_AREA = (PITCH_X - 5.5, PITCH_X, -18.32 / 2, 18.32 / 2)  # x0, x1, y0, y1: [14.5, 20] x [-9.16, 9.16]
SHOOT_X = PITCH_X + BALL_SIZE  # shoot_goal kicks toward (20.4, y)
KICK_X, KICK_Y = (0.0, 40.0), (-15.0, 15.0)  # kick_to's parameter bounds
KEEPER_LANE = GOAL_HALF + CATCHABLE  # the keeper intercepts balls crossing the line within |y| <= 9.01
RESET_BALL_DISTANCE = KICKABLE - 1e-12  # goal_env.py reset(): "ensure always kickable on first state"
MAX_STEPS = 100
NOISE_WIDTH = 9
NO_NOISE = [0.0] * NOISE_WIDTH

# The observation bounds of the reference (config.py LOW_VECTOR / HIGH_VECTOR), which MP-DQN's learners
# rescale to [-1, 1]; float32, as the reference's Box stores them. Not a containment box: the player's
# facing is never wrapped, and the keeper (and, on the last substep, the ball) can leave the pitch.
_PI = math.pi
OBS_LOW = (0.0, -15.0, -1.0, -1.0, -_PI, 0.0, -15.0, -1.0, -1.0, -_PI, 0.0, -15.0, -3.0, -3.0)
OBS_HIGH = (20.0, 15.0, 1.0, 1.0, _PI, 20.0, 15.0, 1.0, 1.0, _PI, 20.0, 15.0, 3.0, 3.0)

# An honest containment box for the positions: the ball is on the field until its last substep (then at
# most one move of 2.7 and one push outside); the keeper chases points at most KEEPER_REACH beyond the
# ball; the player only moves toward the ball or is pushed.
KEEPER_REACH = BALL_MAX / (1.0 - BALL_DECAY) + BALL_MAX  # 47.7
ARENA_X = (-KEEPER_REACH - 1.0, PITCH_X + NET_DEPTH + KEEPER_REACH + 1.0)
ARENA_Y = (-PITCH_HALF_Y - KEEPER_REACH - 1.0, PITCH_HALF_Y + KEEPER_REACH + 1.0)


def norm_angle(a: float) -> float:
    """The angle moved into [-pi, pi] by whole turns, as util.py's loops do it."""
    while a > math.pi:
        a -= 2 * math.pi
    while a < -math.pi:
        a += 2 * math.pi
    return a


def _norm(x: float, y: float) -> float:
    return math.sqrt(x * x + y * y)


def _bound(v: float, limit: float) -> float:
    return -limit if v < -limit else limit if v > limit else v


def accelerate(
    e: list[float], power: float, theta: float, rate: float, rand: float, vmax: float, u: list[float], i: int
) -> None:
    """Entity.accelerate: theta *= 1 + U(-rand, rand); a = power*rate*(cos, sin)(theta) + U(-r, r) per
    component with r = rand*|v| (the speed before the push); a and then v clipped per component to vmax."""
    theta = (1.0 + rand * u[i]) * theta
    rmax = rand * _norm(e[2], e[3])
    r = float(power) * rate
    ax = _bound(r * math.cos(theta) + rmax * u[i + 1], vmax)
    ay = _bound(r * math.sin(theta) + rmax * u[i + 2], vmax)
    e[2] = _bound(e[2] + ax, vmax)
    e[3] = _bound(e[3] + ay, vmax)


def goal_distance(ball: list[float], symmetric: bool = False) -> float:
    """Ball.goal_distance: the (negated) reward when the ball is caught, leaves the field, or time is up.

    In front of the line (x < 20): the distance to the nearest post when |y| > 7.01, else 20 - x. On or
    past the line: 0 inside the mouth; y > 7.01 gives y - 7.01; y < -7.01 gives 7.01 - y (= 7.01 + |y|:
    asymmetric, as released) unless ``symmetric`` (GoalXY), which gives |y| - 7.01.
    """
    x, y = ball[0], ball[1]
    if x < PITCH_X:
        if y < -GOAL_HALF:
            return _norm(x - PITCH_X, y + GOAL_HALF)
        if y > GOAL_HALF:
            return _norm(x - PITCH_X, y - GOAL_HALF)
        return PITCH_X - x
    if y < -GOAL_HALF:
        return -GOAL_HALF - y if symmetric else GOAL_HALF - y
    if y > GOAL_HALF:
        return y - GOAL_HALF
    return 0.0


@dataclass
class GoalState:
    """Player, keeper and ball of one copy."""

    player: list[float]
    keeper: list[float]
    ball: list[float]

    @staticmethod
    def initial(player_y: float) -> GoalState:
        """goal_env.py reset(): player at (0, y) facing (20, 0); the ball 1.6 - 1e-12 ahead of it; the keeper
        where the ball-to-goal-centre line meets x = 14.5 (clipped to the goal area), facing the ball."""
        facing = math.atan2(-player_y, PITCH_X)
        ball = [RESET_BALL_DISTANCE * math.cos(facing), player_y + RESET_BALL_DISTANCE * math.sin(facing)]
        grad = -ball[1] / (PITCH_X - ball[0])  # _keeper_line / _keeper_target
        yint = ball[1] - grad * ball[0]
        kx = min(max(ball[0], GOAL_AREA[0]), GOAL_AREA[1])  # the ball is always short of 14.5 here
        ky = min(max(grad * kx + yint, GOAL_AREA[2]), GOAL_AREA[3])
        keeper = [kx, ky, 0.0, 0.0, math.atan2(ball[1] - ky, ball[0] - kx)]
        return GoalState([0.0, player_y, 0.0, 0.0, facing], keeper, [*ball, 0.0, 0.0])

    def as_list(self) -> list[float]:
        """The 14 observation numbers."""
        return self.player + self.keeper + self.ball

    def ball_distance(self) -> float:
        return _norm(self.player[0] - self.ball[0], self.player[1] - self.ball[1])

    def kickable(self) -> bool:
        return self.ball_distance() <= KICKABLE

    def ball_speed(self) -> float:
        return _norm(self.ball[2], self.ball[3])


def _kick_power(p: list[float], b: list[float]) -> float:
    """Player.kick_power: 1 - 0.25 |facing error| / pi - 0.25 distance / 1.6."""
    angle = math.atan2(b[1] - p[1], b[0] - p[0])
    dir_diff = abs(norm_angle(angle - p[4]))
    return 1 - 0.25 * dir_diff / math.pi - 0.25 * _norm(p[0] - b[0], p[1] - b[1]) / KICKABLE


def player_kick_to(s: GoalState, target: tuple[float, float], u: list[float]) -> None:
    """Player.kick_to: kick the ball toward ``target`` if it is within 1.6, else go to it.

    Going to the ball: turn to face it unless the facing error is below pi/8 (orientation += error /
    (1 + 5 |v|), no noise, no wrapping), else dash with power 10 along the facing.
    """
    p, b = s.player, s.ball
    if not s.kickable():
        angle = math.atan2(b[1] - p[1], b[0] - p[0])
        if not abs(norm_angle(p[4] - angle)) < math.pi / 8:
            p[4] = p[4] + norm_angle(angle - p[4]) / (1 + INERTIA_MOMENT * _norm(p[2], p[3]))
        else:
            accelerate(p, 10.0, p[4], PLAYER_RATE, PLAYER_RAND, PLAYER_MAX, u, 0)
        return
    ax = (1 - BALL_DECAY) * (target[0] - p[0]) - b[2]
    ay = (1 - BALL_DECAY) * (target[1] - p[1]) - b[3]
    power = _norm(ax, ay) / (_kick_power(p, b) * BALL_RATE)
    direction = math.atan2(ay, ax) - p[4]  # kick_towards -> kick_ball(power, direction - facing)
    power = min(max(power, -MAX_POWER), MAX_POWER) * _kick_power(p, b)
    accelerate(b, power, p[4] + direction, BALL_RATE, BALL_RAND, BALL_MAX, u, 3)


def keeper_move(s: GoalState, u: list[float]) -> None:
    """Goalie.move: intercept a ball heading for the goal, else chase where the ball will stop.

    end = ball + v / (1 - 0.94); grad = vy / vx along the ball's path (0 when the path has no x extent);
    goal_y = where that path meets x = 20. If end.x > 20, |goal_y| <= 9.01 and grad != 0: move with power
    20 toward the foot of the perpendicular from the keeper onto the path (orientation: toward it);
    otherwise (a perfectly horizontal or vertical ball included) move with power 8 toward ``end``.
    """
    k, b = s.keeper, s.ball
    ex, ey = b[0] + b[2] / (1 - BALL_DECAY), b[1] + b[3] / (1 - BALL_DECAY)
    dx, dy = ex - b[0], ey - b[1]
    grad = dy / dx if dx != 0.0 else 0.0
    yint = b[1] - grad * b[0]
    goal_y = grad * PITCH_X + yint
    if ex > PITCH_X and -GOAL_HALF - CATCHABLE <= goal_y <= KEEPER_LANE and grad != 0:
        grad2 = -1 / grad
        yint2 = k[1] - grad2 * k[0]
        tx = (yint2 - yint) / (grad - grad2)
        ty = grad * tx + yint
        theta = math.atan2(ty - k[1], tx - k[0])
        accelerate(k, 20.0, theta, PLAYER_RATE, PLAYER_RAND, PLAYER_MAX, u, 6)
        k[4] = math.atan2(ty - k[1], tx - k[0])  # set after the move (the position has not changed)
    else:
        k[4] = math.atan2(ey - k[1], ex - k[0])
        accelerate(k, 8.0, math.atan2(ey - k[1], ex - k[0]), PLAYER_RATE, PLAYER_RAND, PLAYER_MAX, u, 6)


def decollide(a: list[float], b: list[float], size_a: float, size_b: float) -> None:
    """Entity.decollide when the two overlap (distance < size_a + size_b): each moves half the overlap
    away from the other, and both velocities are negated."""
    dist = _norm(a[0] - b[0], a[1] - b[1])
    if not dist < size_a + size_b:
        return
    overlap = (size_a + size_b - dist) / 2
    theta1 = math.atan2(b[1] - a[1], b[0] - a[0])
    theta2 = math.atan2(a[1] - b[1], a[0] - b[0])
    a[0], a[1] = a[0] + overlap * math.cos(theta2), a[1] + overlap * math.sin(theta2)
    b[0], b[1] = b[0] + overlap * math.cos(theta1), b[1] + overlap * math.sin(theta1)
    a[2], a[3], b[2], b[3] = -a[2], -a[3], -b[2], -b[3]


def terminal(s: GoalState, symmetric: bool = False) -> float | None:
    """GoalEnv._terminal_check: the reward if the episode ends now, else None.

    Goal (+50): 20 <= x <= 22.44 and |y| <= 7.01 (on the line counts; past the net's depth is out).
    Otherwise ended, paying -goal_distance: the keeper catches (ball strictly within 2.0 of it) or the ball
    is off the field (outside [0, 20] x [-15, 15]).
    """
    b, k = s.ball, s.keeper
    if PITCH_X <= b[0] <= PITCH_X + NET_DEPTH and -GOAL_HALF <= b[1] <= GOAL_HALF:
        return 50.0
    caught = _norm(k[0] - b[0], k[1] - b[1]) < CATCHABLE
    if caught or not (0.0 <= b[0] <= PITCH_X and -PITCH_HALF_Y <= b[1] <= PITCH_HALF_Y):
        return -goal_distance(b, symmetric)
    return None


def substep(
    s: GoalState, target: tuple[float, float], u: list[float], symmetric: bool = False
) -> float | None:
    """One substep of kicking the ball toward ``target`` (GoalEnv._update); the reward if it ended."""
    player_kick_to(s, target, u)
    keeper_move(s, u)
    for e, decay in ((s.player, PLAYER_DECAY), (s.keeper, PLAYER_DECAY), (s.ball, BALL_DECAY)):
        e[0] += e[2]
        e[1] += e[3]
        e[2] *= decay
        e[3] *= decay
    decollide(s.player, s.keeper, PLAYER_SIZE, PLAYER_SIZE)
    decollide(s.player, s.ball, PLAYER_SIZE, BALL_SIZE)
    decollide(s.keeper, s.ball, PLAYER_SIZE, BALL_SIZE)
    return terminal(s, symmetric)
