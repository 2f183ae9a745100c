"""`report --aggregate`: rliable's aggregate metrics, checked by hand, against rliable itself, end to end."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import matplotlib.image
import numpy as np
import pytest

from bounded_ddpg.report import RunRecord, find_run_dirs, main, read_run_dir
from bounded_ddpg.report.aggregate import (
    aggregate_iqm,
    aggregate_mean,
    aggregate_median,
    average_poi,
    estimate,
    optimality_gap,
    poi_estimate,
    profile,
)
from bounded_ddpg.report.scores import SCORE_RANGES
from figure_checks import TWO_COLUMN_IN, capture, check, png_size
from test_report import write_run

ROOT = Path(__file__).resolve().parents[1]


def test_aggregate_metrics_equal_hand_computed() -> None:
    a = [np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.5, 0.6, 0.7, 1.2])]
    b = [np.array([0.2, 0.2, 0.2, 0.2]), np.array([0.6, 0.6, 0.6, 0.6])]
    # pooled, sorted: .1 .2 .3 .4 .5 .6 .7 1.2; 25% trimmed: the middle four
    assert aggregate_iqm(a) == pytest.approx((0.3 + 0.4 + 0.5 + 0.6) / 4)
    assert aggregate_mean(a) == pytest.approx((0.25 + 0.75) / 2)  # the mean of the task means
    assert aggregate_median(a) == pytest.approx(0.5)
    assert optimality_gap(a) == pytest.approx(1 - (0.1 + 0.2 + 0.3 + 0.4 + 0.5 + 0.6 + 0.7 + 1.0) / 8)
    # per task: .1 < .2, .2 = .2 (half), .3 > .2, .4 > .2 -> 2.5 / 4; the same on task 2
    assert average_poi(a, b) == pytest.approx(0.625)
    assert average_poi(b, a) == pytest.approx(0.375)
    assert profile(a, np.array([0.0, 0.45, 1.0])).tolist() == [1.0, 0.5, 0.125]
    three = [np.array([0.0, 1.0]), np.array([0.2, 0.2]), np.array([0.9, 0.7])]
    assert aggregate_median(three) == pytest.approx(0.5)  # task means 0.5, 0.2, 0.8


# rliable 1.2.0 (pip install rliable "pandas<3" "arch<8" in a separate venv) on these inputs, laid out as its
# (runs x tasks) matrices: metrics.aggregate_iqm / _median / _mean / _optimality_gap and
# probability_of_improvement, and library.get_interval_estimates(..., reps=50000) (percentile) for the
# intervals; run_score_deviation via library.create_performance_profile for the profile.
X = np.array(
    [[0.10, 0.55, 0.92], [0.35, 0.62, 1.10], [0.20, 0.48, 0.85], [0.05, 0.71, 0.97], [0.42, 0.60, 1.25]]
)
Y = np.array(
    [[0.12, 0.40, 0.90], [0.30, 0.45, 0.70], [0.18, 0.52, 0.88], [0.25, 0.38, 0.95], [0.02, 0.50, 0.81]]
)
RLIABLE: dict[str, dict[str, tuple[float, float, float]]] = {  # point, interval low, high
    "iqm": {"X": (0.6111111111111112, 0.55, 0.66), "Y": (0.4788888888888889, 0.4377777777777778, 0.52)},
    "median": {"X": (0.592, 0.526, 0.66), "Y": (0.45, 0.402, 0.498)},
    "mean": {"X": (0.6113333333333334, 0.55, 0.6746666666666666),
             "Y": (0.49066666666666664, 0.448, 0.5313333333333333)},
    "og": {"X": (0.41200000000000014, 0.3620000000000001, 0.4606666666666668),
           "Y": (0.5093333333333334, 0.4686666666666667, 0.552)},
}  # fmt: skip
RLIABLE_POI = (0.7866666666666666, 0.6133333333333333, 0.9333333333333332)  # P(X > Y)
RLIABLE_PROFILE = [1.0, 0.8, 0.6, 0.26666666666666666, 0.13333333333333333]  # at TAUS
TAUS = np.array([0.0, 0.3, 0.5, 0.9, 1.0])
INTERVAL_TOLERANCE = 0.01  # two independent 50,000-resample Monte Carlo estimates of the same percentiles


def tasks(m: np.ndarray) -> list[np.ndarray]:
    return [m[:, t] for t in range(m.shape[1])]


@pytest.mark.parametrize("method", ["X", "Y"])
@pytest.mark.parametrize(
    "name,statistic",
    [("iqm", aggregate_iqm), ("median", aggregate_median), ("mean", aggregate_mean), ("og", optimality_gap)],
)
def test_aggregate_estimates_equal_rliable(method: str, name: str, statistic: Any) -> None:
    point, lo, hi = estimate(tasks(X if method == "X" else Y), statistic, 50_000, 0)
    ref_point, ref_lo, ref_hi = RLIABLE[name][method]
    assert point == pytest.approx(ref_point, abs=1e-12)
    assert lo == pytest.approx(ref_lo, abs=INTERVAL_TOLERANCE)
    assert hi == pytest.approx(ref_hi, abs=INTERVAL_TOLERANCE)


def test_probability_of_improvement_and_profile_equal_rliable() -> None:
    point, lo, hi = poi_estimate(tasks(X), tasks(Y), 50_000, 0)
    assert point == pytest.approx(RLIABLE_POI[0], abs=1e-12)
    assert (lo, hi) == pytest.approx(RLIABLE_POI[1:], abs=INTERVAL_TOLERANCE)
    assert profile(tasks(X), TAUS).tolist() == pytest.approx(RLIABLE_PROFILE, abs=1e-12)


def test_intervals_are_stratified_and_seeded() -> None:
    """Every resample keeps each task's run count; the same seed gives the same interval."""
    s = [np.array([0.0, 0.0, 0.0]), np.array([1.0, 1.0])]  # constant within each task
    assert estimate(s, aggregate_mean, 500, 3) == (0.5, 0.5, 0.5)  # a pooled bootstrap would vary
    t = [np.array([0.1, 0.5, 0.9]), np.array([0.2, 0.8])]
    assert estimate(t, aggregate_iqm, 500, 3) == estimate(t, aggregate_iqm, 500, 3)
    assert estimate([np.array([0.3])], aggregate_iqm, 500, 3) == (pytest.approx(0.3), None, None)


