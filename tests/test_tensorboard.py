"""`tensorboard=true`: event files in the run directory, read back with TensorBoard's own reader."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from conftest import TINY, Cli, run_dirs


def _scalars(acc: EventAccumulator, tag: str) -> tuple[list[int], list[float]]:
    events = acc.Scalars(tag)
    return [e.step for e in events], [e.value for e in events]


def test_event_files_hold_our_keys_and_cleanrl_aliases(cli: Cli, tmp_path: Path) -> None:
    result = cli("env=Platform", *TINY, "tensorboard=true")
    assert result.returncode == 0, result.stderr
    (run,) = run_dirs(tmp_path / "runs")
    acc = EventAccumulator(str(run / "tensorboard"))
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    expected = {"charts/episodic_return", "charts/SPS", "losses/qf1_loss", "losses/actor_loss",
                "eval/return_mean", "train/critic_loss", "train/actor_loss"}  # fmt: skip
    assert expected <= tags, tags
    ev, metrics = pd.read_csv(run / "eval.csv"), pd.read_csv(run / "metrics.csv")
    for tag in ("eval/return_mean", "charts/episodic_return"):
        steps, values = _scalars(acc, tag)
        assert steps == ev.step.tolist()  # global_step = environment steps, every eval.csv row
        assert values == pytest.approx(ev.return_mean.tolist(), rel=1e-6)  # float32 in the event file
    done = metrics.dropna(subset=["critic_loss"])
    for tag, column in (("losses/qf1_loss", "critic_loss"), ("train/critic_loss", "critic_loss"),
                        ("losses/actor_loss", "actor_loss")):  # fmt: skip
        steps, values = _scalars(acc, tag)
        rows = metrics.dropna(subset=[column])
        assert steps == rows.step.tolist() and values == pytest.approx(rows[column].tolist(), rel=1e-5), tag
    steps, sps = _scalars(acc, "charts/SPS")
    assert steps == metrics.step.tolist() and all(v > 0 for v in sps) and len(done) > 0


def test_off_by_default_writes_no_event_files(cli: Cli, tmp_path: Path) -> None:
    result = cli("env=Platform", *TINY)
    assert result.returncode == 0, result.stderr
    (run,) = run_dirs(tmp_path / "runs")
    assert not (run / "tensorboard").exists()
