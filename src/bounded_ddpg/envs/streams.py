"""Block-buffered random streams: a fixed pattern of draws per substep.

Every copy of an environment owns one ``np.random.Generator`` and consumes its numbers through a
:class:`NoiseStream`: numbers are drawn in blocks of ``block`` values (``standard_normal`` or
``uniform(-1, 1)``) and handed out ``width`` at a time, one slice per substep whether or not the substep
needs all of them. Because the consumption pattern depends only on how many substeps a copy has run,
the numpy-vectorised environments (``envs.vector``) refill each copy's block from that copy's
generator at exactly the same moments and therefore reproduce a single environment's trajectory
bit for bit.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Kind = Literal["normal", "uniform"]


def draw_block(rng: np.random.Generator, kind: Kind, block: int) -> np.ndarray:
    """One block of ``block`` float64 values: standard normals, or uniforms on [-1, 1)."""
    if kind == "normal":
        return rng.standard_normal(block)
    return rng.uniform(-1.0, 1.0, block)


class NoiseStream:
    """Hands out ``width`` numbers per call from blocks of ``width * substeps_per_block`` values.

    ``rng`` is read at every refill, so replacing the environment's generator (a seeded reset)
    takes effect after :meth:`clear`.
    """

    def __init__(self, kind: Kind, width: int, substeps_per_block: int = 64) -> None:
        self.kind: Kind = kind
        self.width = width
        self.block = width * substeps_per_block
        self._values: list[float] = []
        self._pos = self.block

    def clear(self) -> None:
        """Forget the buffered block; the next call draws a fresh block."""
        self._values = []
        self._pos = self.block

    def take(self, rng: np.random.Generator) -> list[float]:
        """The next ``width`` numbers (a new list), refilling from ``rng`` when the block is spent."""
        if self._pos >= self.block:
            self._values = draw_block(rng, self.kind, self.block).tolist()
            self._pos = 0
        start = self._pos
        self._pos = start + self.width
        return self._values[start : self._pos]


class BatchNoise:
    """The vectorised twin of :class:`NoiseStream`: one row of buffered numbers per copy."""

    def __init__(self, kind: Kind, width: int, num: int, substeps_per_block: int = 64) -> None:
        self.kind: Kind = kind
        self.width = width
        self.block = width * substeps_per_block
        self.values = np.zeros((num, self.block))
        self.pos = np.full(num, self.block, dtype=np.int64)

    def clear(self, i: int) -> None:
        """Forget copy ``i``'s buffered block (after reseeding its generator)."""
        self.pos[i] = self.block

    def take(self, rows: np.ndarray, rngs: list[np.random.Generator]) -> np.ndarray:
        """The next ``width`` numbers for each copy in ``rows`` (int indices), shape (len(rows), width)."""
        spent = rows[self.pos[rows] >= self.block]
        for i in spent.tolist():
            self.values[i] = draw_block(rngs[i], self.kind, self.block)
            self.pos[i] = 0
        cols = self.pos[rows][:, None] + np.arange(self.width)
        out = self.values[rows[:, None], cols]
        self.pos[rows] += self.width
        return out
