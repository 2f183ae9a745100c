"""Tests for `python -m bounded_ddpg.report --main`: the main table (agent x transform rows, one column per
env, published reference rows) and the figure (one panel per agent and env), on synthetic run directories
in the documented format, and on the repository's results/."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import matplotlib.image
import numpy as np
import pytest
from scipy import stats

from bounded_ddpg.report import RunRecord, find_run_dirs, main, read_run_dir
from bounded_ddpg.report.figure import layout, run_curve
from test_report import write_run

ROOT = Path(__file__).resolve().parents[1]
REPS, SEED = 500, 7
PARAM = {"env.parameterised": True, "budget.steps": None, "budget.episodes": 20}  # Platform, Goal
# (env, agent, transform) -> final returns of seeds 0.. (Goal's metric is P(goal) = seed / 4, see write_run)
RETURNS: dict[tuple[str, str, str], list[float]] = {
    ("Platform", "ddpg", "invert"): [0.5, 0.75, 1.0, 1.0, 1.0],
    ("Platform", "ddpg", "identity"): [0.25, 0.5, 0.5, 0.75, 1.0],
    ("Platform", "ddpg", "penalty"): [0.125, 0.25],
    ("Platform", "ddpg", "clip"): [0.0, 0.125, 0.25, 0.375, 0.5],
    ("Platform", "pdqn", "invert"): [0.9, 0.8, 0.95, 0.6, 1.0],
    ("Goal", "ddpg", "invert"): [-10.0, 0.0, 10.0, 20.0, 30.0],
    ("Pendulum", "ddpg", "identity"): [-300.0, -200.0, -150.0, -100.0, -50.0],
    ("Pendulum", "td3", "identity"): [-180.0, -160.0, -140.0],
    ("Pendulum", "sac", "identity"): [-170.0, -150.0],
    ("Zeta", "ddpg", "identity"): [1.0, 2.0],
    ("Acrobot", "ddpg", "identity"): [3.0, 4.0],
}


def variant(env: str, agent: str) -> dict[str, Any]:
    return {**(PARAM if env in ("Platform", "Goal") else {}), "agent.name": agent}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    for (env, agent, transform), rets in RETURNS.items():
        for seed, r in enumerate(rets):
            write_run(root / agent, env, transform, seed, r, variant=variant(env, agent))
    write_run(
        root / "ddpg", "Pendulum", "identity", 5, None, status="diverged", variant=variant("Pendulum", "ddpg")
    )
    return root


def in_order(runs: Path) -> list[str]:
    """The folders in the order the columns should take: the main table's columns follow the runs as given."""
    envs = [runs / "ddpg" / e for e in ("Platform", "Goal", "Pendulum", "Acrobot", "Zeta")]
    return [str(p) for p in (*envs, runs / "td3", runs / "pdqn", runs / "sac")]