# End to end: synthetic run directories (test_report.write_run) on two tasks; Platform's returns normalise
# by its measured random score and 1.0, Goal's metric is P(goal) = seed / 4 (write_run), as it is.
PLATFORM = {"identity": [0.3, 0.5, 0.6, 0.9], "invert": [0.6, 0.8, 1.0, 1.0]}
PARAM = {"env.parameterised": True, "budget.steps": None, "budget.episodes": 20}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    for transform, rets in PLATFORM.items():
        for seed, r in enumerate(rets):
            write_run(root, "Platform", transform, seed, r, variant=PARAM)
            write_run(root, "Goal", transform, seed, 0.0, variant=PARAM)
    return root


def test_aggregate_report_end_to_end(runs: Path, tmp_path: Path) -> None:
    assert main(["--aggregate", str(runs), "--out", str(tmp_path), "--reps", "300", "--seed", "1"]) == 0
    platform = SCORE_RANGES["Platform"]
    with (tmp_path / "aggregate.csv").open() as f:
        rows = {(r["method"], r["statistic"]): r for r in csv.DictReader(f)}
    for transform, rets in PLATFORM.items():
        scores = [np.array([platform.normalise(r) for r in rets]), np.array([0.0, 0.25, 0.5, 0.75])]
        assert float(rows[(transform, "mean")]["value"]) == pytest.approx(float(aggregate_mean(scores)))
        assert float(rows[(transform, "IQM")]["value"]) == pytest.approx(float(aggregate_iqm(scores)))
        assert (
            rows[(transform, "IQM")]["runs"] == "8" and rows[(transform, "IQM")]["tasks"] == "Platform Goal"
        )
    poi = float(rows[("invert", "P(> identity)")]["value"])
    assert poi == pytest.approx((13.5 / 16 + 0.5) / 2)  # Platform: 13.5 of 16 pairs; Goal: identical runs
    md = (tmp_path / "aggregate.md").read_text()
    assert "| invert | " in md and "| Goal | P(goal) | 0.0 | 1.0 |" in md and "Notes:" not in md
    assert r"\toprule" in (tmp_path / "aggregate.tex").read_text()
    for stem in ("aggregate_intervals", "aggregate_curves"):
        assert matplotlib.image.imread(tmp_path / f"{stem}.png").shape[1] >= 1600
        assert (tmp_path / f"{stem}.pdf").read_bytes().startswith(b"%PDF")


def test_a_method_missing_a_task_restricts_the_aggregate_loudly(
    runs: Path, tmp_path: Path, capsys: Any
) -> None:
    write_run(tmp_path / "more", "Platform", "clip", 0, 0.4, variant=PARAM)
    write_run(tmp_path / "more", "Platform", "clip", 1, 0.5, variant=PARAM)
    assert (
        main(["--aggregate", str(runs), str(tmp_path / "more"), "--out", str(tmp_path / "o"), "--reps", "50"])
        == 0
    )
    md = (tmp_path / "o" / "aggregate.md").read_text()
    assert (
        "MISSING TASKS: clip has no finished run on Goal; the aggregate is restricted to the tasks every "
        "method has: Platform" in md
    )
    assert "UNEQUAL RUNS" in md and "over 1 tasks" in md
    assert (
        main(["--aggregate", str(runs), str(tmp_path / "more"), "--out", str(tmp_path / "s"), "--strict"])
        == 1
    )
    assert "MISSING TASKS" in capsys.readouterr().err and not (tmp_path / "s").exists()


