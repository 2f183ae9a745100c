"""Speed work that must not change what is computed: results pinned with and without it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import torch

from conftest import Cli, run_dirs

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
    tiny = torch.tensor([1e-40], dtype=torch.float32)  # below float32's smallest normal, 1.18e-38
    try:
        assert torch.set_flush_denormal(True)
        assert float((tiny * 1.0)[0]) == 0.0
        torch.set_flush_denormal(False)
        assert float((tiny * 1.0)[0]) > 0.0
    finally:
        torch.set_flush_denormal(False)
