"""Resume as people launch: no run_id, `-m` jobs, a SLURM requeue, and the command every stop message prints.

The rule (docs/running.md, "Resume and preemption"): without run_id, a command resumes the newest run of the
same config in the same out_dir that was started without run_id, has not ended and is held by no live
process (under SLURM, the job's own run first); otherwise it starts a new run. Real processes, real signals;
every resumed run is compared with an uninterrupted one: eval.csv, metrics.csv, final_eval and the final
checkpoint's parameters, bit for bit.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import torch

from bounded_ddpg import checkpoint, find_run, lock, resume
from conftest import Cli, child_env, run_dirs
from test_resume import RUN as LONG_RUN
from test_resume import outputs
from test_resume import start as start_run

pytestmark = pytest.mark.slow
STEPS = 400
RUN = tuple(f"budget.steps={STEPS}" if a.startswith("budget.steps=") else a for a in LONG_RUN)


def start(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return start_run(cwd, *args, env=env, run=RUN)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """Uninterrupted runs, made once: seeds 0 and 1 as single runs (one `-m` command), and as a batch."""
    root = tmp_path_factory.mktemp("reference")
    for args in (("-m", *RUN, "seed=0,1", "out_dir=single"), (*RUN, "seeds=[0,1]", "out_dir=batch")):
        done = subprocess.run([sys.executable, "-m", "bounded_ddpg.run", *args], cwd=root, env=child_env(),
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr
    return {name: run_dirs(root / name) for name in ("single", "batch")}


def same_tree(a: Any, b: Any) -> bool:
    """Two checkpoint trees hold equal values, tensors bit for bit."""
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same_tree(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return isinstance(b, list | tuple) and len(a) == len(b) and all(map(same_tree, a, b))
    return bool(a == b)


def assert_same_runs(got: list[Path], want: list[Path]) -> None:
    """Finished runs equal to uninterrupted ones: rows, final evaluation, final parameters."""
    assert len(got) == len(want) > 0
    for new, ref in zip(got, want):
        new_eval, new_metrics, new_summary = outputs(new)
        ref_eval, ref_metrics, ref_summary = outputs(ref)
        assert [int(r["step"]) for r in new_eval] == list(range(0, STEPS + 1, 100))
        assert new_eval == ref_eval and new_metrics == ref_metrics
        assert (new_summary["status"], new_summary["steps"]) == ("finished", STEPS)
        assert new_summary["final_eval"] == ref_summary["final_eval"]
        new_state, ref_state = (checkpoint.load(d / "checkpoint.pt") for d in (new, ref))
        assert new_state["step"] == ref_state["step"] == STEPS
        assert same_tree(new_state["agent"], ref_state["agent"])  # networks, targets, Adam moments


def printed_command(stderr: str) -> list[str]:
    """The command a stop message prints after 'To resume:', ready for subprocess."""
    match = re.search(r"To resume:\n  (.+)", stderr)
    assert match, stderr
    argv = shlex.split(match.group(1))
    prefix = ["python", "-m", "bounded_ddpg.run"]
    assert argv[:3] == prefix or argv[0] == sys.executable, argv
    return [sys.executable, *argv[1:]]


def stop(proc: subprocess.Popen[str], glob: str, root: Path, signum: int) -> str:
    """Wait until a checkpoint matching ``glob`` exists under ``root``, send ``signum``; the stderr."""
    while not list(root.glob(glob)):
        assert proc.poll() is None, proc.communicate()[1]
        time.sleep(0.01)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=90)
    assert proc.returncode == 128 + signum, stderr
    return stderr


def test_sigterm_the_bare_command_then_the_same_command_resumes(
    cli: Cli, tmp_path: Path, reference: dict[str, list[Path]]
) -> None:
    stderr = stop(start(tmp_path), "runs/Pendulum/invert/seed0/*/checkpoint.pt", tmp_path, signal.SIGTERM)
    (interrupted,) = run_dirs(tmp_path / "runs")
    assert f"run_id={interrupted.name}" in stderr  # the printed command names the generated id
    resumed = cli(*RUN)  # the very same bare command
    assert resumed.returncode == 0, resumed.stderr
    assert (
        f"resuming run_id={interrupted.name}" in resumed.stderr
        and "resumed at step" in resumed.stdout + resumed.stderr
    )
    assert run_dirs(tmp_path / "runs") == [interrupted]  # resumed in place: no second run, no orphan
    assert_same_runs([interrupted], reference["single"][:1])
    again = cli(*RUN)  # a finished run is never resumed: the same command starts a new run
    assert again.returncode == 0 and "resuming" not in again.stderr
    assert len(run_dirs(tmp_path / "runs")) == 2


def test_ctrl_c_a_batch_then_the_printed_command_resumes_it(
    tmp_path: Path, reference: dict[str, list[Path]]
) -> None:
    """Two members (one run id), SIGINT (exit 130); the printed command carries run_id=<the generated id>,
    which resumes although config.yaml recorded run_id: null."""
    batch = "seeds=[0,1]"
    stderr = stop(
        start(tmp_path, batch), "runs/Pendulum/invert/seed1/*/checkpoint.pt", tmp_path, signal.SIGINT
    )
    argv = printed_command(stderr)
    interrupted = run_dirs(tmp_path / "runs")
    assert "'seeds=[0,1]'" in stderr and argv[-1] == f"run_id={interrupted[0].name}"
    resumed = subprocess.run(argv, cwd=tmp_path, env=child_env(), capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert run_dirs(tmp_path / "runs") == interrupted
    assert_same_runs(interrupted, reference["batch"])


def test_a_multirun_job_resumes_when_the_same_multirun_command_runs_again(
    cli: Cli, tmp_path: Path, reference: dict[str, list[Path]]
) -> None:
    proc = start_run(tmp_path, "seed=0,1", run=("-m", *RUN))
    stderr = stop(proc, "runs/Pendulum/invert/seed0/*/checkpoint.pt", tmp_path, signal.SIGTERM)
    (job0,) = run_dirs(tmp_path / "runs")
    argv = printed_command(stderr)
    assert "seed=0" in argv and "-m" not in argv[3:] and argv[-1] == f"run_id={job0.name}"
    again = cli("-m", *RUN, "seed=0,1")
    assert again.returncode == 0, again.stderr
    assert f"resuming run_id={job0.name}" in again.stderr
    runs = run_dirs(tmp_path / "runs")
    assert len(runs) == 2 and job0 in runs  # job 0 resumed in place, job 1 started
    assert_same_runs(runs, reference["single"])


SLURM = {"SLURM_JOB_ID": "4242", "SLURM_ARRAY_JOB_ID": "4240", "SLURM_ARRAY_TASK_ID": "2"}


def test_a_slurm_requeue_resumes_its_own_run(
    cli: Cli, tmp_path: Path, reference: dict[str, list[Path]]
) -> None:
    """An array task is preempted (SIGTERM) and requeued: the same command, the same SLURM variables. A
    newer unfinished run of the same config from another job is there too: the requeue takes its own."""
    proc = start(tmp_path, env=child_env(**SLURM))
    stop(proc, "runs/Pendulum/invert/seed0/*/checkpoint.pt", tmp_path, signal.SIGTERM)
    (own,) = run_dirs(tmp_path / "runs")
    assert "-slurm4240_2-" in own.name  # the run is named by its array job and task
    other = own.parent / "20991231-000000-slurm999-abcdef"
    shutil.copytree(own, other)
    os.utime(other / "config.yaml", (4e9, 4e9))  # newer than ours
    other_files = {p: p.read_bytes() for p in other.iterdir()}
    configs = [resume.stored_config(own)]
    assert find_run.unfinished_run([own.parent], configs) == other.name  # outside SLURM: the newest

    requeued = cli(*RUN, env=child_env(**SLURM, SLURM_RESTART_COUNT="1"))
    assert requeued.returncode == 0, requeued.stderr
    assert f"resuming run_id={own.name}" in requeued.stderr
    assert_same_runs([own], reference["single"][:1])
    assert {p: p.read_bytes() for p in other.iterdir()} == other_files  # the other job's run untouched


def test_a_run_held_by_a_live_process_or_ended_or_named_is_not_chosen(cli: Cli, tmp_path: Path) -> None:
    tiny = (*RUN, "budget.steps=100", "agent.learning_starts=10", "eval.every_steps=0")
    assert cli(*tiny).returncode == 0
    (finished,) = run_dirs(tmp_path / "runs")
    configs = [resume.stored_config(finished)]
    seed_dirs = [finished.parent]
    assert find_run.unfinished_run(seed_dirs, configs) is None  # finished
    summary = finished / "summary.json"
    summary.write_text(summary.read_text().replace('"status": "finished"', '"status": "interrupted"'))
    assert find_run.unfinished_run(seed_dirs, configs) == finished.name
    with lock.locked([finished]):  # a live holder (this process)
        assert lock.held(finished)
        assert find_run.unfinished_run(seed_dirs, configs) is None
    assert not lock.held(finished)
    other = [{**configs[0], "agent": {**configs[0]["agent"], "lr_actor": 0.5}}]
    assert find_run.unfinished_run(seed_dirs, other) is None  # another config
    named = finished.parent / "mine"
    shutil.copytree(finished, named)
    (named / "config.yaml").write_text(
        (named / "config.yaml").read_text().replace("run_id: null", "run_id: mine")
    )
    os.utime(named / "config.yaml", (4e9, 4e9))
    assert find_run.unfinished_run(seed_dirs, configs) == finished.name  # a named run is resumed by its name
