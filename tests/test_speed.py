"""Speed work that must not change what is computed: results pinned with and without it."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import pytest
import torch
from hydra import compose, initialize_config_module

from bounded_ddpg import checkpoint, resume, run
from bounded_ddpg.agents import DDPG
from conftest import Cli, child_env, run_dirs

RUN = (
    "env=Pendulum",
    "agent.hidden_sizes=[64,64]",
    "agent.batch_size=32",
    "agent.learning_starts=200",
    "budget.steps=1500",
    "eval.every_steps=500",
    "eval.episodes=2",
    "eval.final_episodes=2",
    "log_every_steps=100",
    "progress=false",
)


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return [{k: v for k, v in r.items() if k != "wall_s"} for r in csv.DictReader(f)]


@pytest.mark.parametrize("agent", ["ddpg", "td3"])
def test_flushing_denormals_changes_no_result(cli: Cli, tmp_path: Path, agent: str) -> None:
    for flush in ("true", "false"):
        done = cli(*RUN, f"agent={agent}", f"flush_denormal={flush}", f"run_id=flush-{flush}")
        assert done.returncode == 0, done.stderr[-2000:]
    off, on = run_dirs(tmp_path / "runs")  # sorted by name: flush-false, flush-true
    assert (off.name, on.name) == ("flush-false", "flush-true")
    for name in ("metrics.csv", "eval.csv"):
        assert rows(on / name) == rows(off / name) and len(rows(on / name)) > 3


def test_flush_denormal_really_flushes() -> None:
    """The flag the run sets makes float32 denormals read as zero (what the Adam speed-up relies on)."""
    try:
        torch.set_flush_denormal(False)  # in-process runs of other tests may have left it on
        tiny = torch.tensor([1e-40], dtype=torch.float32)  # below float32's smallest normal, 1.18e-38
        assert float((tiny * 1.0)[0]) > 0.0
        assert torch.set_flush_denormal(True)
        assert float((tiny * 1.0)[0]) == 0.0
    finally:
        torch.set_flush_denormal(False)


FEW_EPISODES = (
    "env=Platform",
    "seeds=[0,1,2]",
    "agent.hidden_sizes=[16,16]",
    "agent.batch_size=8",
    "agent.learning_starts=20",
    "budget.steps=null",
    "budget.episodes=40",
    "eval.every_steps=50",
    "eval.episodes=2",
    "eval.final_episodes=3",
    "log_every_steps=25",
    "progress=false",
)


@pytest.mark.parametrize("agent", ["pa_ddpg", "mpdqn"])
def test_finished_members_leave_the_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, agent: str
) -> None:
    """Members with episode budgets end at different steps; each is stepped and updated only until its
    own end (before: every member stepped until the longest one ended)."""
    steps: list[list[int]] = []
    real_build = run.presets.build

    def counting_env(env_cfg: Any) -> gym.Env[Any, Any]:
        env, count = real_build(env_cfg), [0]
        steps.append(count)
        real_step = env.step

        def step(action: Any) -> Any:
            count[0] += 1
            return real_step(action)

        env.step = step  # type: ignore[method-assign]
        return env

    sizes: list[int] = []
    real_subset = DDPG.subset

    def subset(self: DDPG, keep: Sequence[int]) -> DDPG:
        sizes.append(len(keep))
        return real_subset(self, keep)

    monkeypatch.setattr(run.presets, "build", counting_env)
    monkeypatch.setattr(DDPG, "subset", subset)
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        cfg = compose("config", overrides=[*FEW_EPISODES, f"agent={agent}", f"out_dir={tmp_path}"])
    summaries = run.train_from_config(cfg)
    ends = [s["steps"] for s in summaries]
    assert [s["status"] for s in summaries] == ["finished"] * 3 and [s["episodes"] for s in summaries] == [
        40
    ] * 3
    assert len(set(ends)) == 3, ends  # three different ends: the batch shrank twice
    assert sizes == [2, 1]
    pairs = steps[-6:]  # the members' envs, made last, in (train, eval) pairs (a probe env may come first)
    train_steps = [pairs[2 * m][0] for m in range(3)]
    assert train_steps == ends


def test_resume_after_a_member_left_the_batch_is_exact(cli: Cli, tmp_path: Path) -> None:
    reference = cli(*FEW_EPISODES, "run_id=ref", "checkpoint_every_steps=1000")
    assert reference.returncode == 0, reference.stderr
    ref = {d.parent.name: d for d in run_dirs(tmp_path / "runs") if d.name == "ref"}
    first = min(ref, key=lambda seed: json.loads((ref[seed] / "summary.json").read_text())["steps"])
    proc = subprocess.Popen(
        [sys.executable, "-m", "bounded_ddpg.run", *FEW_EPISODES, "run_id=x", "checkpoint_every_steps=1000"],
        cwd=tmp_path, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    ended = tmp_path / "runs" / "Platform" / "invert" / first / "x" / "summary.json"
    others = [
        tmp_path / "runs" / "Platform" / "invert" / s / "x" / "checkpoint.pt" for s in ref if s != first
    ]
    deadline = time.monotonic() + 120
    # wait for the first member to end and for the others' checkpoint written when it left the batch
    while True:
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[1][-2000:]
        try:
            end = json.loads(ended.read_text())
            if (
                end["status"] == "finished"
                and all(checkpoint.load(p)["step"] >= end["steps"] for p in others if p.exists())
                and all(p.exists() for p in others)
            ):
                break
        except (OSError, ValueError, checkpoint.CheckpointError):
            pass
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    resumed = cli(*FEW_EPISODES, "run_id=x", "checkpoint_every_steps=1000")
    assert resumed.returncode == 0, resumed.stderr
    for seed, ref_dir in ref.items():
        new_dir = ref_dir.parent / "x"
        for name in ("eval.csv", "metrics.csv"):
            assert rows(new_dir / name) == rows(ref_dir / name), (seed, name)
        old, new = (json.loads((d / "summary.json").read_text()) for d in (ref_dir, new_dir))
        assert (new["final_eval"], new["steps"], new["status"]) == (
            old["final_eval"],
            old["steps"],
            "finished",
        )


class Killed(BaseException):
    """SIGKILL's stand-in inside one process: no handler of the training loop catches it, so nothing is
    written after it is raised."""


def test_a_kill_before_the_batch_checkpoint_of_a_member_end_resumes_exactly(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window the test above hits only by chance: a member has ended (its summary.json says finished
    and the others' metrics.csv have the row its end flushed) but the checkpoint the remaining members write
    when it leaves the batch is not written yet. The resume re-runs that member with them (the message
    says so) and every file of every member equals the uninterrupted run's."""
    reference = cli(*FEW_EPISODES, "run_id=ref", "checkpoint_every_steps=1000")
    assert reference.returncode == 0, reference.stderr
    ref = {d.parent.name: d for d in run_dirs(tmp_path / "runs") if d.name == "ref"}
    real_save, saves = resume.save_checkpoints, []

    def save_then_die(dirs: Sequence[Path], member_checkpoint: Any) -> None:
        saves.append(len(dirs))
        if len(saves) == 2:  # the second member has just ended: die before the last one's checkpoint
            raise Killed
        real_save(dirs, member_checkpoint)

    monkeypatch.setattr(resume, "save_checkpoints", save_then_die)
    overrides = [*FEW_EPISODES, "run_id=x", "checkpoint_every_steps=1000", f"out_dir={tmp_path / 'runs'}"]
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        cfg = compose("config", overrides=overrides)
    with pytest.raises(Killed):
        run.train_from_config(cfg, overrides)
    monkeypatch.undo()
    assert saves == [2, 1]
    x = {seed: d.parent / "x" for seed, d in ref.items()}
    status = {seed: json.loads((d / "summary.json").read_text())["status"] for seed, d in x.items()}
    assert sorted(status.values()) == ["finished", "finished", "running"]
    (last,) = (seed for seed, s in status.items() if s == "running")
    late = max(
        (s for s in x if s != last), key=lambda s: json.loads((x[s] / "summary.json").read_text())["steps"]
    )
    assert (
        checkpoint.load(x[late] / "checkpoint.pt")["step"]
        == checkpoint.load(x[last] / "checkpoint.pt")["step"]
    )
    resumed = cli(*FEW_EPISODES, "run_id=x", "checkpoint_every_steps=1000")
    assert resumed.returncode == 0, resumed.stderr
    assert (
        f"{x[late].relative_to(tmp_path)}: finished at step" in resumed.stderr
        and "re-run from it with them" in resumed.stderr
    )
    for seed, ref_dir in ref.items():
        for name in ("eval.csv", "metrics.csv"):
            assert rows(x[seed] / name) == rows(ref_dir / name), (seed, name)
        old, new = (json.loads((d / "summary.json").read_text()) for d in (ref_dir, x[seed]))
        assert (new["final_eval"], new["steps"], new["status"]) == (
            old["final_eval"],
            old["steps"],
            "finished",
        )
