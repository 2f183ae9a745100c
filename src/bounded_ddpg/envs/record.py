"""Record one episode of Platform, Goal or GoalXY as a GIF (or MP4 when imageio-ffmpeg is installed).

    python -m bounded_ddpg.envs.record --env Platform --policy scripted --seed 0 --out episode.gif
    python -m bounded_ddpg.envs.record --env Goal --policy random --seed 3 --out goal.gif --still goal.png

:func:`record_episode` takes any ``policy(obs) -> flat action`` on the :func:`~bounded_ddpg.envs.factory.
make_env` interface (observations and actions in [-1, 1]), so a trained agent's actor can be recorded the
same way. Frames show every n-th substep of each macro action.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bounded_ddpg.envs import GOAL_ID, PLATFORM_ID
from bounded_ddpg.envs.actions import to_unit
from bounded_ddpg.envs.factory import canonical_id, make_env
from bounded_ddpg.envs.platform_env import PARAM_HIGH, PlatformEnv
from bounded_ddpg.envs.wrappers import GOAL_LEARNER_HIGH, GOAL_LEARNER_LOW

Policy = Callable[[np.ndarray], np.ndarray]


def record_episode(
    env_id: str,
    policy: Policy,
    out_path: str | Path,
    seed: int,
    *,
    still: str | Path | None = None,
    fps: int = 20,
    every: int = 4,
) -> dict[str, Any]:
    """Play one episode with ``policy`` and write its frames to ``out_path`` (.gif, or .mp4 with ffmpeg).

    Frames: every ``every``-th substep of each macro action, so jumps and kicks are visible.
    ``still``: also save one frame (the middle one) as a PNG. Returns {"return", "steps", "frames"}.
    """
    import imageio.v3 as iio

    out = Path(out_path)
    if out.suffix.lower() not in (".gif", ".mp4"):
        raise ValueError(f"output must end in .gif or .mp4, got {out}")
    if out.suffix.lower() == ".mp4" and importlib.util.find_spec("imageio_ffmpeg") is None:
        raise RuntimeError("MP4 needs imageio-ffmpeg (pip install imageio-ffmpeg); or write a .gif")
    env = make_env(env_id, seed=seed, render_mode="rgb_array")
    obs, _ = env.reset()
    frames: list[Any] = [env.render()]
    total, done, steps = 0.0, False, 0
    while not done:
        obs, reward, term, trunc, _ = env.step(policy(obs))
        total += float(reward)
        done, steps = term or trunc, steps + 1
        frames.extend(env.unwrapped.render_substeps(every))  # type: ignore[attr-defined]
        frames.append(env.render())
    images = np.stack([f for f in frames if f is not None])
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".gif":
        iio.imwrite(out, images, duration=1000 // fps, loop=0)
    else:
        iio.imwrite(out, images, fps=fps)
    if still is not None:
        iio.imwrite(Path(still), images[len(images) // 2])
    return {"return": total, "steps": steps, "frames": len(images)}


def _flat_action(k: int, unit_params: list[float], n_discrete: int = 3) -> np.ndarray:
    scores = -np.ones(n_discrete)
    scores[k] = 1.0
    return np.concatenate([scores, unit_params])


def platform_plan(seed: int, beam: int = 20, depth: int = 40) -> list[tuple[int, float]]:
    """A scripted Platform demonstration: beam search over macro actions on a copy of the seeded env.

    Returns the action sequence (k, parameter in env units) that reaches furthest (the goal when found).
    """
    options = [
        (0, 30.0),
        (0, 15.0),
        (0, 5.0),
        (0, 0.0),
        *((1, d) for d in (100, 250, 400, 550, 720)),
        *((2, d) for d in (150, 300, 430)),
    ]
    root = PlatformEnv()
    root.reset(seed=seed)
    frontier: list[tuple[PlatformEnv, list[tuple[int, float]]]] = [(root, [])]
    best: tuple[float, list[tuple[int, float]]] = (0.0, [])
    for _ in range(depth):
        children = []
        for env, seq in frontier:
            for k, p in options:
                child = copy.deepcopy(env)
                params = tuple(np.array([p if i == k else 0.0]) for i in range(3))
                _, _, term, trunc, info = child.step((k, params))
                if child.x > best[0]:
                    best = (child.x, [*seq, (k, float(p))])
                if info["cause"] == "goal":
                    return best[1]
                if not (term or trunc):
                    children.append((child, [*seq, (k, float(p))]))
        children.sort(key=lambda c: -c[0].x)
        seen: set[int] = set()
        frontier = []
        for env, seq in children:
            if round(env.x / 5.0) not in seen and len(frontier) < beam:
                seen.add(round(env.x / 5.0))
                frontier.append((env, seq))
        if not frontier:
            break
    return best[1]


def scripted_policy(env_id: str, seed: int) -> Policy:
    """Platform: replay :func:`platform_plan`. Goal / GoalXY: dribble (kick_to one unit ahead of the ball)
    until the ball passes x = 12, then shoot_goal at the centre (scores in about a quarter of episodes)."""
    if canonical_id(env_id).endswith("Platform-v0"):
        plan = iter(platform_plan(seed))

        def platform(obs: np.ndarray) -> np.ndarray:
            k, p = next(plan, (0, 30.0))
            unit = [-1.0, -1.0, -1.0]
            unit[k] = float(to_unit(np.array([p]), np.zeros(1), np.array([PARAM_HIGH[k]]))[0])
            return _flat_action(k, unit)

        return platform

    def goal(obs: np.ndarray) -> np.ndarray:
        lo, hi = GOAL_LEARNER_LOW[10], GOAL_LEARNER_HIGH[10]
        ball_x = lo + (float(obs[10]) + 1.0) * (hi - lo) / 2.0  # undo the learner's rescaling
        if ball_x < 12.0:
            kick = to_unit(np.array([ball_x + 1.0, 0.0]), np.array([0.0, -15.0]), np.array([40.0, 15.0]))
            return _flat_action(0, [*kick.tolist(), 0.0, 0.0])
        return _flat_action(1, [0.0, 0.0, 0.0, 0.0])

    return goal


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Record one Platform, Goal or GoalXY episode as a GIF/MP4.")
    parser.add_argument("--env", default="Platform", help="Platform | Goal | GoalXY (or a full id)")
    parser.add_argument("--policy", choices=("scripted", "random"), default="scripted")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="episode.gif", help=".gif, or .mp4 when imageio-ffmpeg is installed")
    parser.add_argument("--still", default=None, help="also write the middle frame to this PNG")
    parser.add_argument("--fps", type=int, default=20)
    parser.add_argument("--every", type=int, default=4, help="draw every n-th substep")
    args = parser.parse_args(argv)
    try:
        env_id = canonical_id(args.env)
    except ValueError as exc:
        parser.error(str(exc))
    if env_id not in (PLATFORM_ID, GOAL_ID):
        parser.error(f"--env {args.env}: only Platform and Goal can be recorded")
    if args.policy == "scripted":
        policy = scripted_policy(args.env, args.seed)
    else:
        rng = np.random.default_rng(args.seed)
        dim = make_env(args.env).action_space.shape
        policy = lambda obs: rng.uniform(-1.0, 1.0, dim)  # noqa: E731
    try:
        result = record_episode(
            args.env, policy, args.out, args.seed, still=args.still, fps=args.fps, every=args.every
        )
    except (RuntimeError, ValueError) as exc:
        parser.error(str(exc))
    print(
        f"{args.env} seed {args.seed}: return {result['return']:.4f} in {result['steps']} steps -> {args.out}"
    )


if __name__ == "__main__":
    main()
