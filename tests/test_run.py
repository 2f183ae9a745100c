"""End-to-end runs of `python -m bounded_ddpg.run` (real subprocesses, tiny budgets) and the run directory."""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import pytest
import yaml

from bounded_ddpg.logger import METRIC_KEYS
from conftest import TINY, Cli, run_dirs

RUN_ID = re.compile(r"\d{8}-\d{6}-[0-9a-f]{6}")


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_default_command_writes_the_documented_run_directory(cli: Cli, tmp_path: Path) -> None:
    result = cli("transform=invert", "env=Platform", *TINY)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]  # nothing else in the working directory
    (run,) = run_dirs(tmp_path / "runs")
    assert run.relative_to(tmp_path / "runs").parts[:3] == ("Platform", "invert", "seed0")
    assert RUN_ID.fullmatch(run.name)
    assert sorted(p.name for p in run.iterdir()) == ["config.yaml", "eval.csv", "metrics.csv", "summary.json"]
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["agent"]["hidden_sizes"] == [16, 16] and config["env"]["id"] == "bounded_ddpg/Platform-v0"
    assert "${" not in (run / "config.yaml").read_text()

    metrics = rows(run / "metrics.csv")
    assert list(metrics[0]) == ["step", "episode", "wall_s", *METRIC_KEYS]
    assert [int(r["step"]) for r in metrics] == [40, 80, 120]
    assert all(math.isfinite(float(r["critic_loss"])) for r in metrics)
    evals = rows(run / "eval.csv")
    assert list(evals[0]) == [
        "step",
        "episode",
        "wall_s",
        "return_mean",
        "return_std",
        "return_iqm",
        "n_episodes",
    ]
    assert [(int(r["step"]), int(r["n_episodes"])) for r in evals] == [(0, 2), (60, 2), (120, 3)]

    s = json.loads((run / "summary.json").read_text())
    assert (s["schema"], s["env"], s["env_id"], s["transform"], s["seed"]) == (
        1, "Platform", "bounded_ddpg/Platform-v0", "invert", 0,
    )  # fmt: skip
    assert (s["status"], s["steps"]) == ("finished", 120) and s["episodes"] == int(evals[-1]["episode"])
    assert s["final_eval"]["return_mean"] == pytest.approx(float(evals[-1]["return_mean"]))
    assert 0.0 <= s["final_eval"]["return_mean"] <= 1.0 and s["final_eval"]["p_success"] is None
    assert s["final_eval"]["n_episodes"] == 3
    assert set(s["diagnostics"]) == set(METRIC_KEYS[3:])
    assert all(0.0 <= s["diagnostics"][k] <= 1.0 for k in ("frac_out_of_bounds", "frac_at_bounds"))
    assert {"python", "torch", "gymnasium", "bounded_ddpg"} <= set(s["versions"])
    assert s["git_commit"] is None or re.fullmatch(r"[0-9a-f]{40}", s["git_commit"])
    assert s["config"] == config and s["wall_clock_s"] > 0
    hydra_logs = list((tmp_path / "runs" / ".hydra").glob("*/run.log"))
    assert len(hydra_logs) == 1 and "overrides: transform=invert env=Platform" in hydra_logs[0].read_text()


def test_members_get_their_own_directories_and_goal_reports_p_success(cli: Cli, tmp_path: Path) -> None:
    result = cli("env=Goal", "seeds=[3,4]", "run_id=batch1", "agent.store_action=clipped", *TINY)
    assert result.returncode == 0, result.stderr
    runs = run_dirs(tmp_path / "runs")
    assert [r.relative_to(tmp_path / "runs").as_posix() for r in runs] == [
        "Goal/invert/seed3/batch1",
        "Goal/invert/seed4/batch1",
    ]
    for run, seed in zip(runs, (3, 4)):
        config = yaml.safe_load((run / "config.yaml").read_text())
        assert (config["seed"], config["seeds"], config["agent"]["store_action"]) == (seed, None, "clipped")
        s = json.loads((run / "summary.json").read_text())
        assert s["status"] == "finished" and s["seed"] == seed
        assert 0.0 <= s["final_eval"]["p_success"] <= 1.0
        assert "p_success" in rows(run / "eval.csv")[0]
    again = cli("env=Goal", "seeds=[3,4]", "run_id=batch1", *TINY)  # another command cannot reuse the run id
    assert again.returncode == 2 and "differs from its config.yaml in agent.store_action" in again.stderr


