"""Checkpoints: written atomically, loaded safely, and able to put an environment back mid-episode.

A checkpoint is one ``torch.save`` file of tensors, numbers, strings and containers only, so it loads with
``torch.load(weights_only=True)`` (no arbitrary pickle). It is written to a temporary file, flushed to disk
and renamed over the previous one: a process killed at any moment leaves either the old or the new
checkpoint, never a truncated one.

Environments cannot be serialised in general (Box2D, MuJoCo), so a checkpoint does not store them. Instead,
each member's :class:`EpisodeTape` records how its current episode began (the reset seed, or the
environment's RNG state just before the reset) and every action since; resuming resets the environment the
same way and replays the actions. Deterministic given their RNG, gymnasium's environments (and ours) land
in exactly the state they were in.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import pickle
import re
import zipfile
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from bounded_ddpg.logger import WriteError

CHECKPOINT_NAME = "checkpoint.pt"


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read (truncated, corrupted or from an incompatible run)."""


def save(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` atomically (temp file, fsync, rename).

    A failure (a full disk) raises WriteError naming ``path``, removes the temporary file and leaves the
    previous ``path`` as it was. torch.save reports a write that failed inside its zip writer as a
    RuntimeError (``[enforce fail at inline_container.cc:...] unexpected pos ...``), the OSError (ENOSPC)
    as its context: that is a write failure too.
    """
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except (OSError, RuntimeError) as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if (error := write_failure(e)) is None:
            raise
        raise WriteError(path, error) from e


def write_failure(e: BaseException) -> OSError | None:
    """The OSError behind ``e`` (itself, or the context torch.save's RuntimeError carries); for a
    RuntimeError of torch's file writer without one, an EIO naming it; None for anything else."""
    seen: BaseException | None = e
    while seen is not None:
        if isinstance(seen, OSError):
            return seen
        seen = seen.__cause__ or seen.__context__
    text = str(e)
    if isinstance(e, RuntimeError) and ("inline_container" in text or "PytorchStreamWriter" in text):
        first = text.strip().splitlines()[0] if text.strip() else type(e).__name__
        return OSError(errno.EIO, f"torch.save could not write the file, most often a full disk ({first})")
    return None


def _cause(e: BaseException) -> str:
    """What went wrong, in one line, without torch's advice on how to load an untrusted file anyway."""
    text = str(e)
    if "WeightsUnpickler error:" in text:  # torch's weights-only refusal: keep only the refusal itself
        text = text.split("WeightsUnpickler error:", 1)[1]
    line = re.split(r"\n|(?<=\.) ", text.strip(), maxsplit=1)[0]  # its first sentence
    if "weights_only" in line or "trust" in line:
        line = ""
    return f"{type(e).__name__}: {line}" if line else type(e).__name__


def load(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True``; a damaged file raises CheckpointError naming it."""
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except (RuntimeError, EOFError, OSError, pickle.UnpicklingError, zipfile.BadZipFile, ValueError) as e:
        raise CheckpointError(
            f"cannot read checkpoint {path} ({_cause(e)}): it is truncated, corrupted, or not a checkpoint "
            f"that bounded_ddpg wrote (those hold only tensors, numbers and strings). Move it away to start "
            f"this run from scratch, or restore it from a copy."
        ) from e
    if not isinstance(state, dict) or "format" not in state:
        raise CheckpointError(f"{path} is not a bounded_ddpg checkpoint (no 'format' key)")
    return state


def rng_state(env: gym.Env[Any, Any]) -> str:
    """The environment's numpy RNG state as JSON (its 128-bit integers survive a weights-only load)."""
    return json.dumps(env.unwrapped.np_random.bit_generator.state)


class EpisodeTape:
    """How one member's current episode began, and every action since: enough to rebuild it exactly."""

    def __init__(self) -> None:
        self.reset_seed: int | None = None
        self.reset_rng: str | None = None
        self.actions: list[np.ndarray] = []

    def reset(self, env: gym.Env[Any, Any], seed: int | None = None) -> tuple[Any, dict[str, Any]]:
        """Reset ``env`` (seeded only on the first episode) and start a new tape."""
        self.reset_seed = seed
        self.reset_rng = None if seed is not None else rng_state(env)
        self.actions = []
        return env.reset(seed=seed)

    def record(self, action: np.ndarray) -> None:
        self.actions.append(np.array(action, copy=True))

    def state_dict(self) -> dict[str, Any]:
        actions = torch.from_numpy(np.stack(self.actions)) if self.actions else torch.zeros(0)
        return {"reset_seed": self.reset_seed, "reset_rng": self.reset_rng, "actions": actions}

    def restore(self, env: gym.Env[Any, Any], state: dict[str, Any]) -> Any:
        """Rebuild the recorded episode in ``env``; returns the observation the run was about to act on."""
        self.reset_seed, self.reset_rng = state["reset_seed"], state["reset_rng"]
        if self.reset_rng is not None:
            env.unwrapped.np_random.bit_generator.state = json.loads(self.reset_rng)
        obs, _ = env.reset(seed=self.reset_seed)
        self.actions = [a.numpy() for a in state["actions"]] if state["actions"].numel() else []
        for i, action in enumerate(self.actions):
            obs, _, terminated, truncated, _ = env.step(action)
            if (terminated or truncated) and i < len(self.actions) - 1:
                raise CheckpointError(
                    "replaying the episode ended it early: the environment is not deterministic"
                )
        return obs
