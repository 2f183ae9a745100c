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

Which run a command resumes without ``run_id``: find_run.py. What a checkpoint must hold: checkpoint.py.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from bounded_ddpg import checkpoint
from bounded_ddpg.config import ConfigError
from bounded_ddpg.logger import WriteError

FORMAT = 1
LATEST, PREVIOUS = checkpoint.CHECKPOINT_NAME, "checkpoint.prev.pt"
ENDED = ("finished", "diverged")  # statuses that are final: such a member is not re-run (but see ended_after)
# Config keys a resumed command may change; run_id names the directory, so it matched already (a run
# started without one records null, and `run_id=<its generated id>` resumes it).
IGNORED_KEYS = ("progress", "out_dir", "run_id")


class ResumeError(ConfigError):
    """An existing run directory that cannot be resumed with this command."""


def save_checkpoints(dirs: Sequence[Path], member_checkpoint: Callable[[int], dict[str, Any]]) -> None:
    """Write member m's ``member_checkpoint(m)`` to ``dirs[m]/checkpoint.pt`` for every member, atomically,
    keeping the previous file until all are written.

    A write failure (WriteError, naming the file) leaves the failing member's previous checkpoint back in
    place as ``checkpoint.pt`` and every other member's previous one as ``checkpoint.prev.pt``, so that
    :func:`load_states` still finds the last step every member has."""
    for m, run_dir in enumerate(dirs):
        try:
            if (run_dir / LATEST).exists():
                os.replace(run_dir / LATEST, run_dir / PREVIOUS)
        except OSError as e:
            raise WriteError(run_dir / PREVIOUS, e) from e
        try:
            checkpoint.save(run_dir / LATEST, member_checkpoint(m))
        except WriteError:
            if (run_dir / PREVIOUS).exists():
                os.replace(run_dir / PREVIOUS, run_dir / LATEST)
            raise
    for run_dir in dirs:
        (run_dir / PREVIOUS).unlink(missing_ok=True)


def _flat(tree: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(tree, dict):
        return {k: v for key, sub in tree.items() for k, v in _flat(sub, f"{prefix}{key}.").items()}
    return {prefix.rstrip("."): tree}


def stored_config(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "config.yaml"
    if not path.is_file():
        raise ResumeError(f"cannot resume {run_dir}: it has no config.yaml (not a run directory)")
    try:
        stored = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as e:
        raise ResumeError(f"cannot resume: {path} is not readable YAML ({e})") from e
    if not isinstance(stored, dict):
        raise ResumeError(f"cannot resume: {path} does not hold a config mapping")
    return stored


def config_diff(stored: dict[str, Any], config: dict[str, Any]) -> list[str]:
    """The dotted keys (IGNORED_KEYS aside) whose values differ between two configs."""
    old, new = _flat(stored), _flat(config)
    return sorted(k for k in old.keys() | new.keys() if k not in IGNORED_KEYS and old.get(k) != new.get(k))


def read_summary(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / "summary.json"
    if not path.exists():
        return None
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ResumeError(f"cannot resume: {path} is not valid JSON ({e})") from e
    if not isinstance(summary, dict) or not isinstance(summary.get("status"), str):
        raise ResumeError(f"cannot resume: {path} has no status")
    if not isinstance(summary.get("final_eval"), dict | None):
        raise ResumeError(f"cannot resume: {path}'s final_eval is not a mapping")
    return summary


def read_run_dirs(dirs: Sequence[Path], configs: Sequence[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """Check existing run directories against this command's member configs, reading only.

    Returns each member's summary.json (None where it is missing: killed before the first one was written).
    Each of ``configs`` takes the ``run_id`` its config.yaml recorded (null for a run started without one),
    so that summary.json and W&B's group stay as they were when the run started.
    """
    for run_dir, config in zip(dirs, configs):
        stored = stored_config(run_dir)
        if diff := config_diff(stored, config):
            raise ResumeError(
                f"cannot resume {run_dir}: this command's config differs from its config.yaml in "
                f"{', '.join(diff)}. Resume with the same command, or choose another run_id."
            )
        config["run_id"] = stored.get("run_id")
    return [read_summary(run_dir) for run_dir in dirs]


def _load(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    state = checkpoint.load(path)
    checkpoint.check_state(state, path, FORMAT)
    return state


def ended_after(dirs: Sequence[Path], step: int) -> list[bool]:
    """Which of these ended members were still running at ``step``, the step the live members resume from.

    A member ends (summary.json says finished or diverged) and leaves the batch; the members left write a
    checkpoint at once (train.py). A kill between the two leaves the others' newest checkpoint from before
    the member ended, while the member was still in the batch: its own checkpoint at ``step`` says
    ``running``. Such a member is re-run from there with the others, so that the batch (and the metrics
    rows its end writes for everyone) is as it was and the resumed run is exact. A member without a
    readable checkpoint at ``step`` stays ended."""
    late = []
    for run_dir in dirs:
        try:
            state = next((s for name in (LATEST, PREVIOUS) if (s := _load(run_dir / name)) and
                          s["step"] == step), None)  # fmt: skip
        except checkpoint.CheckpointError:
            state = None
        late.append(state is not None and state["status"] == "running")
    return late


def resume_states(
    dirs: Sequence[Path],
    seeds: Sequence[int],
    summaries: Sequence[dict[str, Any] | None],
    ended: Sequence[bool],
) -> tuple[list[dict[str, Any]] | None, list[bool]]:
    """The checkpoints the members that have not ended resume from (None: none has one, restart), and which
    members stay ended: one that ended after those checkpoints' step rejoins them (:func:`ended_after`)."""
    live = [i for i, e in enumerate(ended) if not e]
    states = load_states([dirs[i] for i in live], [seeds[i] for i in live])
    if not states:
        return None, list(ended)
    step, was_ended = states[0]["step"], [i for i, e in enumerate(ended) if e]
    late = [i for i, r in zip(was_ended, ended_after([dirs[i] for i in was_ended], step)) if r]
    for i in late:
        summary = summaries[i] or {}
        print(f"{dirs[i]}: {summary.get('status')} at step {summary.get('steps')}, after the checkpoint at "
              f"step {step} that the others resume from: re-run from it with them, so that the resumed run "
              f"is exact", file=sys.stderr)  # fmt: skip
    if not late:
        return states, list(ended)
    ended = [e and i not in late for i, e in enumerate(ended)]
    live = [i for i, e in enumerate(ended) if not e]
    return load_states([dirs[i] for i in live], [seeds[i] for i in live]), ended


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
        if state["seed"] != seed:
            raise checkpoint.CheckpointError(
                f"{run_dir / LATEST}: seed {state['seed']}; expected seed {seed}"
            )
        states.append(state)
    return states
