"""Every figure the report makes is print-ready (figure_checks.check) on synthetic run directories; the
same checks run on the figures made from results/ in test_results.py and test_report_aggregate.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bounded_ddpg.report import main
from bounded_ddpg.report.plots import plot_curves
from bounded_ddpg.report.print_style import coinciding, coinciding_note, dpi_for, line_style
from figure_checks import ONE_COLUMN_IN, TWO_COLUMN_IN, capture, check, data_lines
from test_report import write_run

PARAM = {"env.parameterised": True, "budget.steps": None, "budget.episodes": 20}
TRANSFORMS = ("identity", "clip", "zero", "squash", "invert", "penalty")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Platform (6 transforms, returns apart), Goal (every run: P(goal) 0.5 throughout, so every line
    coincides), Pendulum with DDPG and TD3, Platform with P-DQN; 3 seeds each."""
    root = tmp_path_factory.mktemp("runs")
    for i, t in enumerate(TRANSFORMS):
        for s in range(3):
            write_run(root / "ddpg", "Platform", t, s, 0.1 * i + 0.05 * s, variant=PARAM)
            write_run(root / "ddpg", "Goal", t, s, -5.0, variant=PARAM, evals=[(0, -5.0), (1000, -5.0)])
            write_run(root / "ddpg", "Pendulum", t, s, -150.0 - 10 * i - s)
            write_run(root / "td3", "Pendulum", t, s, -140.0 - 5 * i - s, variant={"agent.name": "td3"})
            write_run(root / "pdqn", "Platform", t, s, 0.2 + 0.1 * i, variant={**PARAM, "agent.name": "pdqn"})
    return root


def _one(kept: list[Any]) -> Any:
    assert len(kept) == 1, kept
    return kept[0]


