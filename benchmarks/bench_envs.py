"""Agent steps/s and substeps/s of Platform, Goal, Moving and Sliding with random actions (not a timed test).

Single copy: the Tuple-action env (plain Python floats). Vectorised: ``make_vector_env`` with N copies
(Platform: numpy over copies; Goal: a batched loop), flat actions uniform in [-1, 1]. Median of repeats.

    python benchmarks/bench_envs.py [--steps 3000] [--repeats 5] [--num-envs 64] [--hyar-only]

Then HyAR's tasks (one copy each, the unwrapped env; random actions from its action space; agent steps per
CPU second of this process): Hard Goal, Catch Point, Hard Move with n = 4 and n = 10.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from bounded_ddpg.envs.goal_env import GoalEnv
from bounded_ddpg.envs.gym_hybrid import GymHybridEnv, MovingEnv, SlidingEnv
from bounded_ddpg.envs.platform_env import PlatformEnv
from bounded_ddpg.envs.vector import make_vector_env


def bench_single(env_cls: type[PlatformEnv] | type[GoalEnv], steps: int, seed: int) -> tuple[float, float]:
    """(agent steps/s, substeps/s) of one copy over ``steps`` random agent steps."""
    env = env_cls()
    env.reset(seed=seed)
    env.action_space.seed(seed)
    actions = [env.action_space.sample() for _ in range(steps)]
    substeps = 0
    t0 = time.perf_counter()
    for a in actions:
        _, _, term, trunc, info = env.step(a)
        substeps += info["substeps"]
        if term or trunc:
            env.reset()
    dt = time.perf_counter() - t0
    return steps / dt, substeps / dt


def bench_vector(env_id: str, num_envs: int, steps: int, seed: int) -> tuple[float, float]:
    """(agent steps/s, substeps/s) summed over ``num_envs`` copies for ``steps`` vector steps."""
    venv = make_vector_env(env_id, num_envs, list(range(seed, seed + num_envs)))
    venv.reset()
    (dim,) = venv.single_action_space.shape or ()
    actions = np.random.default_rng(seed).uniform(-1.0, 1.0, (steps, num_envs, dim))
    substeps = 0
    t0 = time.perf_counter()
    for a in actions:
        info = venv.step(a)[4]
        substeps += int(info["substeps"].sum())
    dt = time.perf_counter() - t0
    return steps * num_envs / dt, substeps / dt


# gym-hybrid's Moving and Sliding (single copy; one physics step per agent step, so substeps = steps)
def bench_gym_hybrid(env_cls: type[GymHybridEnv], steps: int, seed: int) -> float:
    """Agent steps/s of one Moving or Sliding copy over ``steps`` random agent steps."""
    return random_steps_per_s(env_cls(), steps, seed, time.perf_counter)


def random_steps_per_s(env: Any, steps: int, seed: int, clock: Callable[[], float]) -> float:
    """Agent steps per unit of ``clock`` of one copy over ``steps`` random actions drawn before timing."""
    env.reset(seed=seed)
    env.action_space.seed(seed)
    actions = [env.action_space.sample() for _ in range(steps)]
    t0 = clock()
    for a in actions:
        _, _, term, trunc, _ = env.step(a)
        if term or trunc:
            env.reset()
    return steps / (clock() - t0)


# ---- HyAR's tasks (issue 29) ----
HYAR_BENCH: tuple[tuple[str, dict[str, int]], ...] = (
    ("bounded_ddpg/HardGoal-v0", {}),
    ("bounded_ddpg/CatchPoint-v0", {}),
    ("bounded_ddpg/HardMove-v0", {"n_actuators": 4}),
    ("bounded_ddpg/HardMove-v0", {"n_actuators": 10}),
)


def bench_hyar(env_id: str, kwargs: dict[str, int], steps: int, seed: int) -> float:
    """Agent steps per CPU second (this process's, so that a loaded machine does not deflate it) of one
    copy of a HyAR task over ``steps`` random actions."""
    import gymnasium as gym

    import bounded_ddpg  # noqa: F401  (registers the ids)

    env = gym.make(env_id, **dict(kwargs)).unwrapped  # type: ignore[arg-type]
    return random_steps_per_s(env, steps, seed, time.process_time)


def print_hyar(steps: int, repeats: int) -> None:
    print(f"{'HyAR task':<40}{'agent steps per CPU s':>22}")
    for env_id, kwargs in HYAR_BENCH:
        sps = statistics.median(bench_hyar(env_id, kwargs, steps, r) for r in range(repeats))
        label = env_id + "".join(f" {k}={v}" for k, v in kwargs.items())
        print(f"{label:<40}{sps:>22,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000, help="agent steps per single-copy repeat")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--hyar-only", action="store_true", help="only HyAR's tasks")
    args = parser.parse_args()
    if args.hyar_only:
        print_hyar(args.steps, args.repeats)
        return
    vec_steps = max(10, args.steps // args.num_envs * 4)
    rows = []
    for name, cls in (("Platform", PlatformEnv), ("Goal", GoalEnv)):
        single = [bench_single(cls, args.steps, r) for r in range(args.repeats)]
        vector = [bench_vector(name, args.num_envs, vec_steps, r) for r in range(args.repeats)]
        for label, runs in (("1", single), (str(args.num_envs), vector)):
            rows.append(
                (name, label, statistics.median(s for s, _ in runs), statistics.median(u for _, u in runs))
            )
    for name, hybrid_cls in (("Moving", MovingEnv), ("Sliding", SlidingEnv)):  # gym-hybrid
        sps = statistics.median(bench_gym_hybrid(hybrid_cls, args.steps, r) for r in range(args.repeats))
        rows.append((name, "1", sps, sps))
    print(f"{'env':<10}{'copies':>7}{'agent steps/s':>16}{'substeps/s':>14}")
    for name, label, sps, subs in rows:
        print(f"{name:<10}{label:>7}{sps:>16,.0f}{subs:>14,.0f}")
    print_hyar(args.steps, args.repeats)


if __name__ == "__main__":
    main()
