"""Pictures of HyAR's tasks for the docs (matplotlib, PNG): Hard Goal, Catch Point, Hard Move.

    python -m bounded_ddpg.envs.render_hyar --out docs/img [--seed 0]

Hard Goal: the attacking half at a seeded reset (player blue, keeper orange, ball white) and where each
shot action can aim on the goal line (its bin, after HyAR's remap; bin 2 is the single point y = 1.402).
Catch Point and Hard Move (n = 4): one episode of a simple scripted policy from a seeded reset, the path
of the point, the target's 0.2 disc, and (Hard Move) the actuator directions.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from bounded_ddpg.envs.goal_physics import GOAL_HALF, NET_DEPTH, PITCH_HALF_Y, PITCH_X
from bounded_ddpg.envs.hard_goal import HardGoalEnv, goal_action
from bounded_ddpg.envs.mpe_tasks import TARGET_RADIUS, CatchPointEnv, HardMoveEnv, PointMassEnv

SIZE = (4.0, 3.2)  # inches at 100 dpi: small PNGs


def draw_hard_goal(ax: Axes, seed: int) -> None:
    env = HardGoalEnv()
    env.reset(seed=seed)
    s = env.goal.state
    ax.add_patch(plt.Rectangle((0, -PITCH_HALF_Y), PITCH_X, 2 * PITCH_HALF_Y, color="#3c9646"))
    ax.add_patch(plt.Rectangle((PITCH_X, -GOAL_HALF), NET_DEPTH, 2 * GOAL_HALF, color="#bbbbbb"))
    for k, colour in zip(range(1, 6), ("#d62728", "#ff7f0e", "#000000", "#1f77b4", "#9467bd")):
        ends = [goal_action(k, np.eye(12)[k + 1] * p)[1][1][0] for p in (-1.0, 1.0)]
        lo, hi = min(ends), max(ends)
        label = f"k={k},{k + 5}"
        if hi - lo < 1e-9:
            ax.plot([PITCH_X + 0.6], [lo], "o", color=colour, ms=5, label=label + " (one point)")
        else:
            ax.plot([PITCH_X + 0.6] * 2, [lo, hi], "-", color=colour, lw=4, label=label)
    ax.add_patch(plt.Circle((s.player[0], s.player[1]), 0.9, color="#2860dc"))
    ax.add_patch(plt.Circle((s.keeper[0], s.keeper[1]), 0.9, color="#f5961e"))
    ax.add_patch(plt.Circle((s.ball[0], s.ball[1]), 0.4, color="white", ec="black", lw=0.5))
    ax.set_xlim(-1, PITCH_X + NET_DEPTH + 1)
    ax.set_ylim(-PITCH_HALF_Y - 1, PITCH_HALF_Y + 1)
    ax.set_aspect("equal")
    ax.legend(loc="lower left", fontsize=5, title="shot bins", title_fontsize=5)
    ax.set_title("Hard Goal: 11 actions, 5 shot bins twice", fontsize=8)


def _episode(env: PointMassEnv, seed: int, act: object) -> tuple[np.ndarray, list[int]]:
    """The positions of one episode and the steps' discrete actions."""
    env.reset(seed=seed)
    path, ks = [env.pos.copy()], []
    while True:
        k, p = act(env)  # type: ignore[operator]
        _, _, term, trunc, _ = env.step((k, p))
        path.append(env.pos.copy())
        ks.append(k)
        if term or trunc:
            return np.array(path), ks


def _catch_act(env: CatchPointEnv) -> tuple[int, np.ndarray]:
    rel = env.target - env.pos - 0.075 * env.vel  # where the catch is judged, after one drift
    if math.hypot(*rel) <= 0.15:
        return 1, np.zeros(1)
    aim = env.target - env.pos - 0.3 * env.vel
    return 0, np.array([math.atan2(aim[0], aim[1]) / math.pi])


def _move_act(env: HardMoveEnv) -> tuple[int, np.ndarray]:
    want = env.target - env.pos - 0.35 * env.vel
    score = env.motions @ want
    k = int(np.argmax(np.abs(score)))
    p = np.zeros(len(env.motions))
    p[k] = math.copysign(min(1.0, 4.0 * float(np.hypot(*want))), float(score[k]))
    return k, p


def draw_point_task(ax: Axes, env: PointMassEnv, seed: int, title: str) -> None:
    act = _catch_act if isinstance(env, CatchPointEnv) else _move_act
    path, ks = _episode(env, seed, act)
    ax.add_patch(plt.Circle((float(env.target[0]), float(env.target[1])), TARGET_RADIUS, color="#f0b4b4"))
    ax.plot(path[:, 0], path[:, 1], "-o", color="#2860dc", ms=2, lw=1)
    ax.plot(*env.target, "x", color="#b02020")
    if isinstance(env, CatchPointEnv):
        caught = [i + 1 for i, k in enumerate(ks) if k == 1]
        ax.plot(path[caught, 0], path[caught, 1], "s", color="#b02020", ms=4, label="catch")
        ax.legend(loc="lower left", fontsize=6)
    elif isinstance(env, HardMoveEnv):
        for i in range(env.n_actuators):
            m = env.motions[1 << (env.n_actuators - 1 - i)]
            ax.arrow(path[0, 0], path[0, 1], 0.5 * m[0], 0.5 * m[1], color="grey", width=0.005)
    ax.set_aspect("equal")
    ax.set_title(f"{title}: {len(ks)} steps", fontsize=8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    jobs = {
        "hard_goal.png": lambda ax: draw_hard_goal(ax, args.seed),
        "catch_point.png": lambda ax: draw_point_task(ax, CatchPointEnv(), args.seed, "Catch Point"),
        "hard_move.png": lambda ax: draw_point_task(ax, HardMoveEnv(4), args.seed, "Hard Move (n = 4)"),
    }
    for name, draw in jobs.items():
        fig, ax = plt.subplots(figsize=SIZE, dpi=100)
        draw(ax)
        ax.tick_params(labelsize=6)
        fig.tight_layout()
        fig.savefig(args.out / name)
        plt.close(fig)
        print(args.out / name)


if __name__ == "__main__":
    main()
