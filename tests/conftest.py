"""Shared test settings: no W&B network or telemetry, a headless matplotlib, and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch

QUIET_ENV = {"WANDB_MODE": "disabled", "WANDB_ERROR_REPORTING": "false", "MPLBACKEND": "Agg"}

# A run that finishes in about a second: tiny networks, a few hundred steps, few evaluation episodes.
TINY = (
    "agent.hidden_sizes=[16,16]",
    "agent.batch_size=8",
    "agent.learning_starts=20",
    "budget.steps=120",
    "eval.every_steps=60",
    "eval.episodes=2",
    "eval.final_episodes=3",
    "log_every_steps=40",
    "progress=false",
)


@pytest.fixture(autouse=True)
def _quiet_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in QUIET_ENV.items():
        monkeypatch.setenv(key, value)
    yield


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a subprocess: this one, quiet, plus ``extra``."""
    return {**os.environ, **QUIET_ENV, **extra}


Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """Run ``python -m bounded_ddpg.run ARGS`` in tmp_path (out_dir defaults to tmp_path/runs)."""

    def run(
        *args: str, timeout: float = 120, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bounded_ddpg.run", *args],
            cwd=tmp_path,
            env=env or child_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run


def run_dirs(out_dir: Path) -> list[Path]:
    """Run directories (those holding config.yaml) under out_dir, sorted."""
    return sorted(p.parent for p in out_dir.glob("*/*/seed*/*/config.yaml"))


def assert_grads_close(got: torch.Tensor, want: torch.Tensor) -> None:
    """Two float32 computations of one gradient tensor agree up to rounding.

    A weight's gradient is a sum over the batch, and float32 rounds each sum relative to its largest
    terms, so an element that cancels to a small value carries an error of ~1e-7 of the tensor's scale,
    not of its own size (hypothesis found one at 1.3e-4 relative to itself, 1e-7 of the tensor's
    largest element). The tolerance is 1e-4 relative per element plus 1e-5 of the largest element
    (at least 1e-6): a wrong sign, scale or transform moves elements by the tensor's own scale.
    """
    scale = max(float(want.abs().max()), 0.1)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5 * scale)
