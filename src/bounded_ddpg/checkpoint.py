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
import re
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from bounded_ddpg.logger import CSV_FILES, DIAGNOSTIC_KEYS, WriteError

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
    except Exception as e:  # a damaged file makes torch's unpickler raise nearly anything (IndexError, ...)
        raise CheckpointError(
            f"cannot read checkpoint {path} ({_cause(e)}): it is truncated, corrupted, or not a checkpoint "
            f"that bounded_ddpg wrote (those hold only tensors, numbers and strings). Move it away to start "
            f"this run from scratch, or restore it from a copy."
        ) from e
    if not isinstance(state, dict) or "format" not in state:
        raise CheckpointError(f"{path} is not a bounded_ddpg checkpoint (no 'format' key)")
    return state


# What every member checkpoint holds (train.Trainer.member_checkpoint), checked before anything is restored;
# the agent's and replay's tensors are checked against the built ones when they are loaded (run._build).
STATE_TYPES: dict[str, type | tuple[type, ...]] = {
    "seed": int, "step": int, "episodes": int, "status": str, "final_eval": dict, "wall_s": (int, float),
    "agent": dict, "replay": dict, "warmup_rng": torch.Tensor, "tape": dict, "episode_return": (int, float),
    "recent": list, "metric_sums": dict, "metric_counts": dict, "diag_counts": list,
    "diag_sums": torch.Tensor, "logger_offsets": dict,
}  # fmt: skip


def check_state(state: dict[str, Any], path: Path, version: int) -> None:
    """Raise CheckpointError unless ``state`` (read from ``path``) has format ``version``, every key of
    STATE_TYPES with its type, and CSV offsets within the run directory's CSV files (a resume cuts them
    back to these sizes, so a larger one would pad them)."""
    if state.get("format") != version:
        raise CheckpointError(f"{path}: format {state.get('format')!r}; expected format {version}")
    wrong = [key for key, kind in STATE_TYPES.items() if not isinstance(state.get(key), kind)]
    if wrong or state["step"] < 0:
        raise CheckpointError(
            f"{path} is not a checkpoint this version of bounded_ddpg wrote: "
            f"{', '.join(wrong) or 'step'} missing or of the wrong type. Move it away to start this run "
            f"from scratch, or restore it from a copy."
        )
    counts, tape = state["diag_counts"], state["tape"]
    if (
        not all(isinstance(n, int) for n in counts)
        or state["diag_sums"].shape != (len(counts), len(DIAGNOSTIC_KEYS))
        or not all(isinstance(x, int | float) for x in state["recent"])
        or not all(isinstance(state["metric_sums"].get(k), torch.Tensor) for k in state["metric_counts"])
        or not isinstance(tape.get("actions"), torch.Tensor)
        or not isinstance(tape.get("reset_seed"), int | None)
        or not isinstance(tape.get("reset_rng"), str | None)
    ):
        raise CheckpointError(f"{path}: its diagnostics, metric sums or episode tape are malformed")
    for name in CSV_FILES:
        csv = path.parent / name
        size = csv.stat().st_size if csv.exists() else 0
        offset = state["logger_offsets"].get(name, 0)
        if not isinstance(offset, int) or not 0 <= offset <= size:
            raise CheckpointError(
                f"{path}: its size of {name} ({offset!r}) is not within the {size} bytes of {csv}"
            )


def check_fits(state: Any, template: Any, where: str) -> None:
    """Raise CheckpointError unless ``state`` has the structure of ``template`` (what the freshly built agent
    or replay exports): the same keys in every non-empty mapping, tensors of the same dtype and shape (a
    dimension the template has as 0, an empty replay's, is free), numbers for numbers."""
    wrong = None
    if isinstance(template, dict) and template:
        if not isinstance(state, dict) or set(map(str, state)) != set(map(str, template)):
            wrong = f"keys {sorted(map(str, state))}" if isinstance(state, dict) else type(state).__name__
        else:
            by_name = {str(k): v for k, v in state.items()}
            for key, sub in template.items():
                check_fits(by_name[str(key)], sub, f"{where}.{key}")
    elif isinstance(template, torch.Tensor):
        if (
            not isinstance(state, torch.Tensor)
            or state.dtype != template.dtype
            or state.ndim != template.ndim
        ):
            wrong = (
                type(state).__name__
                if not isinstance(state, torch.Tensor)
                else f"{state.dtype} {state.ndim}-d"
            )
        elif any(n != t and t != 0 for n, t in zip(state.shape, template.shape)):
            wrong = f"shape {tuple(state.shape)}"
    elif isinstance(template, int | float) and not isinstance(state, int | float):
        wrong = type(state).__name__
    if wrong:
        raise CheckpointError(
            f"the checkpoint's {where} does not fit this run ({wrong}; expected "
            f"{tuple(template.shape) if isinstance(template, torch.Tensor) else type(template).__name__})"
        )


def restore(
    trainer: Any, states: list[dict[str, Any]], summaries: list[dict[str, Any] | None], dirs: list[Path]
) -> None:
    """``trainer.restore``, before anything is written: checkpoint contents that do not fit this run's
    agent, replay or environment (a key, type or shape that check_state cannot know) are a
    CheckpointError naming the run directories, and nothing on disk has changed."""
    fresh = {"agent": trainer.agent.member_state(0), "replay": trainer.replay.member_state(0)}
    try:
        for state in states:
            for key, template in fresh.items():
                check_fits(state[key], template, key)
            shape = trainer.members[0].env.action_space.shape
            if (actions := state["tape"]["actions"]).numel() and tuple(actions.shape[1:]) != shape:
                raise ValueError(
                    f"the episode tape's actions have shape {tuple(actions.shape)}, not (n, *{shape})"
                )
        trainer.restore(states, summaries)
        for opt in (v for v in vars(trainer.agent).values() if isinstance(v, torch.optim.Optimizer)):
            params = [p for group in opt.param_groups for p in group["params"]]
            if len({tuple(sorted(opt.state.get(p, {}))) for p in params}) > 1:
                raise ValueError("the optimizer's state lacks a moment of some parameters")
            for param in params:
                if any(t.dim() and t.shape != param.shape for t in opt.state.get(param, {}).values()):
                    raise ValueError(f"an optimizer moment does not have its parameter's shape {param.shape}")
    except Exception as e:  # whatever the contents make fail: named, never a traceback
        first = (str(e).strip().splitlines() or [""])[0]
        raise CheckpointError(
            f"cannot restore the checkpoints of {', '.join(map(str, dirs))} into this run "
            f"({type(e).__name__}: {first}): they do not fit its agent, replay or environment. Move them "
            f"away to start from scratch, or restore them from a copy."
        ) from e


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
