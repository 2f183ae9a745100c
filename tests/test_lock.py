"""One process per run directory: a second process with the same run_id fails at once naming the holder; a
lock whose holder died (SIGKILL, a crash) does not block the resume; the report refuses an eval.csv that two
writers interleaved."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bounded_ddpg.lock import LockError, RunLock, lock_path, locked
from conftest import Cli, run_dirs
from test_resume import RUN, start, wait_for

RUN_DIR = Path("runs/Pendulum/invert/seed0/x")
LONG = ("budget.steps=100000", "checkpoint_every_steps=0")  # alive until the test stops it


def steps(path: Path) -> list[int]:
    with open(path, newline="") as f:
        return [int(r["step"]) for r in csv.DictReader(f)]


def test_a_second_process_with_the_same_run_id_fails_at_once_naming_the_holder(
    cli: Cli, tmp_path: Path
) -> None:
    first = start(tmp_path, "run_id=x", *LONG)
    try:
        wait_for(first, tmp_path / RUN_DIR / "metrics.csv")
        t0 = time.monotonic()
        second = cli(*RUN, "run_id=x", *LONG)
        assert first.poll() is None, "the first run ended before the second one started"
        assert second.returncode == 2, second.stderr
        assert time.monotonic() - t0 < 60  # at once: no waiting for the holder
        message = second.stderr.strip()
        assert message.startswith(f"error: run directory {RUN_DIR} is in use by another process: ")
        assert f"pid {first.pid} on host {socket.gethostname()}, started 20" in message
        assert "run the same command again to resume" in message and "Traceback" not in message
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=60) == 143
    finally:
        if first.poll() is None:
            first.kill()
    # the first run is intact: its rows are its own, once each, in order; the lock went with it
    evals = steps(tmp_path / RUN_DIR / "eval.csv")
    assert evals == sorted(set(evals)) and evals[0] == 0
    metrics = steps(tmp_path / RUN_DIR / "metrics.csv")
    assert metrics[:-1] == list(range(25, 25 * len(metrics), 25))  # the last: flushed at the SIGTERM
    summary = json.loads((tmp_path / RUN_DIR / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["steps"] >= metrics[-1]
    assert not lock_path(tmp_path / RUN_DIR).exists()
    assert [d.name for d in run_dirs(tmp_path / "runs")] == ["x"]


def test_a_lock_left_by_a_dead_process_does_not_block_the_resume(cli: Cli, tmp_path: Path) -> None:
    proc = start(tmp_path, "run_id=x")
    wait_for(proc, tmp_path / RUN_DIR / "checkpoint.pt")
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    lock = lock_path(tmp_path / RUN_DIR)
    assert json.loads(lock.read_text())["pid"] == proc.pid  # left behind, but no longer held
    resumed = cli(*RUN, "run_id=x")
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed at step" in resumed.stdout + resumed.stderr
    assert steps(tmp_path / RUN_DIR / "eval.csv") == list(range(0, 801, 100))
    assert not lock.exists()


def test_the_lock_names_a_live_holder_and_is_released(tmp_path: Path) -> None:
    run_dir = tmp_path / "Pendulum" / "invert" / "seed0" / "r1"
    holder = RunLock(run_dir)
    holder.acquire()
    try:
        with pytest.raises(LockError, match=rf"in use by another process: pid {os.getpid()} on host "):
            RunLock(run_dir).acquire()  # flock: another open file conflicts even within one process
        info = json.loads(lock_path(run_dir).read_text())
        assert (info["pid"], info["host"]) == (os.getpid(), socket.gethostname())
    finally:
        holder.release()
    assert not lock_path(run_dir).exists()
    with locked([run_dir, run_dir.with_name("r2")]):  # free again; several at once
        assert lock_path(run_dir).exists() and lock_path(run_dir.with_name("r2")).exists()
    assert list(tmp_path.iterdir()) == []  # the lock files, and the directories made for them, are gone


def test_a_released_lock_removes_only_the_directories_it_made_and_only_when_empty(tmp_path: Path) -> None:
    """A run refused after its locks were taken leaves nothing; a run directory, another run's lock and a
    directory that existed before are kept."""
    (tmp_path / "Platform").mkdir()
    refused, kept, other = (tmp_path / "Platform" / "invert" / f"seed{k}" / "x" for k in range(3))
    with locked([refused, kept, other]):
        kept.mkdir()  # a run that wrote its directory
        held = RunLock(other.with_name("y"))  # another process's run in the same seed directory
        held.acquire()
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "Platform", "Platform/invert", "Platform/invert/seed1", "Platform/invert/seed1/x",
        "Platform/invert/seed2", "Platform/invert/seed2/.y.lock",
    ]  # fmt: skip
    held.release()  # made nothing: seed2 was there when it was taken
    assert (tmp_path / "Platform" / "invert" / "seed2").is_dir()
    with locked([refused]):
        pass
    assert not (tmp_path / "Platform" / "invert" / "seed0").exists()
    assert (tmp_path / "Platform" / "invert").is_dir()  # seed1's run directory is in it


def test_a_lock_whose_parent_another_release_removed_is_taken_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between acquire's mkdir and its open, another process's release may remove the still-empty parent."""
    run_dir = tmp_path / "seed0" / "x"
    run_dir.parent.mkdir()  # another process's, when this one starts
    real_open, removed = os.open, list[Path]()

    def open_after_a_removal(path: Path, *args: int) -> int:
        if not removed:
            removed.append(path)
            os.rmdir(run_dir.parent)  # what the other process's release does
        return real_open(path, *args)

    monkeypatch.setattr(os, "open", open_after_a_removal)
    lock = RunLock(run_dir)
    lock.acquire()
    monkeypatch.undo()
    assert removed == [lock_path(run_dir)] and lock_path(run_dir).exists()
    lock.release()
    assert list(tmp_path.iterdir()) == []  # the directory it made again is its own to remove


def test_a_stale_lock_file_of_a_dead_pid_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    run_dir = tmp_path / "seed0" / "x"
    stale = {"host": socket.gethostname(), "pid": int(dead.stdout), "started": "2026-01-01 00:00:00 +0000"}
    run_dir.parent.mkdir(parents=True)
    lock_path(run_dir).write_text(json.dumps(stale))
    lock = RunLock(run_dir)
    lock.acquire()
    assert json.loads(lock_path(run_dir).read_text())["pid"] == os.getpid()
    lock.release()


def test_a_batch_takes_all_locks_or_none(tmp_path: Path) -> None:
    dirs = [tmp_path / f"seed{k}" / "x" for k in range(3)]
    holder = RunLock(dirs[1])
    holder.acquire()
    try:
        with pytest.raises(LockError, match="seed1"), locked(dirs):
            pass
        assert not lock_path(dirs[0]).exists() and not lock_path(dirs[2]).exists()  # released again
    finally:
        holder.release()
