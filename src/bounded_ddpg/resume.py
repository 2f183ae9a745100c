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

Which run a command resumes (docs/running.md, "Resume and preemption"): with ``run_id``, that run; without
one, :func:`unfinished_run`: the newest run of the same config, started without ``run_id`` in the same
``out_dir``, that has not ended and that no live process holds (under SLURM, this job's own runs first).
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from bounded_ddpg import checkpoint, lock
from bounded_ddpg.config import ConfigError
from bounded_ddpg.logger import WriteError

FORMAT = 1
LATEST, PREVIOUS = checkpoint.CHECKPOINT_NAME, "checkpoint.prev.pt"
ENDED = ("finished", "diverged")  # statuses that are final: such a member is never re-run
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


def _stored_config(run_dir: Path) -> dict[str, Any]:
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


def _summary(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / "summary.json"
    if not path.exists():
        return None
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ResumeError(f"cannot resume: {path} is not valid JSON ({e})") from e
    if not isinstance(summary, dict) or not isinstance(summary.get("status"), str):
        raise ResumeError(f"cannot resume: {path} has no status")
    return summary


def read_run_dirs(dirs: Sequence[Path], configs: Sequence[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """Check existing run directories against this command's member configs, reading only.

    Returns each member's summary.json (None where it is missing: killed before the first one was written).
    Each of ``configs`` takes the ``run_id`` its config.yaml recorded (null for a run started without one),
    so that summary.json and W&B's group stay as they were when the run started.
    """
    for run_dir, config in zip(dirs, configs):
        stored = _stored_config(run_dir)
        if diff := config_diff(stored, config):
            raise ResumeError(
                f"cannot resume {run_dir}: this command's config differs from its config.yaml in "
                f"{', '.join(diff)}. Resume with the same command, or choose another run_id."
            )
        config["run_id"] = stored.get("run_id")
    return [_summary(run_dir) for run_dir in dirs]


def slurm_job() -> str | None:
    """The SLURM job this process belongs to (``<array job id>_<task id>`` in an array), else None."""
    env = os.environ
    if env.get("SLURM_ARRAY_JOB_ID") and env.get("SLURM_ARRAY_TASK_ID"):
        return f"{env['SLURM_ARRAY_JOB_ID']}_{env['SLURM_ARRAY_TASK_ID']}"
    return env.get("SLURM_JOB_ID") or None


def _resumable(dirs: Sequence[Path], configs: Sequence[dict[str, Any]]) -> bool:
    """Whether ``dirs`` hold a run of exactly ``configs``, started without run_id, that has not ended
    and that no live process holds. A run that cannot be read is left to :func:`read_run_dirs` to name."""
    try:
        stored = [_stored_config(d) for d in dirs]
    except ResumeError:
        return False
    if any(s.get("run_id") is not None or config_diff(s, c) for s, c in zip(stored, configs)):
        return False
    if any(lock.held(d) for d in dirs):
        return False
    try:
        summaries = [_summary(d) for d in dirs]
    except ResumeError:
        return True  # ours, but damaged: resuming it names the file
    return not all(s is not None and s["status"] in ENDED for s in summaries)


def unfinished_run(seed_dirs: Sequence[Path], configs: Sequence[dict[str, Any]]) -> str | None:
    """The run id a command without ``run_id`` resumes, or None (then it starts a new run).

    ``seed_dirs``: each member's ``<out_dir>/<env>/<transform>/seed<k>/``. Candidates are the run ids that
    every member has, :func:`_resumable` for all of them; the newest (its config.yaml's time) is chosen,
    except that under SLURM a run this job started (its id names the job, see :func:`slurm_job`) comes first,
    so that a requeued job picks up its own run.
    """
    try:
        names = set.intersection(*({p.name for p in d.iterdir() if p.is_dir()} for d in seed_dirs))
    except OSError:  # no such directory yet (or none readable): nothing to resume
        return None
    job = slurm_job()
    found = []
    for name in names:
        dirs = [d / name for d in seed_dirs]
        if _resumable(dirs, configs):
            mine = job is not None and f"-slurm{job}-" in f"-{name}-"
            found.append((mine, max((d / "config.yaml").stat().st_mtime for d in dirs), name))
    return max(found)[2] if found else None


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


CONFIG_FLAGS = ("--config-dir", "-cd", "--config-path", "-cp", "--config-name", "-cn")  # Hydra's


def resume_command(program: str, argv: Sequence[str], overrides: Sequence[str], run_id: str | None) -> str:
    """The shell command that resumes this run (one job's, under ``-m``): ``program``, Hydra's config
    flags from ``argv``, the job's ``overrides`` (Hydra's task overrides and ``hydra.searchpath``) and,
    unless they set one, ``run_id=<run_id>``, each quoted for a POSIX shell."""
    flags: list[str] = []
    for i, arg in enumerate(argv):
        name = arg.split("=", 1)[0]
        if name in CONFIG_FLAGS:
            flags += [arg] if "=" in arg else list(argv[i : i + 2])
    named = any(o.split("=", 1)[0].lstrip("+~") == "run_id" for o in overrides)
    extra = [f"run_id={run_id}"] if run_id and not named else []
    return " ".join([program, *map(shlex.quote, [*flags, *overrides, *extra])])
