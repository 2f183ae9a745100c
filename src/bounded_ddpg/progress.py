"""The training progress bar: environment steps, with the exact episode count and the training return.

The postfix is computed each time tqdm draws the bar (``format_dict``), not stored between draws, so the
episode count is exact at every draw and on the closing line, at no cost per step:
``episodes=<training episodes finished, all members>, training return (last 20 episodes)=<mean>``. The
return is the (unscaled) return of training episodes, exploration noise included, averaged over the
last 20 that ended in any member; the evaluation return is in eval.csv and the closing summary line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from tqdm import tqdm

RECENT = 20  # training episodes averaged in the bar's return (Trainer.recent's length)


def training_postfix(episodes: int, recent: Iterable[float]) -> str:
    """`episodes=N, training return (last 20 episodes)=R` (`-` before any episode has ended)."""
    values = list(recent)
    ret = f"{float(np.mean(values)):.3g}" if values else "-"
    return f"episodes={episodes}, training return (last {RECENT} episodes)={ret}"


class TrainingBar(tqdm):
    """A tqdm bar whose postfix is ``postfix()`` at every draw (pass ``disable`` etc. as to tqdm)."""

    def __init__(self, postfix: Callable[[], str], **kwargs: Any) -> None:
        self._postfix_now = postfix
        super().__init__(**kwargs)

    @property
    def format_dict(self) -> dict[str, Any]:
        d = dict(super().format_dict)
        if not self.disable:
            d["postfix"] = self._postfix_now()
        return d