@pytest.fixture(scope="module")
def out(runs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    o = tmp_path_factory.mktemp("out")
    assert main(["--main", *in_order(runs), "--out", str(o), "--reps", str(REPS), "--seed", str(SEED)]) == 0
    return o


def measured(out: Path) -> dict[tuple[str, str, str], dict[str, str]]:
    with (out / "main.csv").open() as f:
        return {
            (r["agent"], r["transform"], r["env"]): r for r in csv.DictReader(f) if r["kind"] == "measured"
        }


def md_rows(out: Path) -> list[list[str]]:
    lines = [ln for ln in (out / "main.md").read_text().splitlines() if ln.startswith("| ")]
    return [[c.strip() for c in ln.strip("|").split("|")] for ln in lines]


def iqm_by_hand(x: list[float]) -> float:
    """Mean of the middle 50%: cut int(n / 4) of the n sorted values from each end (1 of 5, none of 3)."""
    k = len(x) // 4
    return float(np.mean(sorted(x)[k : len(x) - k]))


def scipy_ci(x: list[float]) -> tuple[float, float]:
    res = stats.bootstrap((np.array(x),), lambda a, axis: stats.trim_mean(a, 0.25, axis=axis),
                          n_resamples=REPS, confidence_level=0.95, method="percentile", vectorized=True,
                          rng=np.random.default_rng(SEED))  # fmt: skip
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def test_cells_are_iqms_with_bootstrap_intervals_of_the_final_metric(out: Path) -> None:
    t = measured(out)
    for (env, agent, transform), rets in RETURNS.items():
        x = [s / 4 for s in range(len(rets))] if env == "Goal" else rets  # P(goal) on Goal, not the return
        row = t[({"ddpg": "PA-DDPG / DDPG", "td3": "TD3", "pdqn": "P-DQN"}.get(agent, agent), transform, env)]
        assert row["metric"] == ("P(goal)" if env == "Goal" else "return")
        assert (int(row["n"]), float(row["iqm"])) == (len(x), pytest.approx(iqm_by_hand(x), abs=1e-12))
        lo, hi = scipy_ci(x)
        assert (float(row["iqm_lo"]), float(row["iqm_hi"])) == (pytest.approx(lo), pytest.approx(hi))
    assert float(t[("PA-DDPG / DDPG", "invert", "Goal")]["iqm"]) == 0.5  # P(goal) 0.25, 0.5, 0.75; return: 10
    # The diverged Pendulum run is noted and excluded: N = 5
    assert t[("PA-DDPG / DDPG", "identity", "Pendulum")]["n"] == "5"


def test_rows_and_columns_in_the_stated_order(out: Path) -> None:
    rows = md_rows(out)
    assert rows[0] == ["agent", "transform", "Platform return", "Goal P(goal)", "Pendulum return",
                       "Acrobot return", "Zeta return"]  # fmt: skip
    assert [tuple(r[:2]) for r in rows[1:]] == [
        ("PA-DDPG / DDPG", "identity"), ("PA-DDPG / DDPG", "clip"), ("PA-DDPG / DDPG", "invert"),
        ("PA-DDPG / DDPG", "penalty"), ("TD3", "identity"), ("P-DQN", "invert"), ("sac", "identity"),
        ("PA-DDPG (published, mean)", ""), ("P-DQN (published, mean)", ""), ("MP-DQN (published, mean)", ""),
    ]  # fmt: skip
    inv = rows[3]
    x = RETURNS[("Platform", "ddpg", "invert")]
    lo, hi = scipy_ci(x)
    assert inv[2] == f"{iqm_by_hand(x):.3f} [{lo:.3f}, {hi:.3f}] (5)"
    assert inv[4] == "-"  # PA-DDPG invert did not run on Pendulum
    x = RETURNS[("Pendulum", "ddpg", "identity")]  # decimals per column as tables.decimals: 1 below 1000
    assert rows[1][4] == f"{iqm_by_hand(x):.1f} [{scipy_ci(x)[0]:.1f}, {scipy_ci(x)[1]:.1f}] (5)"


def test_published_rows_are_platform_and_goal_only_and_daggered_when_unverified(out: Path) -> None:
    rows = {r[0]: r[2:] for r in md_rows(out)}
    assert rows["PA-DDPG (published, mean)"] == ["0.284", "0.006", "-", "-", "-"]
    assert rows["P-DQN (published, mean)"] == ["0.964†", "0.701†", "-", "-", "-"]
    assert rows["MP-DQN (published, mean)"] == ["0.987", "0.789", "-", "-", "-"]
    md = (out / "main.md").read_text()
    assert (
        "arXiv:1905.04388, Table 1" in md and "† P-DQN's are as recalled from the paper, not verified" in md
    )
    assert "not IQMs" in md
    tex = (out / "main.tex").read_text()
    assert r"\toprule" in tex and r"0.964$^\dagger$" in tex and r"0.987 & 0.789 & -- & -- & -- \\" in tex
    notes = md.split("**Notes**")[1]
    assert "missing seeds: Platform PA-DDPG / DDPG penalty: 2, 3, 4" in notes
    assert "diverged (excluded from the statistics):" in notes and "Pendulum/identity/seed5" in notes


def test_no_published_rows_without_platform_or_goal(runs: Path, tmp_path: Path) -> None:
    assert main(["--main", str(runs / "td3"), "--out", str(tmp_path / "o"), "--reps", "50"]) == 0
    md = (tmp_path / "o" / "main.md").read_text()
    assert "published" not in md and "Pendulum return" in md
    assert main(["--main", str(runs / "pdqn"), "--out", str(tmp_path / "p"), "--reps", "50"]) == 0
    rows = {r[0]: r[2:] for r in md_rows(tmp_path / "p")}
    assert rows["P-DQN (published, mean)"] == ["0.964†"] and md_rows(tmp_path / "p")[0][2:] == [
        "Platform return"
    ]


def test_two_experiments_in_one_env_and_agent_exit_1_writing_nothing(tmp_path: Path, capsys: Any) -> None:
    root = tmp_path / "runs"
    for s in range(2):
        for lr in (1e-3, 1e-4):
            write_run(root, "Platform", "invert", s, 0.5, lr=lr)
    o = tmp_path / "o"
    assert main(["--main", str(root), "--out", str(o), "--reps", "50"]) == 1
    err = capsys.readouterr().err
    assert "Platform, PA-DDPG / DDPG: runs differ in agent.lr_actor (values seen: 0.0001, 0.001)" in err
    assert "Pass only one experiment's folders" in err and not o.exists()


def test_main_refuses_by(runs: Path, tmp_path: Path, capsys: Any) -> None:
    with pytest.raises(SystemExit) as e:
        main(["--main", str(runs), "--by", "agent.lr_actor", "--out", str(tmp_path / "o")])
    assert e.value.code == 2 and "--main cannot be combined with --by" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def records(root: Path) -> list[RunRecord]:
    return [r for d in find_run_dirs(root) if isinstance(r := read_run_dir(d), RunRecord)]


def test_figure_files_and_one_panel_per_agent_and_env_with_runs(runs: Path, out: Path) -> None:
    assert (out / "figure.pdf").read_bytes()[:5] == b"%PDF-"
    assert matplotlib.image.imread(out / "figure.png").shape[1] >= 1600
    lay = layout([r for d in in_order(runs) for r in records(Path(d))])
    assert lay.envs == ("Platform", "Goal", "Pendulum", "Acrobot", "Zeta")
    assert layout(records(runs)).envs == ("Acrobot", "Goal", "Pendulum", "Platform", "Zeta")  # one folder
    assert lay.agents == ("ddpg", "td3", "pdqn", "sac")
    assert set(lay.panels) == {(a, e) for e, a, _ in RETURNS}
    assert lay.absent[("pdqn", "Pendulum")] == "n/a: needs a parameterised action space"
    assert lay.absent[("pdqn", "Goal")] == "not run"
    assert lay.absent[("td3", "Platform")] == "not run"
    assert lay.transforms == ("identity", "clip", "invert", "penalty")
    platform, goal, pendulum = (lay.panels[("ddpg", e)] for e in ("Platform", "Goal", "Pendulum"))
    assert (platform.x, platform.y) == ("episode", "return")
    assert list(platform.lines) == ["identity", "clip", "invert", "penalty"]
    assert (goal.x, goal.y, pendulum.x, pendulum.y) == ("episode", "P(goal)", "step", "return")
    assert len(pendulum.lines["identity"]) == 5  # finished runs only


def test_a_curve_ending_before_training_ended_gets_the_final_evaluation(tmp_path: Path) -> None:
    d = write_run(
        tmp_path, "Platform", "invert", 0, 0.9, evals=[(0, 0.1), (500, 0.4)]
    )  # trained to step 1000
    r = read_run_dir(d)
    assert isinstance(r, RunRecord)
    x, y = run_curve(r, "step", "return")
    assert (x.tolist(), y.tolist()) == ([0.0, 500.0, 1000.0], [0.1, 0.4, 0.9])
    x, y = run_curve(r, "episode", "return")  # eval rows at episodes 0, 10; the summary: 20 episodes
    assert (x.tolist(), y.tolist()) == ([0.0, 10.0, 20.0], [0.1, 0.4, 0.9])
    whole = read_run_dir(write_run(tmp_path / "b", "Goal", "invert", 1, 0.9))  # last row at the end
    assert isinstance(whole, RunRecord)
    assert run_curve(whole, "step", "P(goal)")[0].tolist() == [0.0, 500.0, 1000.0]


def test_real_results_main_cell_equals_the_per_task_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(ROOT)
    names = ["platform", "goal", "pendulum", "lunarlander_small", "pdqn_platform", "mpdqn_platform"]
    assert main(["--main", *[f"results/{n}" for n in names], "--out", str(tmp_path)]) == 0
    assert "P-DQN" in capsys.readouterr().out
    rows = {(r[0], r[1]): r for r in md_rows(tmp_path)}
    published = (ROOT / "docs/results/pdqn_platform/table.md").read_text().splitlines()
    head = [c.strip() for c in published[0].strip("|").split("|")]
    table = [[c.strip() for c in line.strip("|").split("|")] for line in published if line.startswith("|")]
    (cell,) = [c for c in table[2:] if c[head.index("transform")] == "invert"]
    assert rows[("P-DQN", "invert")][2] == cell[head.index("IQM [95% CI]")] + " (10)"
    assert re.fullmatch(r"0\.\d{3} \[0\.\d{3}, 0\.\d{3}\] \(10\)", rows[("MP-DQN", "invert")][2])
    assert rows[("PA-DDPG / DDPG", "zero")][5] != "-"  # LunarLanderContinuous
    assert (tmp_path / "figure.png").stat().st_size > 50_000
