"""Tests for `python -m bounded_ddpg.report` on synthetic run directories in the documented format.

Set UPDATE_GOLDEN=1 to rewrite tests/golden/ (then inspect the files by eye before committing).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import matplotlib.image
import numpy as np
import pytest
import yaml

from bounded_ddpg import report
from bounded_ddpg.report import (
    RunRecord,
    curve_panels,
    find_run_dirs,
    main,
    read_run_dir,
    run_record_from_wandb,
)
from bounded_ddpg.report.plots import plot_curves
from bounded_ddpg.report.stats import cell_stats, improvement, probability_of_improvement

GOLDEN = Path(__file__).parent / "golden"
SEEDS = range(5)
# Final returns per (env, transform), one per seed 0..4; hand-computed statistics below.
RETURNS = {
    ("Platform", "identity"): [0.25, 0.5, 0.5, 0.75, 1.0],
    ("Platform", "clip"): [0.0, 0.125, 0.25, 0.375, 0.5],
    ("Platform", "invert"): [0.5, 0.75, 1.0, 1.0, 1.0],
    ("Goal", "identity"): [-10.0, -5.0, 0.0, 5.0, 50.0],
    ("Goal", "clip"): [-20.0, -10.0, -5.0, 0.0, 5.0],
    ("Goal", "invert"): [0.0, 10.0, 20.0, 30.0, 40.0],
}


def write_run(
    root: Path,
    env: str,
    transform: str,
    seed: int,
    ret: float | None,
    status: str = "finished",
    evals: list[tuple[int, float]] | None = None,
    lr: float = 1e-3,
    variant: dict[str, Any] | None = None,
) -> Path:
    """One run directory exactly as docs/run-directory.md describes it; ``variant``: config keys to set,
    dotted (``{"budget.steps": 300}``)."""
    tag = zlib.crc32(f"{transform}{lr}{variant}".encode()) % 0xFFFFFF
    run_id = f"20260101-000000-{tag:06x}"
    d = root / env / transform / f"seed{seed}" / run_id
    d.mkdir(parents=True)
    config: dict[str, Any] = {"env": {"name": env}, "transform": {"name": transform}, "seed": seed}
    config["agent"] = {"lr_actor": lr, "tau": 0.001}
    for key, value in (variant or {}).items():
        *parents, leaf = key.split(".")
        node = config
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    (d / "config.yaml").write_text(yaml.safe_dump(config))
    goal = env == "Goal"
    evals = evals or [(0, 0.0), (500, (ret or 0.0) / 2), (1000, ret or 0.0)]
    with (d / "eval.csv").open("w", newline="") as f:
        w = csv.writer(f)
        head = ["step", "episode", "wall_s", "return_mean", "return_std", "return_iqm", "n_episodes"]
        w.writerow(head + (["p_goal"] if goal else []))
        for i, (step, r) in enumerate(evals):
            w.writerow([step, 10 * i, 1.5 * i, r, 0.1, r, 100] + ([0.5] if goal else []))  # fmt: skip
    (d / "metrics.csv").write_text("step,episode,wall_s,critic_loss\n0,0,0.0,1.0\n")
    summary = {
        "schema": 1, "env": env, "env_id": f"bounded_ddpg/{env}-v0", "transform": transform, "seed": seed,
        "status": status, "steps": 1000, "episodes": 20,
        "final_eval": None if ret is None else {"return_mean": ret, "return_std": 0.1, "return_iqm": ret,
                                                "n_episodes": 100, "p_goal": seed / 4 if goal else None},
        "diagnostics": {"frac_out_of_bounds": 0.01 * seed, "frac_at_bounds": 0.1, "mean_excess": 0.0,
                        "dq_da_norm": 0.5, "g_u_norm": 0.4},
        "wall_clock_s": 10.0, "versions": {"bounded_ddpg": "0.1.0"}, "git_commit": None, "config": config,
    }  # fmt: skip
    (d / "summary.json").write_text(json.dumps(summary))
    return d


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    for (env, transform), rets in RETURNS.items():
        for seed, r in zip(SEEDS, rets, strict=True):
            evals = [(0, 0.0), (400 + 100 * seed, r / 2), (1000, r)]  # different evaluation points per seed
            write_run(root, env, transform, seed, r, evals=evals)
    return root


@pytest.fixture(scope="module")
def out(runs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    o = tmp_path_factory.mktemp("out")
    assert main([str(runs), "--out", str(o), "--reps", "500", "--seed", "7"]) == 0
    return o


def table(out: Path) -> dict[tuple[str, str], dict[str, str]]:
    with (out / "table.csv").open() as f:
        return {(r["env"], r["transform"]): r for r in csv.DictReader(f)}


def test_table_statistics_equal_hand_computed(out: Path) -> None:
    t = table(out)
    assert list(t) == [(e, tr) for e in ("Goal", "Platform") for tr in ("identity", "clip", "invert")]
    # (mean, IQM = mean of the middle three of five, median)
    expected = {
        ("Platform", "identity"): (0.6, 0.5833333333333334, 0.5),
        ("Platform", "clip"): (0.25, 0.25, 0.25),
        ("Platform", "invert"): (0.85, 0.9166666666666666, 1.0),
        ("Goal", "identity"): (8.0, 0.0, 0.0),
        ("Goal", "clip"): (-6.0, -5.0, -5.0),
        ("Goal", "invert"): (20.0, 20.0, 20.0),
    }
    for key, (m, q, med) in expected.items():
        row = t[key]
        assert float(row["mean"]) == pytest.approx(m, abs=1e-12)
        assert float(row["iqm"]) == pytest.approx(q, abs=1e-12)
        assert float(row["median"]) == med
        assert row["n"] == "5" and row["diverged"] == "0"
        for stat in ("mean", "iqm"):
            assert float(row[f"{stat}_lo"]) <= float(row[stat]) <= float(row[f"{stat}_hi"])
    assert float(t[("Goal", "invert")]["p_goal"]) == 0.5  # mean of seed/4 over seeds 0..4
    assert float(t[("Platform", "clip")]["out_of_bounds_pct"]) == pytest.approx(2.0)  # mean of 0.01*seed
    assert float(t[("Platform", "clip")]["at_bounds_pct"]) == pytest.approx(10.0)
    assert t[("Platform", "identity")]["poi"] == ""  # the baseline itself
    # invert vs identity on Platform, by hand: x=0.5 wins 1 + 2 half ties = 2; x=0.75 wins 3 + a tie = 3.5;
    # each x=1.0 wins 4 + one tie = 4.5 (three of them): (2 + 3.5 + 13.5) / 25 = 0.76
    x, y = RETURNS[("Platform", "invert")], RETURNS[("Platform", "identity")]
    hand = sum((a > b) + 0.5 * (a == b) for a in x for b in y) / 25
    assert float(t[("Platform", "invert")]["poi"]) == hand == 0.76


def test_probability_of_improvement_small_case() -> None:
    # x=1 beats 0; x=2 ties 2, 2 and beats 0; x=3 beats all: (1 + 2 + 3) / 9
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 0.0])
    assert float(probability_of_improvement(x, y)) == pytest.approx(2 / 3, abs=1e-15)
    p, ci = improvement(x, y, reps=300, seed=1)
    assert ci is not None and ci[0] <= p <= ci[1]
    assert improvement(x, y, reps=300, seed=1) == (p, ci)  # seeded


def test_intervals_are_seeded_and_single_run_has_none() -> None:
    x = np.array([0.0, 1.0, 3.0, 4.0, 10.0])
    a, b, c = cell_stats(x, 400, 3), cell_stats(x, 400, 3), cell_stats(x, 400, 4)
    assert a == b and a.mean_ci != c.mean_ci
    assert a.mean_ci is not None and a.mean_ci[0] <= a.mean <= a.mean_ci[1]
    one = cell_stats(np.array([2.0]), 400, 3)
    assert (one.n, one.mean, one.iqm, one.median, one.mean_ci, one.iqm_ci) == (1, 2.0, 2.0, 2.0, None, None)


@pytest.mark.parametrize("name", ["table.md", "table.tex"])
def test_golden_tables(out: Path, name: str) -> None:
    text = (out / name).read_text()
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        (GOLDEN / name).write_text(text)
    assert text == (GOLDEN / name).read_text()


def test_curves_written(out: Path) -> None:
    for name in ("curves.png", "curves.pdf"):
        assert (out / name).stat().st_size > 1000
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "curves.pdf").read_bytes()[:5] == b"%PDF-"
    img = matplotlib.image.imread(out / "curves.png")
    assert img.shape[0] >= 300 and img.shape[1] >= 600 and img.std() > 0.01  # two panels, not blank


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    """Platform: identity seeds 0-2 and clip seeds 0-1 (seed 2 missing); one diverged, one garbled run."""
    root = tmp_path / "runs"
    for s in range(3):
        write_run(root, "Platform", "identity", s, 0.25 * s)
    write_run(root, "Platform", "clip", 0, 0.5)
    write_run(root, "Platform", "clip", 1, None, status="diverged")
    (write_run(root, "Platform", "invert", 0, 0.5) / "summary.json").write_text('{"schema": 1, "env": ')
    return root


def test_footer_lists_diverged_malformed_and_missing(messy: Path, tmp_path: Path, capsys: Any) -> None:
    assert main([str(messy), "--out", str(tmp_path / "o"), "--reps", "100"]) == 0
    printed = capsys.readouterr().out
    md = (tmp_path / "o" / "table.md").read_text()
    for text in (printed, md):
        assert "diverged (counted in 'diverged', excluded from the statistics):" in text
        assert "Platform/clip/seed1" in text
        assert "malformed, excluded:" in text and "Platform/invert/seed0" in text
        assert "summary.json unreadable" in text
        assert "missing seeds: Platform clip: 2 (2 of 3 seeds in Platform)" in text
    t = table(tmp_path / "o")
    assert (t[("Platform", "clip")]["n"], t[("Platform", "clip")]["diverged"]) == ("1", "1")
    assert t[("Platform", "clip")]["mean_lo"] == ""  # one finished run: no interval
    assert ("Platform", "invert") not in t


def test_strict_fails_and_writes_nothing(messy: Path, tmp_path: Path, capsys: Any) -> None:
    o = tmp_path / "o"
    assert main([str(messy), "--out", str(o), "--strict"]) == 1
    err = capsys.readouterr().err
    assert "diverged" in err and "malformed" in err and "missing seeds" in err
    assert not o.exists()


def test_strict_passes_on_complete_runs(runs: Path, tmp_path: Path) -> None:
    assert main([str(runs), "--out", str(tmp_path / "o"), "--strict", "--reps", "50"]) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/does/not/exist"], "path does not exist: /does/not/exist"),
        (["EMPTY"], "no run directories"),
        (["RUNS", "--by", "agent.lr_critic"], "valid keys: agent.lr_actor, agent.tau, env.name, seed"),
        (["RUNS", "--baseline", "tanh"], "transforms in these runs: identity, clip, invert"),
    ],
)
def test_bad_input_exits_2(runs: Path, tmp_path: Path, capsys: Any, args: list[str], message: str) -> None:
    (tmp_path / "empty").mkdir()
    args = [{"RUNS": str(runs), "EMPTY": str(tmp_path / "empty")}.get(a, a) for a in args]
    with pytest.raises(SystemExit) as e:
        main([*args, "--out", str(tmp_path / "o")])
    assert e.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_group_by_config_key(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    for s in range(2):
        for lr in (1e-3, 1e-4):
            write_run(root, "Platform", "invert", s, lr * 1000 + s, lr=lr)
    assert main([str(root), "--by", "agent.lr_actor", "--out", str(tmp_path / "o"), "--reps", "50"]) == 0
    with (tmp_path / "o" / "table.csv").open() as f:
        rows = [(r["agent.lr_actor"], r["n"], float(r["mean"])) for r in csv.DictReader(f)]
    assert rows == [("0.0001", "2", pytest.approx(0.6)), ("0.001", "2", pytest.approx(1.5))]


def test_read_run_dir_garbled_eval_csv(tmp_path: Path) -> None:
    d = write_run(tmp_path, "Platform", "zero", 0, 0.5)
    (d / "eval.csv").write_text("step,episode,return_mean\n0,0,abc\n")
    p = read_run_dir(d)
    assert isinstance(p, report.Problem) and p.reason.startswith("eval.csv")


def test_run_record_from_wandb() -> None:
    """Shaped like wandb.Api(): run.config (unwrapped), run.summary_metrics, run.state, scan_history."""
    cfg = {"env": {"name": "Goal", "id": "bounded_ddpg/Goal-v0"}, "transform": {"name": "invert"}, "seed": 3,
           "agent": {"lr_actor": 0.0001}}  # fmt: skip
    config = {"cfg": cfg, "transform": "invert", "seed": 3, "_wandb": {"cli_version": "0.31.0"}}
    summary = {
        "_step": 2000, "_runtime": 81.2, "_timestamp": 1.79e9, "eval/return_mean": 0.4,
        "final_eval": {"return_mean": 0.45, "return_std": 0.1, "p_goal": 0.3},
        "diagnostics": {"frac_at_bounds": 0.2, "frac_out_of_bounds": 0.05}, "status": "finished",
    }  # fmt: skip
    history = [
        {"_step": 0, "_runtime": 1.0, "eval/return_mean": 0.1, "eval/episode": 0},
        {"_step": 500, "_runtime": 20.0, "train/critic_loss": 0.3},
        {"_step": 1000, "_runtime": 40.0, "eval/return_mean": 0.3, "eval/episode": 50},
        {"_step": 2000, "_runtime": 80.0, "eval/return_mean": 0.4, "eval/episode": 100},
    ]
    r = run_record_from_wandb(config, summary, "finished", history)
    assert r == RunRecord(
        source="wandb", env="Goal", transform="invert", seed=3, status="finished", config=cfg,
        final_return=0.45, p_success=0.3, frac_at_bounds=0.2, frac_out_of_bounds=0.05,
        steps=(0.0, 1000.0, 2000.0), episodes=(0.0, 50.0, 100.0), returns=(0.1, 0.3, 0.4),
        success_key="goal", success_field="p_goal",  # logged before env.success_key: P(goal)
    )  # fmt: skip
    # Flat summary keys, no logged status: W&B's state is kept verbatim (a crashed run is not averaged).
    flat = {"final_eval/return_mean": 0.2, "diagnostics/frac_at_bounds": 0.1}
    c = run_record_from_wandb(config, flat, "crashed", history[:1])
    assert (c.status, c.final_return, c.frac_at_bounds, c.frac_out_of_bounds) == ("crashed", 0.2, 0.1, None)
    with pytest.raises(ValueError, match=r"final_eval\.return_mean"):
        run_record_from_wandb(config, {}, "finished", history)
    # A resumed run logs the rows after its last checkpoint again: one point per step, the last logged
    resumed = [*history, {"_step": 1000, "eval/return_mean": 0.35, "eval/episode": 50}]
    r = run_record_from_wandb(config, summary, "finished", resumed)
    assert (r.steps, r.returns) == ((0.0, 1000.0, 2000.0), (0.1, 0.35, 0.4))


def test_unfinished_curves_are_drawn_only_when_asked_and_never_tabled(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    write_run(root, "Platform", "invert", 0, 0.9)
    write_run(root, "Platform", "squash", 0, None, status="interrupted", evals=[(0, 0.1), (500, 0.3)])
    records = [r for d in find_run_dirs(root) if isinstance(r := read_run_dir(d), RunRecord)]
    assert list(curve_panels(records, "step", (), unfinished=False)["Platform"]) == ["invert"]
    panels = curve_panels(records, "step", (), unfinished=True)["Platform"]
    assert list(panels) == ["squash (unfinished)", "invert"]
    assert panels["squash (unfinished)"][0][1].tolist() == [0.1, 0.3]
    assert main([str(root), "--out", str(tmp_path / "o"), "--reps", "50", "--unfinished-curves"]) == 0
    t = table(tmp_path / "o")
    assert (t[("Platform", "squash")]["n"], t[("Platform", "invert")]["n"]) == ("0", "1")  # never averaged


def test_runs_of_different_experiments_are_never_pooled(tmp_path: Path, capsys: Any) -> None:
    """Two configs in one directory: published-style runs, plus a short-budget rerun and TD3 runs beside
    them. Each experiment keeps its own rows, named by the keys that differ, and --strict refuses."""
    root = tmp_path / "runs"
    for s in range(4):
        write_run(root, "Platform", "invert", s, 0.8 + 0.05 * s, variant={"budget.steps": None})
        write_run(root, "Platform", "zero", s, 0.5 + 0.05 * s, variant={"budget.steps": None})
        write_run(root, "Platform", "invert", s, 0.1 * s, variant={"agent.name": "td3", "budget.steps": None})
    write_run(root, "Platform", "invert", 0, 0.3, variant={"budget.steps": 300})
    assert main([str(root), "--out", str(tmp_path / "o"), "--reps", "50", "--baseline", "zero"]) == 0
    printed = capsys.readouterr().out
    with (tmp_path / "o" / "table.csv").open() as f:
        rows = [
            (r["transform"], r["agent.name"], r["budget.steps"], r["n"], r["mean"], r["poi"])
            for r in csv.DictReader(f)
        ]
    assert [r[:4] for r in rows] == [
        ("zero", "ddpg", "null", "4"),
        ("invert", "ddpg", "300", "1"),
        ("invert", "ddpg", "null", "4"),
        ("invert", "td3", "null", "4"),
    ]
    assert float(rows[2][4]) == pytest.approx(
        0.875
    )  # the four published-style runs only, not 0.76 with the rerun
    assert rows[1][5] == rows[3][5] == ""  # no zero baseline ran at budget.steps=300, nor as td3: no P(>)
    assert float(rows[2][5]) == 1.0
    note = "DIFFERENT EXPERIMENTS: runs of Platform differ in agent.name, budget.steps; they are not pooled"
    assert note in printed and note in (tmp_path / "o" / "table.md").read_text()
    assert "| agent.name | budget.steps |" in (tmp_path / "o" / "table.md").read_text().replace("  ", " ")
    assert main([str(root), "--out", str(tmp_path / "strict"), "--strict"]) == 1
    assert note in capsys.readouterr().err and not (tmp_path / "strict").exists()


def test_different_agents_differ_in_their_name_alone(tmp_path: Path) -> None:
    """Ours beside another code's runs (report/reference.py): settings only one agent has (or only ours
    record) do not split the table; agent.name does, and keys that differ within one agent still do."""
    root = tmp_path / "runs"
    for seed in (0, 1):
        write_run(root, "Platform", "invert", seed, 0.5 + seed / 10, variant={"agent.name": "mpdqn"})
        reference = {"agent.name": "mpdqn_reference", "agent.code": "cycraig/MP-DQN"}
        write_run(root, "Platform", "invert", seed, 0.9, variant=reference)
    write_run(root, "Platform", "invert", 2, 0.2, variant={"agent.name": "mpdqn", "agent.tau": 0.5})
    assert main([str(root), "--out", str(tmp_path / "o"), "--reps", "50"]) == 0
    with (tmp_path / "o" / "table.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert {"agent.name", "agent.tau"} <= set(rows[0]) and "agent.code" not in rows[0]
    assert [(r["agent.name"], r["agent.tau"], r["n"]) for r in rows] == [
        ("mpdqn", "0.001", "2"), ("mpdqn", "0.5", "1"), ("mpdqn_reference", "0.001", "2")
    ]  # fmt: skip


def test_keys_missing_from_old_runs_equal_the_schema_default(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    write_run(root, "Platform", "invert", 0, 0.2)  # written before agent.name existed
    write_run(root, "Platform", "invert", 1, 0.4, variant={"agent.name": "ddpg"})  # the schema's default
    write_run(root, "Platform", "invert", 2, 0.6, variant={"agent.unknown_new_key": 1})  # no default: differs
    assert main([str(root), "--out", str(tmp_path / "o"), "--reps", "50"]) == 0
    with (tmp_path / "o" / "table.csv").open() as f:
        assert [(r["agent.unknown_new_key"], r["n"]) for r in csv.DictReader(f)] == [
            ("1", "1"),
            ("<unset>", "2"),
        ]


def test_keys_that_differ_per_run_do_not_split_cells(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    per_run = [
        {"run_id": "a", "device": "cpu", "out_dir": "runs", "wandb.mode": "disabled", "torch_threads": 1},
        {"run_id": "b", "device": "cuda", "out_dir": "/scratch", "wandb.mode": "online", "torch_threads": 4,
         "seeds": [1, 2], "transforms": ["invert"], "progress": False, "checkpoint_every_steps": 5000,
         "log_every_steps": 100, "wandb.tags": ["x"]},
    ]  # fmt: skip
    for s, variant in enumerate(per_run):
        write_run(root, "Platform", "invert", s, 0.5, variant=variant)
    assert main([str(root), "--out", str(tmp_path / "o"), "--reps", "50", "--strict"]) == 0
    assert table(tmp_path / "o")[("Platform", "invert")]["n"] == "2"


@pytest.mark.parametrize("steps", [[0, 100, 200, 100, 200], [0, 100, 100, 200]], ids=["zigzag", "duplicate"])
def test_an_eval_csv_with_steps_out_of_order_is_refused(tmp_path: Path, steps: list[int]) -> None:
    """What two processes appending to one run directory leave behind."""
    d = write_run(tmp_path, "Platform", "invert", 0, 0.5, evals=[(s, 0.1) for s in steps])
    p = read_run_dir(d)
    assert isinstance(p, report.Problem)
    assert p.reason.startswith("eval.csv: steps not strictly increasing") and "two processes" in p.reason


def test_a_file_given_as_a_path_and_an_unwritable_out_are_clean_errors(
    runs: Path, tmp_path: Path, capsys: Any
) -> None:
    summary = next(runs.rglob("summary.json"))
    with pytest.raises(SystemExit) as e:
        main([str(summary), "--out", str(tmp_path / "o")])
    assert e.value.code == 2 and f"not a directory: {summary}" in capsys.readouterr().err
    (tmp_path / "afile").write_text("")
    with pytest.raises(SystemExit) as e:
        main([str(runs), "--out", str(tmp_path / "afile" / "o"), "--reps", "20"])
    assert e.value.code == 2 and f"cannot write {tmp_path / 'afile' / 'o'}" in capsys.readouterr().err


def _legends_clear_of_the_panels(monkeypatch: pytest.MonkeyPatch, draw: Any) -> int:
    """Run ``draw`` (which saves and closes a figure), keep the figure, and assert that no legend box
    overlaps a visible panel's data area; returns how many legends there were."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    kept: list[Figure] = []
    monkeypatch.setattr(plt, "close", lambda fig=None: kept.append(fig))
    draw()
    (fig,) = kept
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    legends = [leg for ax in fig.axes if (leg := ax.get_legend()) is not None] + list(fig.legends)
    panels = [ax.get_window_extent(renderer) for ax in fig.axes if ax.get_visible() and ax.axison]
    for legend in legends:
        box = legend.get_window_extent(renderer)
        assert not any(box.overlaps(p) for p in panels), (box, panels)
    return len(legends)