def test_per_task_curves_one_env_one_column_with_its_metric(
    runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = capture(monkeypatch)
    assert main([str(runs / "ddpg" / "Goal"), "--out", str(tmp_path), "--reps", "50", "--x", "episode"]) == 0
    fig = _one(kept)
    check(fig, tmp_path, "curves", ONE_COLUMN_IN)
    (ax,) = fig.axes
    assert ax.get_ylabel() == "evaluation P(goal)" and ax.get_xlabel() == "training episodes"
    assert ax.get_title() == "Goal (N=3)\nall 6 lines coincide"
    ys = {tuple(np.asarray(ln.get_ydata())) for ln in data_lines(ax)}
    assert ys == {(0.5, 0.5)}  # P(goal), not the return -5


def test_per_task_curves_several_envs_two_columns(
    runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = capture(monkeypatch)
    assert main([str(runs / "ddpg"), "--out", str(tmp_path), "--reps", "50"]) == 0
    fig = _one(kept)
    check(fig, tmp_path, "curves", TWO_COLUMN_IN)
    assert [ax.get_ylabel() for ax in fig.axes] == [
        "evaluation P(goal)",
        "evaluation return",
        "evaluation return",
    ]
    assert [len(data_lines(ax)) for ax in fig.axes] == [6, 6, 6]
    assert "coincide" not in fig.axes[1].get_title()  # Pendulum's lines are apart


def test_main_figure_has_no_empty_panel(runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = capture(monkeypatch)
    assert main(["--main", str(runs), "--out", str(tmp_path), "--reps", "50"]) == 0
    fig = _one(kept)
    check(fig, tmp_path, "figure", TWO_COLUMN_IN)
    titles = [ax.get_title().split("\n")[:2] for ax in fig.axes]
    assert titles == [["Goal", "PA-DDPG, N=3"], ["Pendulum", "DDPG, N=3"], ["Platform", "PA-DDPG, N=3"],
                      ["Pendulum", "TD3, N=3"], ["Platform", "P-DQN, N=3"]]  # fmt: skip
    assert fig.axes[0].get_title().endswith("all 6 lines coincide")


def test_aggregate_figures(runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = capture(monkeypatch)
    folders = [str(runs / "ddpg" / e) for e in ("Platform", "Goal", "Pendulum")]
    assert main(["--aggregate", *folders, "--out", str(tmp_path), "--reps", "50"]) == 0
    intervals, curves = kept
    check(intervals, tmp_path, "aggregate_intervals", TWO_COLUMN_IN)
    check(curves, tmp_path, "aggregate_curves", TWO_COLUMN_IN)


def test_a_long_legend_leaves_the_panels_their_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Twelve long labels take several legend rows; the figure grows, the panels do not shrink."""
    x = np.linspace(0.0, 1000.0, 11)
    heights = []
    for n, name in ((2, "t"), (12, "penalty agent.lr_actor=0.0001 budget.steps=300 #")):
        kept = capture(monkeypatch)
        lines = {f"{name}{i}": [(x, np.full(11, float(i))), (x, np.full(11, i + 0.5))] for i in range(n)}
        plot_curves({"Platform": lines, "Goal": lines}, "step", tmp_path, reps=20, seed=0)
        fig = _one(kept)
        check(fig, tmp_path, "curves", TWO_COLUMN_IN)
        heights.append([ax.get_window_extent().height / fig.dpi for ax in fig.axes])
    assert heights[1] == pytest.approx(heights[0], rel=0.03)


def test_line_styles_are_distinct() -> None:
    styles = [line_style(i) for i in range(56)]
    assert len({(s["color"], str(s["linestyle"])) for s in styles}) == 56
    assert len({s["color"] for s in styles[:7]}) == len({str(s["linestyle"]) for s in styles[:7]}) == 7


def test_coinciding_lines_are_named() -> None:
    x = np.arange(3.0)
    drawn = {"a": (x, x), "b": (x, x + 1), "c": (x, x), "d": (x, x + 1), "e": (x, x * 2)}
    assert coinciding(drawn) == [["a", "c"], ["b", "d"]]
    assert coinciding_note(drawn) == "a = c coincide; b = d coincide"
    assert coinciding_note({"a": (x, x), "b": (x, x)}) == "all 2 lines coincide"
    assert coinciding_note({"a": (x, x), "b": (x[:2], x[:2])}) == ""


@pytest.mark.parametrize("mode", [[], ["--main"], ["--aggregate"]])
def test_no_finished_run_is_a_message_not_a_blank_figure(
    tmp_path: Path, capsys: Any, mode: list[str]
) -> None:
    root = tmp_path / "runs"
    write_run(root, "Platform", "invert", 0, None, status="running", variant=PARAM)
    write_run(root, "Platform", "zero", 0, None, status="interrupted", variant=PARAM)
    write_run(root, "Platform", "clip", 0, None, status="diverged", variant=PARAM)
    assert main([*mode, str(root), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "no run finished (1 diverged, 1 interrupted, 1 running): no table or figure to make" in err
    assert not (tmp_path / "o").exists()


def test_unfinished_curves_alone_are_drawn_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "runs"
    write_run(root, "Platform", "invert", 0, None, status="running", variant=PARAM)
    kept = capture(monkeypatch)
    assert main([str(root), "--out", str(tmp_path / "o"), "--unfinished-curves", "--reps", "20"]) == 0
    fig = _one(kept)
    check(fig, tmp_path / "o", "curves", ONE_COLUMN_IN)
    (line,) = data_lines(fig.axes[0])
    assert line.get_markerfacecolor() == "white"  # hollow: unfinished
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["invert (unfinished)"]


def test_unfinished_runs_without_evaluation_rows_are_a_message_too(tmp_path: Path, capsys: Any) -> None:
    d = write_run(tmp_path / "runs", "Platform", "invert", 0, None, status="running", variant=PARAM)
    (d / "eval.csv").write_text("step,episode,wall_s,return_mean,return_std,return_iqm,n_episodes\n")
    assert main([str(tmp_path / "runs"), "--out", str(tmp_path / "o"), "--unfinished-curves"]) == 1
    assert "no run finished (1 running)" in capsys.readouterr().err and not (tmp_path / "o").exists()


def test_panels_without_a_curve_are_left_out_and_none_draws_nothing(tmp_path: Path) -> None:
    empty = (np.array([]), np.array([]))
    assert plot_curves({"Goal": {"invert": [empty, empty]}}, "step", tmp_path, reps=20, seed=0) == []
    assert list(tmp_path.iterdir()) == []


def test_docs_state_each_print_width_and_png_size() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "report.md").read_text()
    for words, width in (("one column", ONE_COLUMN_IN), ("two columns", TWO_COLUMN_IN)):
        dpi = dpi_for(width)
        assert f"{words}, {width:g} in (PNG {dpi} dpi, {int(width * dpi)} px)" in doc, words


def test_runs_without_a_common_evaluation_range_get_no_empty_panel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """As a released code's runs converted with only their final evaluation, each at its own last step."""
    root = tmp_path / "runs"
    for s in range(2):
        write_run(root, "Platform", "invert", s, 0.5 + 0.1 * s, variant=PARAM)
        d = write_run(root, "Platform", "invert", s, 0.9, variant={**PARAM, "agent.name": "pdqn"})
        steps, episodes = 900 + 100 * s, 9 + s  # one row: the final evaluation, at the run's own end
        head = "step,episode,wall_s,return_mean,return_std,return_iqm,n_episodes\n"
        (d / "eval.csv").write_text(head + f"{steps},{episodes},1.0,0.9,0.1,0.9,100\n")
        summary = json.loads((d / "summary.json").read_text())
        (d / "summary.json").write_text(json.dumps({**summary, "steps": steps, "episodes": episodes}))
    kept = capture(monkeypatch)
    assert main(["--main", str(root), "--out", str(tmp_path / "o"), "--reps", "20"]) == 0
    fig = _one(kept)
    check(fig, tmp_path / "o", "figure", TWO_COLUMN_IN)
    assert [ax.get_title().split("\n")[:2] for ax in fig.axes] == [["Platform", "PA-DDPG, N=2"]]
    assert "P-DQN on Platform (no evaluation range its runs share)" in capsys.readouterr().out


def test_long_panel_titles_wrap_inside_the_panel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "runs"
    long = "a_learner_with_a_very_long_name_indeed"
    for t in TRANSFORMS[:2]:
        for s in range(2):
            for i in range(3):  # with the default agent: four panels, a row of quarter-width panels
                write_run(
                    root / str(i),
                    "LunarLanderContinuous",
                    t,
                    s,
                    1.0 + s,
                    variant={"agent.name": f"{long}{i}"},
                )
            write_run(root, "LunarLanderContinuous", t, s, 2.0 + s)
    kept = capture(monkeypatch)
    assert main(["--main", str(root), "--out", str(tmp_path / "o"), "--reps", "20"]) == 0
    check(_one(kept), tmp_path / "o", "figure", TWO_COLUMN_IN)  # titles on the canvas and apart


def test_runs_evaluated_once_are_a_marker_with_their_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another code's runs (report/reference.py: one final evaluation each, at the same point) are one
    large marker at their mean with the 95% band as error bar, above our lines, and in the legend."""
    root = tmp_path / "runs"
    for s in range(3):
        write_run(root, "Platform", "invert", s, 0.5 + 0.1 * s, variant={**PARAM, "agent.name": "mpdqn"})
    for s, ret in enumerate([0.98, 0.99]):
        reference = {**PARAM, "agent.name": "mpdqn_reference"}
        write_run(root, "Platform", "invert", s, ret, variant=reference, evals=[(1000, ret)])
    kept = capture(monkeypatch)
    assert main([str(root), "--out", str(tmp_path / "o"), "--reps", "200"]) == 0
    fig = _one(kept)
    check(fig, tmp_path / "o", "curves", ONE_COLUMN_IN)
    (ax,) = fig.axes
    (bar,) = ax.containers  # the reference's error bar; our runs are a line with a band
    marker, caps, (span,) = bar.lines
    assert list(marker.get_xdata()) == [1000] and float(marker.get_ydata()[0]) == pytest.approx(0.985)
    ours = [ln for ln in ax.lines if len(ln.get_xdata()) > 1]  # our mean curve
    assert marker.get_markersize() == 6 and marker.get_zorder() > max(ln.get_zorder() for ln in ours)
    assert len(caps) == 2
    (segment,) = span.get_segments()
    assert 0.98 <= segment[0][1] < 0.985 < segment[1][1] <= 0.99  # the bootstrap band over the 2 runs
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("mpdqn_reference" in label for label in labels)
