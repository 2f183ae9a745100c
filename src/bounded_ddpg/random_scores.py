"""`python -m bounded_ddpg.random_scores [ENV ...] [--episodes N] [--seed S]`: a random policy's score.

Measures the lower end of each task's normalisation range (report/scores.py, `report --aggregate`): the
mean evaluation return of a policy that draws every action uniformly from the action space, evaluated
exactly as a trained policy is (bounded_ddpg.evaluation.evaluate: the environment from
bounded_ddpg.envs.make_env, the raw, unscaled return, the same per-evaluation seed stream, the action
clipped to the space's bounds). On Platform and Goal the action is the flat Box of
envs.wrappers.FlatParameterisedAction (discrete scores and all parameters), so the discrete action is
uniform over the actions and its parameters uniform over their ranges. Prints one line per env: the mean
return, its standard error, the standard deviation over episodes, and P(goal) where the env reports it.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class Measured:
    env: str
    episodes: int
    return_mean: float
    return_std: float
    p_goal: float | None

    @property
    def stderr(self) -> float:
        """Standard error of the mean return over the episodes."""
        return self.return_std / math.sqrt(self.episodes)


class UniformPolicy:
    """Every action drawn uniformly from [low, high], from its own seeded generator; `explore` is ignored."""

    def __init__(self, low: Tensor, high: Tensor, seed: int) -> None:
        self.low, self.high = low, high
        self.generator = torch.Generator().manual_seed(seed)

    def act(self, obs: Tensor, explore: bool) -> Tensor:
        u = torch.rand((obs.shape[0], self.low.numel()), generator=self.generator, dtype=torch.float64)
        return (self.low + u * (self.high - self.low)).to(torch.float32)


def measure(env_id: str, episodes: int, seed: int) -> Measured:
    """The uniform random policy's evaluation on `env_id` over `episodes` episodes (run seed `seed`)."""
    from bounded_ddpg.envs import GOAL_IDS
    from bounded_ddpg.envs.factory import canonical_id, make_env  # the training side: only this command
    from bounded_ddpg.evaluation import evaluate

    env = make_env(env_id)
    low = torch.as_tensor(env.action_space.low, dtype=torch.float32)  # type: ignore[attr-defined]
    high = torch.as_tensor(env.action_space.high, dtype=torch.float32)  # type: ignore[attr-defined]
    success_key = "goal" if canonical_id(env_id) in GOAL_IDS else None  # the Goal presets' key
    (result,) = evaluate(
        UniformPolicy(low, high, seed), [env], [seed], [True], episodes, low, high, 0, success_key
    )
    env.close()
    assert result is not None
    return Measured(env_id, episodes, result["return_mean"], result["return_std"], result.get("p_success"))


def main(argv: list[str] | None = None) -> int:
    from bounded_ddpg.report.scores import SCORE_RANGES

    p = argparse.ArgumentParser(
        prog="python -m bounded_ddpg.random_scores",
        description="A uniform random policy's evaluation return per env (the low end of report "
        "--aggregate's normalisation range).",
    )
    returns = [e for e, r in SCORE_RANGES.items() if r.env_id is not None and r.random is not None]
    p.add_argument("envs", nargs="*", default=returns, help=f"env names (default: {', '.join(returns)})")
    p.add_argument("--episodes", type=int, default=1000, help="evaluation episodes per env (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="run seed of the evaluation (default 0)")
    a = p.parse_args(argv)
    if bad := [e for e in a.envs if e not in SCORE_RANGES or SCORE_RANGES[e].env_id is None]:
        p.error(f"unknown env {', '.join(bad)}; choose from {', '.join(returns)}")
    if a.episodes < 2:
        p.error(f"--episodes must be at least 2, got {a.episodes}")
    print("| env | episodes | random return | stderr | std | P(goal) |")
    print("|---|---:|---:|---:|---:|---:|")
    for env in a.envs:
        m = measure(str(SCORE_RANGES[env].env_id), a.episodes, a.seed)
        goal = "-" if m.p_goal is None else f"{m.p_goal:.4f}"
        print(
            f"| {env} | {m.episodes} | {m.return_mean:.4f} | {m.stderr:.4f} | {m.return_std:.4f} | {goal} |"
        )
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