def test_legends_cover_no_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Per-task curves and the main figure (each one legend below the panels).
    Curves that fill the whole panel, so that a legend anywhere inside it would cover data."""
    x = np.linspace(0.0, 1000.0, 11)
    levels = np.linspace(0.0, 1.0, 6)
    full = {f"t{i}": [(x, np.full(11, v)), (x, np.full(11, v + 0.1))] for i, v in enumerate(levels)}
    n = _legends_clear_of_the_panels(
        monkeypatch, lambda: plot_curves({"Platform": full, "Goal": full}, "step", tmp_path, reps=50, seed=0)
    )
    assert n == 1
    root = tmp_path / "runs"
    for t in ("identity", "clip", "invert"):
        for s in range(3):
            write_run(root, "Platform", t, s, 0.3 * s, variant={"env.parameterised": True})
            write_run(root, "Pendulum", t, s, -100.0 * s)
    args = ["--main", str(root), "--out", str(tmp_path / "main"), "--reps", "50"]
    assert _legends_clear_of_the_panels(monkeypatch, lambda: report.main(args)) == 1


@pytest.mark.parametrize("mode", [[], ["--main"]])
def test_a_reader_that_stops_early_costs_no_file(runs: Path, tmp_path: Path, mode: list[str]) -> None:
    """`report ... | head`: stdout's reader gone before anything is printed (a real pipe, closed at once):
    every file is still written, no traceback, and the exit status is a shell's for SIGPIPE (141)."""
    out = tmp_path / "r"
    cmd = [sys.executable, "-m", "bounded_ddpg.report", str(runs), "--out", str(out), "--reps", "20", *mode]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 141, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
    names = ["main.md", "main.tex", "main.csv", "figure.png"] if mode else ["table.md", "table.csv"]
    assert all((out / n).stat().st_size > 0 for n in names)
