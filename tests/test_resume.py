"""Runs that survive: SIGKILL then resume, SIGTERM (preemption) then resume, finished runs left alone.

Real `python -m bounded_ddpg.run` processes on Pendulum with tiny networks; a resumed run must write exactly
the rows (and final evaluation) that an uninterrupted run with the same seed writes, wall_s aside.
"""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bounded_ddpg import checkpoint
from conftest import Cli, child_env, run_dirs

RUN = (
    "env=Pendulum",
    "agent.hidden_sizes=[16,16]",
    "agent.batch_size=8",
    "agent.learning_starts=20",
    "budget.steps=800",
    "eval.every_steps=100",
    "eval.episodes=2",
    "eval.final_episodes=2",
    "log_every_steps=25",
    "checkpoint_every_steps=100",
    "progress=false",
)


def table(path: Path) -> list[dict[str, str]]:
    """CSV rows without the wall-clock column (the only one a resume may change)."""
    with open(path, newline="") as f:
        return [{k: v for k, v in row.items() if k != "wall_s"} for row in csv.DictReader(f)]


def outputs(run_dir: Path) -> tuple[list[dict[str, str]], list[dict[str, str]], dict[str, object]]:
    summary = json.loads((run_dir / "summary.json").read_text())
    return table(run_dir / "eval.csv"), table(run_dir / "metrics.csv"), summary


