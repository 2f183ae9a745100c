"""Which run a command without ``run_id`` resumes, and the command that resumes a stopped run.

The rule (docs/running.md, "Resume and preemption"): without ``run_id``, a command resumes the newest run of
the same config (every key but ``progress`` and ``out_dir``) in the same ``out_dir`` that was started
without ``run_id``, has not ended (``finished``, ``diverged``) and is held by no live process; under SLURM
a run this job started comes first, so a requeued job picks up its own run. Otherwise it starts a new run,
whose generated id names the SLURM job when there is one. A run given a ``run_id`` is resumed by it.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bounded_ddpg import lock
from bounded_ddpg.resume import ENDED, ResumeError, config_diff, read_summary, stored_config


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
        stored = [stored_config(d) for d in dirs]
    except ResumeError:
        return False
    if any(s.get("run_id") is not None or config_diff(s, c) for s, c in zip(stored, configs)):
        return False
    if any(lock.held(d) for d in dirs):
        return False
    try:
        summaries = [read_summary(d) for d in dirs]
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
