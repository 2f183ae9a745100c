"""A full disk (simulated in-process: the lowest-level write raises ENOSPC) or an unwritable file: the error
names the path, no temporary file is left, the last good checkpoint stays, summary.json says interrupted
with the reason when it can still be written, and the same command resumes once there is space again."""

from __future__ import annotations

import csv
import errno
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from hydra import compose, initialize_config_module
from hydra.core.hydra_config import HydraConfig

from bounded_ddpg import checkpoint, logger, run
from bounded_ddpg.logger import WriteError
from test_resume import RUN

ENOSPC = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def train(tmp_path: Path, run_id: str) -> list[dict[str, Any]]:
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        cfg = compose("config", overrides=[*RUN, f"run_id={run_id}", f"out_dir={tmp_path / 'runs'}"])
    return run.train_from_config(cfg, overrides=[])


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return [{k: v for k, v in r.items() if k != "wall_s"} for r in csv.DictReader(f)]


def leftovers(run_dir: Path) -> list[str]:
    return sorted(p.name for p in run_dir.iterdir() if "tmp" in p.name or p.name.endswith(".prev.pt"))


def test_a_full_disk_at_a_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    train(tmp_path, "ref")
    run_dir = tmp_path / "runs/Pendulum/invert/seed0/x"
    save, calls, on_disk = torch.save, [], []

    def full_at_the_third(obj: Any, f: Any) -> None:
        calls.append(obj["step"])
        if len(calls) == 3:  # step 300: half a file, then the disk is full
            on_disk.append(json.loads((run_dir / "summary.json").read_text())["steps"])
            f.write(b"\0" * 1000)
            raise ENOSPC
        save(obj, f)

    monkeypatch.setattr(checkpoint.torch, "save", full_at_the_third)
    with pytest.raises(WriteError) as e:
        train(tmp_path, "x")
    message = str(e.value)
    assert message.startswith(
        f"cannot write {run_dir / 'checkpoint.pt'}: No space left on device. Training stopped"
    )
    assert "run the same command with run_id=x to resume" in message
    assert on_disk == [200]  # summary.json's steps follow the checkpoints
    assert leftovers(run_dir) == []  # checkpoint.pt.tmp removed, checkpoint.prev.pt back in place
    assert checkpoint.load(run_dir / "checkpoint.pt")["step"] == 200  # the last good one
    summary = json.loads((run_dir / "summary.json").read_text())
    assert (summary["status"], summary["steps"]) == ("interrupted", 300)
    assert summary["reason"].startswith("cannot write") and "No space left on device" in summary["reason"]

    monkeypatch.setattr(checkpoint.torch, "save", save)  # space again: the same command resumes
    (resumed,) = train(tmp_path, "x")
    assert resumed["status"] == "finished" and "reason" not in resumed
    ref = run_dir.parent / "ref"
    assert rows(run_dir / "eval.csv") == rows(ref / "eval.csv")
    assert rows(run_dir / "metrics.csv") == rows(ref / "metrics.csv")


class FullAfter:
    """A text file whose writes fail with ENOSPC once ``budget`` more writes have been made."""

    def __init__(self, file: Any, budget: list[int]) -> None:
        self.file, self.budget = file, budget

    def write(self, text: str) -> int:
        self.budget[0] -= 1
        if self.budget[0] < 0:
            raise ENOSPC
        return int(self.file.write(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.file, name)


def test_a_full_disk_while_appending_a_csv_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    init, budget = logger.CsvLog.__init__, [12]  # the headers, then a few rows

    def full_soon(self: logger.CsvLog, path: Path, columns: Any) -> None:
        init(self, path, columns)
        self.file = FullAfter(self.file, budget)  # type: ignore[assignment]

    monkeypatch.setattr(logger.CsvLog, "__init__", full_soon)
    with pytest.raises(
        WriteError, match=r"cannot write \S+/seed0/x/(metrics|eval)\.csv: No space left on device"
    ):
        train(tmp_path, "x")
    run_dir = tmp_path / "runs/Pendulum/invert/seed0/x"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "interrupted" and "No space left on device" in summary["reason"]
    assert checkpoint.load(run_dir / "checkpoint.pt")["step"] <= summary["steps"] and leftovers(run_dir) == []


def test_summary_json_that_cannot_be_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk is full for summary.json too: its previous version stays whole, and the error names it."""
    fsync, seen = os.fsync, []

    def full_for_summaries(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").endswith(f"summary.json.{os.getpid()}.tmp"):
            seen.append(fd)
            if len(seen) >= 3:  # the first summary and the one at step 100 are written
                raise ENOSPC
        fsync(fd)

    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc/self/fd")
    monkeypatch.setattr(logger.os, "fsync", full_for_summaries)
    with pytest.raises(WriteError, match=r"cannot write \S+/seed0/x/summary\.json: No space left on device"):
        train(tmp_path, "x")
    run_dir = tmp_path / "runs/Pendulum/invert/seed0/x"
    summary = json.loads((run_dir / "summary.json").read_text())  # still valid JSON: the old one
    assert (summary["status"], summary["steps"]) == ("running", 100)
    assert leftovers(run_dir) == [] and checkpoint.load(run_dir / "checkpoint.pt")["step"] == 200


@pytest.fixture
def clean_hydra() -> Any:
    yield
    HydraConfig.instance().cfg = None  # in-process Hydra leaves its config set


def test_the_command_exits_74_with_a_message_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any, clean_hydra: None
) -> None:
    def full(obj: Any, f: Any) -> None:
        raise ENOSPC

    monkeypatch.setattr(checkpoint.torch, "save", full)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["bounded_ddpg.run", *RUN, "run_id=x"])
    with pytest.raises(SystemExit) as e:
        run.main()
    assert e.value.code == run.EXIT_WRITE_FAILED == 74
    err = capsys.readouterr().err
    path = Path("runs/Pendulum/invert/seed0/x/checkpoint.pt")
    assert f"error: cannot write {path}: No space left on device" in err and "Traceback" not in err