@pytest.mark.parametrize(
    ("override", "needles"),
    [
        ("transform=foo", ["transform/foo", "identity", "invert", "squash"]),
        ("seed=abc", ["seed", "abc", "Integer"]),
        ("agent.lr=0.1", ["agent.lr", "lr_actor", "lr_critic"]),
        ("agent.actor_grad=foo", ["agent.actor_grad", "chain, direct"]),
    ],
)
def test_bad_options_fail_cleanly_without_a_run_directory(
    cli: Cli, tmp_path: Path, override: str, needles: list[str]
) -> None:
    result = cli(override, *TINY)
    assert result.returncode != 0
    for needle in needles:
        assert needle in result.stderr, result.stderr
    assert run_dirs(tmp_path / "runs") == []
    assert not [p for p in (tmp_path / "runs").rglob("*") if p.is_file() and p.name != "run.log"]


def test_transform_members_equal_their_single_runs(cli: Cli, tmp_path: Path) -> None:
    """transforms x seeds in one process: member (t, k) lands where the single run transform=t seed=k does,
    with its config. Its numbers equal the single run's only while float rounding (batched matrix products
    round differently) has not yet changed an evaluated return, as in this 120-step run; over a long run
    they differ and are statistically equivalent (tests/test_members.py)."""
    batched = cli("transforms=[identity,invert]", "seeds=[0,1]", "run_id=ablation", "env=Platform", *TINY)
    assert batched.returncode == 0, batched.stderr
    runs = run_dirs(tmp_path / "runs")
    assert [r.relative_to(tmp_path / "runs").parts[1:3] for r in runs] == [
        ("identity", "seed0"), ("identity", "seed1"), ("invert", "seed0"), ("invert", "seed1"),
    ]  # fmt: skip
    config = yaml.safe_load((runs[3] / "config.yaml").read_text())
    assert (config["transform"]["name"], config["seed"], config["transforms"], config["seeds"]) == (
        "invert", 1, None, None,
    )  # fmt: skip
    single = cli(
        "transform=invert", "seed=1", "run_id=single", "env=Platform", f"out_dir={tmp_path}/single", *TINY
    )
    assert single.returncode == 0, single.stderr
    (alone,) = run_dirs(tmp_path / "single")
    returns = [
        [(r["step"], r["return_mean"], r["return_std"]) for r in rows(d / "eval.csv")]
        for d in (runs[3], alone)
    ]
    assert returns[0] == returns[1]
    summaries = [json.loads((d / "summary.json").read_text()) for d in (runs[3], alone)]
    assert summaries[0]["final_eval"] == summaries[1]["final_eval"] and summaries[0]["transform"] == "invert"
    bad = cli("transforms=[identity,tanh]", *TINY)
    assert bad.returncode == 2, bad.stderr
    assert (
        "transforms[1]: unknown transform 'tanh'; options of the transform group: clip, dqda_clip, "
        "dqda_norm_clip, identity" in bad.stderr
    )


def test_the_progress_bar_names_the_final_evaluation_and_the_return_is_logged_rounded(
    cli: Cli, tmp_path: Path
) -> None:
    result = cli("env=Platform", *TINY, "progress=true")
    assert result.returncode == 0, result.stderr
    assert "final evaluation (3 episodes)" in result.stderr  # not a silent 100% bar
    (line,) = [x for x in result.stdout.splitlines() if "final eval return" in x]
    s = json.loads((run_dirs(tmp_path / "runs")[0] / "summary.json").read_text())
    assert f"finished, final eval return {s['final_eval']['return_mean']:.3f} (runs/" in line
