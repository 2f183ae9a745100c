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

from bounded_ddpg.report.stats import RunRecord, by_value

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


# ---- HyAR's tasks (issue 29): Hard Goal, Catch Point, Hard Move; success rates, not returns ----
HYAR_SOURCE = (
    'Li et al. 2022, "HyAR: Addressing Discrete-Continuous Action Reinforcement Learning via Hybrid Action '
    'Representation", ICLR 2022, arXiv:2109.05490, Table 2'
)
HYAR_NOTE = (
    "Mean ± standard deviation over 5 runs of the success rate of greedy evaluation episodes (HyAR's run "
    "scripts save Test_success_rate; the table's caption says 'average episodic reward', but e.g. Goal's "
    "0.78 cannot be a Goal return). As transcribed from the OpenReview version (the anonymous submission), "
    "not verified against the camera-ready."
)
# HyAR's RL steps per task (its run scripts' --max_timesteps defaults; random warm-up episodes not counted)
HYAR_STEPS = {"Goal": 300_000, "HardGoal": 300_000, "Platform": 200_000, "CatchPoint": 1_000_000,
              **{f"HardMove{n}": 1_000_000 for n in (4, 6, 8, 10)}}  # fmt: skip
HYAR_AGENTS = ("HPPO", "PADDPG", "PDQN", "HHQN", "HyAR-DDPG", "PATD3", "PDQN-TD3", "HHQN-TD3", "HyAR-TD3")
# env -> one (mean, std) per HYAR_AGENTS entry, in that order
HYAR_TABLE: dict[str, tuple[tuple[float, float], ...]] = {
    "Goal": ((0.0, 0.0), (0.05, 0.10), (0.70, 0.07), (0.0, 0.0), (0.53, 0.02), (0.0, 0.0), (0.71, 0.10),
             (0.0, 0.0), (0.78, 0.03)),
    "HardGoal": ((0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (0.30, 0.08), (0.44, 0.05), (0.06, 0.07),
                 (0.01, 0.01), (0.60, 0.07)),
    "Platform": ((0.80, 0.02), (0.36, 0.06), (0.93, 0.05), (0.46, 0.25), (0.87, 0.06), (0.94, 0.10),
                 (0.93, 0.03), (0.62, 0.23), (0.98, 0.01)),
    "CatchPoint": ((0.69, 0.09), (0.82, 0.06), (0.77, 0.07), (0.31, 0.06), (0.89, 0.01), (0.82, 0.10),
                   (0.89, 0.07), (0.27, 0.05), (0.90, 0.03)),
    "HardMove4": ((0.09, 0.02), (0.03, 0.01), (0.69, 0.07), (0.39, 0.14), (0.91, 0.03), (0.66, 0.13),
                  (0.85, 0.10), (0.52, 0.17), (0.93, 0.02)),
    "HardMove6": ((0.05, 0.01), (0.04, 0.01), (0.41, 0.05), (0.32, 0.17), (0.91, 0.04), (0.04, 0.02),
                  (0.74, 0.08), (0.29, 0.13), (0.92, 0.04)),
    "HardMove8": ((0.04, 0.01), (0.06, 0.03), (0.04, 0.01), (0.05, 0.02), (0.85, 0.06), (0.06, 0.02),
                  (0.05, 0.01), (0.05, 0.02), (0.89, 0.03)),
    "HardMove10": ((0.05, 0.01), (0.04, 0.01), (0.06, 0.02), (0.04, 0.01), (0.82, 0.06), (0.07, 0.02),
                   (0.05, 0.02), (0.05, 0.02), (0.75, 0.05)),
}  # fmt: skip


def hyar_success_rate(env: str, agent: str) -> tuple[float, float]:
    """HyAR's published (mean, std) success rate of ``agent`` on ``env``; KeyError naming the choices."""
    if env not in HYAR_TABLE or agent not in HYAR_AGENTS:
        raise KeyError(
            f"no HyAR value for ({env!r}, {agent!r}); envs: {list(HYAR_TABLE)}, agents: {HYAR_AGENTS}"
        )
    return HYAR_TABLE[env][HYAR_AGENTS.index(agent)]


def hyar_notes(records: list[RunRecord]) -> list[str]:
    """For each of HyAR's own tasks among ``records`` (Hard Goal, Catch Point, Hard Move n; not Platform or
    Goal, whose tables report returns beside MP-DQN's paper), one note with HyAR's Table 2 row of that task
    beside the table and the budgets of both, which differ where the runs used a CPU-sized protocol."""
    notes = []
    for env in sorted({r.env for r in records} & set(HYAR_TABLE) - {"Platform", "Goal"}):
        ours = sorted({by_value(r, "budget.steps") for r in records if r.env == env})
        values = ", ".join(
            f"{a} {m:.2f} ± {sd:.2f}" for a, (m, sd) in zip(HYAR_AGENTS, HYAR_TABLE[env], strict=True)
        )
        notes.append(
            f"published beside {env} ({HYAR_SOURCE}), runs of {HYAR_STEPS[env]:,} steps (these runs: "
            f"{', '.join(ours)} steps): {values}. {HYAR_NOTE}"
        )
    return notes
