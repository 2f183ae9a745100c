"""TensorBoard event files in each run directory (`tensorboard=true`; off by default).

Written with torch.utils.tensorboard.SummaryWriter into ``<run dir>/tensorboard/``, x axis ``global_step``
= environment steps of the run. Every row that metrics.csv and eval.csv get is also logged here under our
own keys (``train/<metric>``, ``eval/<stat>``), and under the names CleanRL logs and openrlbenchmark plots
(github.com/vwxyzjn/cleanrl, cleanrl/ddpg_continuous_action.py; github.com/openrlbenchmark/openrlbenchmark):
- ``charts/episodic_return``: the evaluation return (eval/return_mean; CleanRL logs its training
  episodes' returns here, we log the greedy evaluation the report reads);
- ``charts/SPS``: environment steps per second of wall clock so far;
- ``losses/qf1_loss``: the critic loss (train/critic_loss);
- ``losses/actor_loss``: the actor loss (train/actor_loss).
The W&B sink (logger.WandbSink) logs the same aliases (cleanrl_aliases) against ``global_step``.
Needs the `tensorboard` package (``pip install 'bounded_ddpg[tensorboard]'``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

TB_DIR = "tensorboard"
TRAIN_ALIASES = {"critic_loss": "losses/qf1_loss", "actor_loss": "losses/actor_loss"}
EVAL_ALIASES = {"return_mean": "charts/episodic_return"}


def _scalars(values: Mapping[str, Any]) -> dict[str, float]:
    """The finite numbers among `values` (None and non-numbers are left out, as in W&B)."""
    out = {}
    for k, v in values.items():
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
            out[k] = float(v)
    return out


def cleanrl_aliases(
    prefix: str, step: int, values: Mapping[str, Any], wall_s: float | None = None
) -> dict[str, float]:
    """The CleanRL/openrlbenchmark names of a ``train`` or ``eval`` row's values (``wall_s``: the run's wall
    clock so far, for ``charts/SPS``, train rows only)."""
    names = TRAIN_ALIASES if prefix == "train" else EVAL_ALIASES
    out = {names[k]: v for k, v in _scalars(values).items() if k in names}
    if prefix == "train" and wall_s is not None and wall_s > 0:
        out["charts/SPS"] = step / wall_s
    return out


class TensorBoardSink:
    """One SummaryWriter per run directory."""

    def __init__(self, run_dir: Path) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as exc:  # torch raises ImportError when tensorboard is missing
            raise ImportError(
                "tensorboard=true needs TensorBoard: pip install 'bounded_ddpg[tensorboard]'"
            ) from exc
        self.writer = SummaryWriter(log_dir=str(run_dir / TB_DIR))

    def _write(self, prefix: str, step: int, values: Mapping[str, Any], wall_s: float | None = None) -> None:
        ours = {f"{prefix}/{k}": v for k, v in _scalars(values).items()}
        for tag, value in {**ours, **cleanrl_aliases(prefix, step, values, wall_s)}.items():
            self.writer.add_scalar(tag, value, global_step=step)

    def log_train(self, step: int, episode: int, wall_s: float, values: Mapping[str, Any]) -> None:
        self._write("train", step, {"episode": episode, **values}, wall_s)

    def log_eval(self, step: int, episode: int, values: Mapping[str, Any]) -> None:
        self._write("eval", step, {"episode": episode, **values})
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
