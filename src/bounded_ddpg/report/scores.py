"""`report --aggregate`'s normalisation ranges: per task, the score that maps to 0 and the one mapping to 1.

A run's normalised score is (x - low) / (high - low) of its final evaluation metric x. Success rates
(P(goal): `final_eval.p_success`, `p_goal` in older runs) are used as they are (low 0, high 1). Returns
are normalised between a uniform random policy's evaluation return (low: measured by
`python -m bounded_ddpg.random_scores`, whose output is recorded below with the episode count and date)
and a stated reference score with its public source (high). A normalised score can exceed 1 (a policy
better than the reference) or fall below 0 (worse than random). Tasks missing here are refused by
--aggregate, naming the known ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from bounded_ddpg.report.main_table import RETURN

P_GOAL = "P(goal)"  # main_table.metric_of's name for Goal's success rate (env.success_key: goal)

# The command that measured every `low` of a return task below (1,000 episodes each, run seed 0, on
# 2026-12-03); it printed (mean return, its standard error, the episodes' standard deviation):
#   Platform                  0.1548  stderr 0.0033  std 0.1056
#   Pendulum              -1231.0672  stderr 8.9556  std 283.1994
#   LunarLanderContinuous  -210.5405  stderr 4.0315  std 127.4865
RANDOM_COMMAND = "python -m bounded_ddpg.random_scores --episodes 1000 --seed 0"
RANDOM_EPISODES, RANDOM_DATE = 1000, "2026-12-03"


@dataclass(frozen=True)
class ScoreRange:
    """One task's normalisation: `metric` (RETURN or P_GOAL), `low` -> 0, `high` -> 1, and where each
    comes from. `env_id` is the environment random_scores measures (None: nothing measured); `random_std`
    is the measured episodes' standard deviation of the return (for the re-measuring test's tolerance)."""

    metric: str
    low: float
    high: float
    low_source: str
    high_source: str
    env_id: str | None = None
    random_std: float | None = None

    @property
    def random(self) -> float | None:
        """The measured random policy's return, for a return task."""
        return self.low if self.env_id is not None else None

    def normalise(self, x: float) -> float:
        return (x - self.low) / (self.high - self.low)


_RANDOM = (
    f"uniform random policy, {RANDOM_EPISODES} evaluation episodes, measured {RANDOM_DATE} ({RANDOM_COMMAND})"
)
_P_GOAL = "a success rate, used as it is"

SCORE_RANGES: dict[str, ScoreRange] = {
    "Platform": ScoreRange(
        RETURN, 0.1548, 1.0, _RANDOM,
        "1.0: the return at the goal (the return is x_final / 1035, exactly 1.0 at the goal: Masson, Ranchod "
        "& Konidaris 2016, 'Reinforcement Learning with Parameterized Actions', AAAI; docs/envs.md)",
        "bounded_ddpg/Platform-v0", 0.1056,
    ),
    "Goal": ScoreRange(P_GOAL, 0.0, 1.0, _P_GOAL, _P_GOAL),
    "Pendulum": ScoreRange(
        RETURN, -1231.0672, 0.0, _RANDOM,
        "0: the largest return possible (every step's reward -(theta^2 + 0.1 theta_dot^2 + 0.001 u^2) is at "
        "most 0; gymnasium's Pendulum-v1 documentation, gymnasium/envs/classic_control/pendulum.py; "
        "gymnasium registers no reward_threshold for it)",
        "Pendulum-v1", 283.1994,
    ),
    "LunarLanderContinuous": ScoreRange(
        RETURN, -210.5405, 200.0, _RANDOM,
        "200: the score at which an episode counts as solved (gymnasium's LunarLander documentation and its "
        "registered reward_threshold=200, gymnasium/envs/__init__.py)",
        "LunarLanderContinuous-v3", 127.4865,
    ),
}  # fmt: skip
