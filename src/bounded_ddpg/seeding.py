"""Independent, named random streams derived from one run seed.

Each consumer (network initialisation, replay sampling, exploration, environment) gets its own stream, so
that adding draws to one never shifts another, and member k of a batched run draws exactly what a single run
with seed k draws.
"""

from __future__ import annotations

import zlib

import numpy as np
import torch


def derive_seed(seed: int, stream: str) -> int:
    """A 63-bit seed for the named stream of run seed ``seed`` (stable across processes and platforms)."""
    state = np.random.SeedSequence([seed, zlib.crc32(stream.encode())]).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1])) & ((1 << 63) - 1)


def torch_generator(seed: int, stream: str, device: torch.device | str = "cpu") -> torch.Generator:
    """A torch.Generator on ``device`` seeded for the named stream."""
    generator = torch.Generator(device=device)
    generator.manual_seed(derive_seed(seed, stream))
    return generator