def start(
    cwd: Path, *args: str, env: dict[str, str] | None = None, run: tuple[str, ...] = RUN
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bounded_ddpg.run", *run, *args],
        cwd=cwd, env=env or child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def wait_for(proc: subprocess.Popen[str], path: Path, timeout: float = 90) -> None:
    """Poll until ``path`` exists while ``proc`` is still running."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, f"finished before {path} appeared: {proc.communicate()[1]}"
        assert time.monotonic() < deadline, f"no {path} after {timeout} s"
        time.sleep(0.01)


@pytest.mark.parametrize(
    "seeds",
    [
        ["seed=3"],
        ["seeds=[0,1]"],
        ["seeds=[0,1]", "agent=td3"],
        ["seeds=[0,1]", "agent.policy_average=0.05", "agent.lr_decay=linear"],
    ],
    ids=["one-member", "two-members", "td3-two-members", "protocol-variants"],
)
def test_sigkill_then_resume_equals_an_uninterrupted_run(cli: Cli, tmp_path: Path, seeds: list[str]) -> None:
    reference = cli(*RUN, *seeds, "run_id=ref")
    assert reference.returncode == 0, reference.stderr
    proc = start(tmp_path, *seeds, "run_id=x")
    ckpt = tmp_path / "runs" / "Pendulum" / "invert" / ("seed3" if "seed=3" in seeds else "seed1") / "x"
    wait_for(proc, ckpt / "checkpoint.pt")
    time.sleep(0.3)  # let it write rows past the checkpoint: the resume must cut them away
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    killed = json.loads((ckpt / "summary.json").read_text())
    assert killed["status"] == "running" and killed["steps"] < 800
    resumed = cli(*RUN, *seeds, "run_id=x")
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed at step" in resumed.stdout + resumed.stderr
    ref_dirs = [d for d in run_dirs(tmp_path / "runs") if d.name == "ref"]
    new_dirs = [d for d in run_dirs(tmp_path / "runs") if d.name == "x"]
    assert len(ref_dirs) == len(new_dirs) == (2 if "seeds=[0,1]" in seeds else 1)
    for ref, new in zip(ref_dirs, new_dirs):
        ref_eval, ref_metrics, ref_summary = outputs(ref)
        new_eval, new_metrics, new_summary = outputs(new)
        assert [int(r["step"]) for r in new_eval] == list(range(0, 801, 100))  # none missing, none twice
        assert new_eval == ref_eval and new_metrics == ref_metrics
        assert new_summary["final_eval"] == ref_summary["final_eval"]
        assert (new_summary["status"], new_summary["steps"]) == ("finished", 800)
        assert new_summary["episodes"] == ref_summary["episodes"]
        assert new_summary["diagnostics"] == ref_summary["diagnostics"]
    # the same command once more: a finished run is not re-run
    hashes = {p: p.read_bytes() for d in new_dirs for p in d.iterdir() if p.is_file()}
    again = cli(*RUN, *seeds, "run_id=x")
    assert again.returncode == 0 and "already finished" in again.stderr
    assert {p: p.read_bytes() for p in hashes} == hashes


def test_sigterm_checkpoints_at_once_exits_143_and_resumes_the_same_wandb_run(
    cli: Cli, tmp_path: Path
) -> None:
    wandb = ("wandb.mode=offline", "checkpoint_every_steps=0")  # only the signal writes a checkpoint
    reference = cli(*RUN, *wandb, "run_id=ref")
    assert reference.returncode == 0, reference.stderr
    run_dir = tmp_path / "runs" / "Pendulum" / "invert" / "seed0" / "x"
    proc = start(tmp_path, *wandb, "run_id=x")
    wait_for(proc, run_dir / "metrics.csv")
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr
    assert "SIGTERM" in stderr and "preempted" in stderr
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["preempted"] is True
    state = checkpoint.load(run_dir / "checkpoint.pt")
    assert state["step"] == summary["steps"] and 0 < state["step"] < 800
    assert not (run_dir / "checkpoint.prev.pt").exists()
    first_id = (run_dir / "wandb-run-id").read_text().strip()

    resumed = cli(*RUN, *wandb, "run_id=x")
    assert resumed.returncode == 0, resumed.stderr
    ref_eval, ref_metrics, ref_summary = outputs(run_dir.parent / "ref")
    new_eval, new_metrics, new_summary = outputs(run_dir)
    assert new_eval == ref_eval and new_metrics == ref_metrics
    assert new_summary["final_eval"] == ref_summary["final_eval"] and new_summary["status"] == "finished"
    assert "preempted" not in new_summary
    assert (run_dir / "wandb-run-id").read_text().strip() == first_id
    offline = sorted((run_dir / "wandb").glob("offline-run-*"))
    assert len(offline) == 2  # one W&B process per launch, both writing the same run id
    assert [p.name for d in offline for p in d.glob("run-*.wandb")] == [f"run-{first_id}.wandb"] * 2


TINY_DIVERGE = (
    "env=Pendulum", "agent.hidden_sizes=[4]", "agent.batch_size=8", "agent.learning_starts=20",
    "budget.steps=200", "eval.every_steps=100", "eval.episodes=1", "eval.final_episodes=1",
    "log_every_steps=20", "progress=false",
)  # fmt: skip


def test_a_real_divergence_stops_the_run_cleanly(cli: Cli, tmp_path: Path) -> None:
    result = cli(*TINY_DIVERGE, "agent.lr_actor=1e10", "agent.lr_critic=1e10")
    assert result.returncode == 0, result.stderr
    (run_dir,) = run_dirs(tmp_path / "runs")
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "diverged" and summary["steps"] < 200
    assert summary["final_eval"]["return_mean"] is None


def test_one_diverging_member_stops_while_the_other_finishes(cli: Cli, tmp_path: Path) -> None:
    result = cli(*TINY_DIVERGE, "seeds=[0,1]", env=child_env(BOUNDED_DDPG_INJECT_NAN="1@50"))
    assert result.returncode == 0, result.stderr
    ok, bad = (json.loads((d / "summary.json").read_text()) for d in run_dirs(tmp_path / "runs"))
    assert (ok["seed"], ok["status"], ok["steps"]) == (0, "finished", 200)
    assert (
        ok["final_eval"]["return_mean"] is not None
        and len(table(run_dirs(tmp_path / "runs")[0] / "eval.csv")) == 3
    )
    assert (bad["seed"], bad["status"]) == (1, "diverged") and 50 <= bad["steps"] <= 51
    bad_eval = table(run_dirs(tmp_path / "runs")[1] / "eval.csv")
    assert [r["step"] for r in bad_eval] == ["0"]  # nothing logged after it diverged
