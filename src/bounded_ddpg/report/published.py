"""Published reference values for the main table (`report --main`), with their source and verification.

Bester, James & Konidaris 2019, "Multi-Pass Q-Networks for Deep Reinforcement Learning with Parameterised
Action Spaces", arXiv:1905.04388, Table 1: the mean final evaluation return on Platform and the mean
P(goal) on Robot Soccer Goal of each algorithm, averaged over that paper's runs. These are means, while the
main table's measured cells are IQMs; the per-task tables (docs/results/<name>/table.md) give the measured
means to compare with.

Each value records whether it was checked against a public source other than memory of the paper:
- MP-DQN (0.987, 0.789): verified against the paper's public leaderboard entry (Papers with Code);
- PA-DDPG (0.284, 0.006): agree with a public leaderboard (Papers with Code), which lists them as 28.4
  and 0.6%;
- P-DQN (0.964, 0.701): as recalled from the paper's Table 1, not verified (marked with a dagger).
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE = (
    'Bester, James & Konidaris 2019, "Multi-Pass Q-Networks for Deep Reinforcement Learning with '
    'Parameterised Action Spaces", arXiv:1905.04388, Table 1'
)
DAGGER = "†"


@dataclass(frozen=True)
class Value:
    """One published number: a mean over the paper's runs; `verified` False: recalled, not checked."""

    value: float
    verified: bool
    how: str


@dataclass(frozen=True)
class Published:
    """One algorithm's published row: env -> value (Platform: return; Goal: P(goal))."""

    agent: str
    values: dict[str, Value]

    @property
    def label(self) -> str:
        return f"{self.agent} (published, mean)"


_LEADERBOARD = "verified against the paper's public leaderboard entry (Papers with Code)"
_PWC = "agrees with Papers with Code's leaderboard, which lists PA-DDPG as {}"
_RECALLED = "as recalled from the paper, not verified"

PUBLISHED: tuple[Published, ...] = (
    Published("PA-DDPG", {"Platform": Value(0.284, True, _PWC.format("28.4")),
                          "Goal": Value(0.006, True, _PWC.format("0.6%"))}),
    Published("P-DQN", {"Platform": Value(0.964, False, _RECALLED), "Goal": Value(0.701, False, _RECALLED)}),
    Published("MP-DQN", {"Platform": Value(0.987, True, _LEADERBOARD),
                         "Goal": Value(0.789, True, _LEADERBOARD)}),
)  # fmt: skip

FOOTNOTE = (
    f"Published rows: {SOURCE}; means over that paper's runs (final evaluation return on Platform, P(goal) "
    "on Goal), not IQMs: the per-task tables (docs/results/) give the measured means. MP-DQN's values are "
    "verified against the paper's public leaderboard entry; PA-DDPG's agree with a public leaderboard "
    f"(Papers with Code: 28.4 and 0.6%); {DAGGER} P-DQN's are as recalled from the paper, not verified."
)


def published_for(envs: list[str]) -> list[Published]:
    """The published rows restricted to `envs`; none when no env of the table has a published value."""
    rows = [Published(p.agent, {e: v for e, v in p.values.items() if e in envs}) for p in PUBLISHED]
    return [p for p in rows if p.values]
