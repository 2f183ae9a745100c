"""Checkpoints of a training run, one self-contained file per member, and resuming from them.

Member m's run directory holds ``checkpoint.pt`` (format below) with that member's slice of everything the
run's future depends on: online and target networks and Adam moments indexed [m] (Adam's step counters are
shared, since members update in lockstep), its replay contents and sampling stream, its exploration,
warm-up and network streams, its episode tape (checkpoint.EpisodeTape: the environment is rebuilt by
replaying the episode), counters, the loop's accumulators and the byte sizes of metrics.csv and eval.csv.
Resuming stacks the slices back. Evaluation environments need no state (evaluation.py).

Members' files are written one after another, so a kill can leave some at the new step and some at the
previous one: each member's previous file is kept as ``checkpoint.prev.pt`` until all are written, and a
resume uses the newest step that every member has.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import yaml

from bounded_ddpg import checkpoint
from bounded_ddpg.config import ConfigError
from bounded_ddpg.logger import DIAGNOSTIC_KEYS

if TYPE_CHECKING:
    from bounded_ddpg.train import Trainer

FORMAT = 1
LATEST, PREVIOUS = checkpoint.CHECKPOINT_NAME, "checkpoint.prev.pt"
ENDED = ("finished", "diverged")  # statuses that are final: such a member is never re-run
IGNORED_KEYS = ("progress", "out_dir")  # config keys a resumed command may change


class ResumeError(ConfigError):
    """An existing run directory that cannot be resumed with this command."""


def member_checkpoint(t: Trainer, m: int) -> dict[str, Any]:
    """Everything member m's future depends on (tensors, numbers, strings and containers only)."""
    member = t.members[m]
    rows = [r[:, m] for _, r in t.diag_rows]
    return {
        "format": FORMAT,
        "seed": member.seed,
        "step": t.step,
        "episodes": member.episodes,
        "status": member.status,
        "final_eval": dict(member.final_eval),
        "wall_s": time.perf_counter() - t.t0,
        "agent": t.agent.member_state(m),
        "replay": t.replay.member_state(m),
        "warmup_rng": t.warmup[m].get_state(),
        "tape": member.tape.state_dict(),
        "episode_return": float(t.totals[m]),
        "recent": list(t.recent),
        "metric_sums": {k: v[m].detach().cpu().clone() for k, v in t.sums.items()},
        "metric_counts": dict(t.counts),
        "diag_counts": [n for n, _ in t.diag_rows],
        "diag_sums": torch.from_numpy(np.stack(rows)) if rows else torch.zeros(0, len(DIAGNOSTIC_KEYS)),
        "logger_offsets": member.logger.offsets(),
    }


def save_checkpoints(t: Trainer) -> None:
    """Write every member's checkpoint.pt atomically, keeping the previous one until all are written."""
    dirs = [member.logger.run_dir for member in t.members]
    for m, run_dir in enumerate(dirs):
        if (run_dir / LATEST).exists():
            os.replace(run_dir / LATEST, run_dir / PREVIOUS)
        checkpoint.save(run_dir / LATEST, member_checkpoint(t, m))
    for run_dir in dirs:
        (run_dir / PREVIOUS).unlink(missing_ok=True)


def _flat(tree: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(tree, dict):
        return {k: v for key, sub in tree.items() for k, v in _flat(sub, f"{prefix}{key}.").items()}
    return {prefix.rstrip("."): tree}


def read_run_dirs(dirs: Sequence[Path], configs: Sequence[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """Check existing run directories against this command's member configs, reading only.

    Returns each member's summary.json (None where it is missing: killed before the first one was written).
    """
    summaries: list[dict[str, Any] | None] = []
    for run_dir, config in zip(dirs, configs):
        path = run_dir / "config.yaml"
        if not path.is_file():
            raise ResumeError(f"cannot resume {run_dir}: it has no config.yaml (not a run directory)")
        try:
            stored = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            raise ResumeError(f"cannot resume: {path} is not readable YAML ({e})") from e
        if not isinstance(stored, dict):
            raise ResumeError(f"cannot resume: {path} does not hold a config mapping")
        old, new = _flat(stored), _flat(config)
        if diff := sorted(
            k for k in old.keys() | new.keys() if k not in IGNORED_KEYS and old.get(k) != new.get(k)
        ):
            raise ResumeError(
                f"cannot resume {run_dir}: this command's config differs from its config.yaml in "
                f"{', '.join(diff)}. Resume with the same command, or choose another run_id."
            )
        path = run_dir / "summary.json"
        if not path.exists():
            summaries.append(None)
            continue
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ResumeError(f"cannot resume: {path} is not valid JSON ({e})") from e
        if not isinstance(summary, dict) or not isinstance(summary.get("status"), str):
            raise ResumeError(f"cannot resume: {path} has no status")
        summaries.append(summary)
    return summaries


def _load(path: Path) -> dict[str, Any] | None:
    return checkpoint.load(path) if path.exists() else None


def load_states(dirs: Sequence[Path], seeds: Sequence[int]) -> list[dict[str, Any]] | None:
    """Each member's checkpoint at the newest step all members have; None when no member has one."""
    latest = [_load(d / LATEST) or _load(d / PREVIOUS) for d in dirs]
    if all(s is None for s in latest):
        return None
    steps = [s["step"] for s in latest if s is not None]
    states = []
    for run_dir, seed, state in zip(dirs, seeds, latest):
        if state is not None and state["step"] != min(steps):
            state = _load(run_dir / PREVIOUS)
        if state is None or state["step"] != min(steps):
            raise checkpoint.CheckpointError(
                f"{run_dir} has no checkpoint at step {min(steps)}, the newest step that the other members "
                f"of this run have: the members' checkpoints cannot be combined"
            )
        if state.get("format") != FORMAT or state.get("seed") != seed:
            raise checkpoint.CheckpointError(
                f"{run_dir / LATEST}: format {state.get('format')}, seed {state.get('seed')}; expected "
                f"format {FORMAT}, seed {seed}"
            )
        states.append(state)
    return states


def restore(t: Trainer, states: Sequence[dict[str, Any]], summaries: Sequence[dict[str, Any] | None]) -> None:
    """Put ``t`` back where the checkpoints left it; members whose summary says they ended stay ended."""
    t.agent.load_member_states([s["agent"] for s in states])
    t.replay.load_member_states([s["replay"] for s in states])
    first = states[0]
    t.step, t.t0 = int(first["step"]), time.perf_counter() - float(first["wall_s"])
    t.recent.extend(first["recent"])
    t.counts = dict(first["metric_counts"])
    t.sums = {k: torch.stack([s["metric_sums"][k] for s in states]).to(t.agent.device) for k in t.counts}
    diag = np.stack([s["diag_sums"].numpy() for s in states], axis=-1)  # [rows, K, M]
    t.diag_rows = list(zip(first["diag_counts"], diag))
    obs = []
    for m, (member, state, summary) in enumerate(zip(t.members, states, summaries)):
        t.warmup[m].set_state(state["warmup_rng"])
        member.episodes, member.status = int(state["episodes"]), state["status"]
        member.final_eval = dict(state["final_eval"])
        if summary is not None and summary["status"] in ENDED:
            member.status, member.final_eval = summary["status"], dict(summary.get("final_eval") or {})
        t.totals[m] = float(state["episode_return"])
        obs.append(member.tape.restore(member.env, state["tape"]))
    t.obs = np.stack(obs).astype(np.float32)
