"""`python -m bounded_ddpg.run [KEY=VALUE ...]`: compose the config, build, train, evaluate, write.

The configs ship inside the package (``bounded_ddpg/conf``, docs/running.md has the reference). Composition
and validation come first; only then are run directories created, one per member (every pair of
``cfg.transforms`` x ``cfg.seeds``; by default one member, ``cfg.transform`` with ``cfg.seed``):
``<out_dir>/<env>/<transform>/seed<k>/<run id>/`` (docs/run-directory.md).
Hydra's own files (``.hydra/``, the log) go to ``<out_dir>/.hydra/``, never into the working directory.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

os.environ.setdefault("WANDB_ERROR_REPORTING", "false")  # before anything can import wandb

import hydra
import torch
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from bounded_ddpg import config as schema
from bounded_ddpg import resume
from bounded_ddpg.agent import DDPG
from bounded_ddpg.checkpoint import CheckpointError
from bounded_ddpg.envs.factory import make_env, reports_goals
from bounded_ddpg.logger import RunLogger, git_commit, new_run_id, run_dir_for, versions, wandb_login_problem
from bounded_ddpg.replay import ReplayBuffer
from bounded_ddpg.train import FINISHED, INTERRUPTED, RUNNING, Member, Stopped, Trainer

schema.register()
log = logging.getLogger("bounded_ddpg")
# Exit statuses (docs/running.md): 0 finished (or diverged, or already ended), 2 bad config or run
# directory, 130 SIGINT (128 + 2), 143 SIGTERM/preemption (128 + 15, what a shell reports for a process
# killed by SIGTERM); both after writing a checkpoint.
EXIT_INTERRUPTED, EXIT_PREEMPTED = 130, 143


def _members(cfg: DictConfig) -> tuple[list[str], list[int]]:
    """(transform, seed) of every member: the product of ``transforms`` (or ``transform``) and ``seeds``."""
    names = list(cfg.transforms) if cfg.transforms is not None else [cfg.transform.name]
    seeds = list(cfg.seeds) if cfg.seeds is not None else [cfg.seed]
    pairs = [(t, s) for t in names for s in seeds]
    return [t for t, _ in pairs], [s for _, s in pairs]


def _member_configs(cfg: DictConfig, names: list[str], seeds: list[int]) -> list[dict[str, Any]]:
    plain = schema.to_plain(cfg)
    return [  # exactly what a single run records
        {
            **plain,
            "transform": {**plain["transform"], "name": t},
            "transforms": None,
            "seed": s,
            "seeds": None,
        }
        for t, s in zip(names, seeds)
    ]


def train_from_config(cfg: DictConfig) -> list[dict[str, Any]]:
    """Train (or resume) every member of ``cfg`` and return their summaries (status, final_eval, ...)."""
    schema.validate(cfg)
    names, seeds = _members(cfg)
    if cfg.wandb.mode != "disabled" and len(seeds) > 1 and os.environ.get("WANDB_SWEEP_ID"):
        raise schema.ConfigError(
            "under a W&B sweep agent a run has one member: use seed=... and transform=..., not seeds=[...] "
            "or transforms=[...]"
        )
    if problem := wandb_login_problem(cfg.wandb.mode):
        raise schema.ConfigError(problem)
    torch.set_num_threads(cfg.torch_threads)
    run_id = cfg.run_id or new_run_id()
    dirs = [run_dir_for(cfg.out_dir, cfg.env.name, t, s, run_id) for t, s in zip(names, seeds)]
    configs = _member_configs(cfg, names, seeds)
    summaries: list[dict[str, Any] | None] = [None] * len(seeds)
    states = None
    exists = [d.exists() for d in dirs]  # resume: everything is read and checked before any write
    if any(exists) and not all(exists):
        missing = ", ".join(str(d) for d, e in zip(dirs, exists) if not e)
        raise resume.ResumeError(f"cannot resume run_id={run_id}: no run directory {missing}")
    if all(exists):
        summaries = resume.read_run_dirs(dirs, configs)
        if all(s is not None and s["status"] in resume.ENDED for s in summaries):
            for d, s in zip(dirs, summaries):
                print(f"{d}: already {s['status']} (summary.json); nothing to do", file=sys.stderr)  # type: ignore[index]
            return [s for s in summaries if s is not None]
        states = resume.load_states(dirs, seeds)
    with _stop_signals() as received:  # from here on, a SIGTERM ends in a checkpoint
        trainer = _build(cfg, names, seeds, dirs, configs, summaries, states)
        trainer.stop_signals = received
        return _train(trainer)


def _build(
    cfg: DictConfig,
    names: list[str],
    seeds: list[int],
    dirs: list[Path],
    configs: list[dict[str, Any]],
    summaries: list[dict[str, Any] | None],
    states: list[dict[str, Any]] | None,
) -> Trainer:
    """Agent, replay, environments and loggers (new, resumed, or left alone when ended), restored."""
    envs = [(make_env(cfg.env.id), make_env(cfg.env.id)) for _ in seeds]  # seeded by tapes and evaluations
    env = envs[0][0]
    obs_dim, low, high = env.observation_space.shape[0], env.action_space.low, env.action_space.high  # type: ignore[attr-defined,index]
    n_discrete = int(getattr(env, "n_discrete", 0))
    agent_cfg = OmegaConf.to_object(cfg.agent)
    assert isinstance(agent_cfg, schema.AgentConfig)
    transform = names[0] if len(set(names)) == 1 else names  # one name, or one per member
    agent = DDPG(obs_dim, low, high, agent_cfg, transform, n_discrete, seeds, cfg.device)
    capacity = min(agent_cfg.buffer_size, cfg.budget.steps or agent_cfg.buffer_size)  # never wraps: same
    replay = ReplayBuffer(capacity, obs_dim, low.size, seeds, cfg.device)
    meta = {"versions": versions(), "git_commit": git_commit()}
    members = []
    for m, (name, seed, run_dir, (train_env, eval_env)) in enumerate(zip(names, seeds, dirs, envs)):
        summary = summaries[m]
        ended = summary is not None and summary["status"] in resume.ENDED
        mode = "done" if ended else "resume" if run_dir.exists() else "new"
        offsets = states[m]["logger_offsets"] if states else None
        logger = RunLogger(run_dir, configs[m], reports_goals(cfg.env.id), meta, mode, offsets)
        members.append(Member(name, seed, train_env, eval_env, logger))
        log.info("run directory: %s (%s)", run_dir, {"done": "already ended"}.get(mode, mode))
    trainer = Trainer(cfg, agent, replay, members)
    if states:
        resume.restore(trainer, states, summaries)
        log.info("resumed at step %d", trainer.step)
    for m, member in enumerate(members):
        if member.status == RUNNING:
            member.logger.write_summary(trainer.summary(m))  # "running" until the final one replaces it
    return trainer


@contextlib.contextmanager
def _stop_signals() -> Iterator[list[int]]:
    """SIGTERM and SIGINT append to the yielded list (the loop checkpoints and stops at its next step
    boundary); a second SIGINT raises KeyboardInterrupt at once. Previous handlers come back afterwards."""
    received: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if received and signum == signal.SIGINT:
            raise KeyboardInterrupt
        received.append(signum)

    handlers = {}
    if threading.current_thread() is threading.main_thread():
        handlers = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield received
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def _train(trainer: Trainer) -> list[dict[str, Any]]:
    members = trainer.members
    try:
        trainer.run()
    except (KeyboardInterrupt, Stopped):
        for m, member in enumerate(members):
            if member.status == INTERRUPTED:
                member.logger.close(trainer.summary(m))
        raise
    finally:
        for member in members:
            member.env.close()
            member.eval_env.close()
    summaries = [trainer.summary(m) for m in range(len(members))]
    for s, member in zip(summaries, members):
        fe = s["final_eval"]
        extra = f", P(goal) {fe['p_goal']:.3f}" if fe.get("p_goal") is not None else ""
        log.info("%s seed %d: %s, final eval return %s%s (%s)", s["env"], s["seed"], s["status"],
                 fe.get("return_mean"), extra, member.logger.run_dir)  # fmt: skip
    return summaries


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def hydra_main(cfg: DictConfig) -> float | None:
    """Hydra's task function; returns the first member's final evaluation return (for Hydra sweepers)."""
    log.info("overrides: %s", " ".join(HydraConfig.get().overrides.task) or "(none)")
    try:
        summaries = train_from_config(cfg)
    except (schema.ConfigError, CheckpointError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except Stopped as e:
        preempted = e.signum == signal.SIGTERM
        what = "interrupted (preempted)" if preempted else "interrupted"
        print(f"{e}: checkpoint written, summary.json says {what}; the same command resumes", file=sys.stderr)
        sys.exit(EXIT_PREEMPTED if preempted else EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        print("interrupted: summary.json says status interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    first = summaries[0]
    return first["final_eval"]["return_mean"] if first["status"] == FINISHED else None


def main() -> None:
    """Console entry point: name unknown keys (with the valid ones) before Hydra composes."""
    if message := schema.unknown_key_message([a for a in sys.argv[1:] if "=" in a and not a.startswith("-")]):
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)
    hydra_main()


if __name__ == "__main__":
    main()