def test_aggregate_refusals(runs: Path, tmp_path: Path, capsys: Any) -> None:
    write_run(tmp_path / "zeta", "Zeta", "identity", 0, 1.0)
    assert main(["--aggregate", str(tmp_path / "zeta"), "--out", str(tmp_path / "o")]) == 1
    assert "no normalisation range for Zeta; tasks with one: Platform, Goal" in capsys.readouterr().err
    write_run(tmp_path / "lr", "Platform", "identity", 0, 0.5, variant={**PARAM, "agent.lr_actor": 0.1})
    assert main(["--aggregate", str(runs), str(tmp_path / "lr"), "--out", str(tmp_path / "o")]) == 1
    assert "report --aggregate: each (env, agent) must hold one experiment" in capsys.readouterr().err
    write_run(tmp_path / "apart", "Goal", "clip", 0, 0.0, variant=PARAM)
    write_run(tmp_path / "apart", "Platform", "invert", 0, 0.5, variant=PARAM)
    assert main(["--aggregate", str(tmp_path / "apart"), "--out", str(tmp_path / "o")]) == 1
    assert "no task has finished runs of every method" in capsys.readouterr().err
    for args in (["--by", "seed"], ["--main"], ["--baseline", "nope"]):
        with pytest.raises(SystemExit) as e:
            main(["--aggregate", str(runs), "--out", str(tmp_path / "o"), *args])
        assert e.value.code == 2
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
@pytest.mark.parametrize("env", ["Platform", "Pendulum"])
def test_recorded_random_scores_re_measure(env: str) -> None:
    """A fresh measurement (100 episodes, another seed) agrees with the recorded 1,000-episode one within
    four combined standard errors."""
    from bounded_ddpg.random_scores import measure

    rng = SCORE_RANGES[env]
    assert rng.env_id is not None and rng.random_std is not None
    m = measure(rng.env_id, 100, seed=1)
    tolerance = 4 * np.hypot(m.stderr, rng.random_std / np.sqrt(1000))
    assert abs(m.return_mean - rng.low) < tolerance, (m.return_mean, rng.low, tolerance)


# docs/report.md's aggregate: PA-DDPG / DDPG's six transforms on the main table's four tasks (results/)
AGGREGATE_FOLDERS = ("platform", "platform_penalty", "goal", "goal_penalty", "pendulum", "pendulum_penalty",
                     "lunarlander_small", "lunarlander_small_penalty")  # fmt: skip


@pytest.mark.slow
def test_published_aggregate_regenerates_from_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    folders = [f"results/{f}" for f in AGGREGATE_FOLDERS]
    figures = capture(monkeypatch)
    assert main(["--aggregate", *folders, "--out", str(tmp_path)]) == 0
    for fig, stem in zip(figures, ("aggregate_intervals", "aggregate_curves"), strict=True):
        check(fig, tmp_path, stem, TWO_COLUMN_IN)  # print-ready (tests/figure_checks.py)
        assert (
            png_size(ROOT / "docs/results/aggregate" / f"{stem}.png")[::2]
            == png_size(tmp_path / f"{stem}.png")[::2]
        )
    for name in ("aggregate.md", "aggregate.tex", "aggregate.csv"):
        assert (tmp_path / name).read_text() == (ROOT / "docs/results/aggregate" / name).read_text(), name
    doc = (ROOT / "docs" / "report.md").read_text()
    command = " ".join(
        ["python -m bounded_ddpg.report --aggregate", *folders, "--out docs/results/aggregate"]
    )
    assert command in " ".join(doc.replace("\\\n", " ").split())
    table = (tmp_path / "aggregate.md").read_text().split("\n\n")[0]
    assert table in doc
    # the sentence under it: identity's runs on LunarLanderContinuous against a random policy
    found = map(read_run_dir, find_run_dirs(Path("results/lunarlander_small")))
    lunar = [r.final_return or 0.0 for r in found if isinstance(r, RunRecord) and r.transform == "identity"]
    scores = sorted(SCORE_RANGES["LunarLanderContinuous"].normalise(x) for x in lunar)
    below = sum(s < 0 for s in scores)
    assert f"{below} of its {len(scores)} identity runs end below a random policy" in " ".join(doc.split())
    assert f"down to {scores[0]:.2f}" in doc
    for task, rng in SCORE_RANGES.items():  # the ranges table of docs/report.md is scores.py's
        assert re.search(
            rf"^\| {task} \| {re.escape(rng.metric)} \| {rng.low:.10g} \| {rng.high:.10g}\b", doc, re.M
        ), task
