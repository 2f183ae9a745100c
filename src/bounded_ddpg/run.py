"""`python -m bounded_ddpg.run [KEY=VALUE ...]`: compose the config, build, train, evaluate, write.

The configs ship inside the package (``bounded_ddpg/conf``, docs/running.md has the reference). Composition
and validation come first; only then are run directories created, one per member (``cfg.seeds``, default
one member with ``cfg.seed``): ``<out_dir>/<env>/<transform>/seed<k>/<run id>/`` (docs/run-directory.md).
Hydra's own files (``.hydra/``, the log) go to ``<out_dir>/.hydra/``, never into the working directory.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any

os.environ.setdefault("WANDB_ERROR_REPORTING", "false")  # before anything can import wandb

import hydra
import torch
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from bounded_ddpg import config as schema
from bounded_ddpg.agent import DDPG
from bounded_ddpg.envs.factory import make_env
from bounded_ddpg.logger import RunLogger, git_commit, new_run_id, run_dir_for, versions, wandb_login_problem
from bounded_ddpg.replay import ReplayBuffer
from bounded_ddpg.seeding import derive_seed
from bounded_ddpg.train import FINISHED, INTERRUPTED, Member, Trainer

schema.register()
log = logging.getLogger("bounded_ddpg")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def train_from_config(cfg: DictConfig) -> list[dict[str, Any]]:
    """Train every member of ``cfg`` and return their summaries (status, final_eval, ...)."""
    schema.validate(cfg)
    seeds = list(cfg.seeds) if cfg.seeds is not None else [cfg.seed]
    if cfg.wandb.mode != "disabled" and len(seeds) > 1 and os.environ.get("WANDB_SWEEP_ID"):
        raise schema.ConfigError(
            "under a W&B sweep agent a run has one member: use seed=..., not seeds=[...]"
        )
    if problem := wandb_login_problem(cfg.wandb.mode):
        raise schema.ConfigError(problem)
    torch.set_num_threads(cfg.torch_threads)
    run_id = cfg.run_id or new_run_id()
    dirs = [run_dir_for(cfg.out_dir, cfg.env.name, cfg.transform.name, s, run_id) for s in seeds]
    if taken := [str(d) for d in dirs if d.exists()]:
        raise schema.ConfigError(f"run directory already exists: {', '.join(taken)} (choose another run_id)")
    envs = [(make_env(cfg.env.id, seed=s), make_env(cfg.env.id, seed=derive_seed(s, "eval"))) for s in seeds]
    env = envs[0][0]
    obs_dim, low, high = env.observation_space.shape[0], env.action_space.low, env.action_space.high  # type: ignore[attr-defined,index]
    n_discrete = int(getattr(env, "n_discrete", 0))
    agent_cfg = OmegaConf.to_object(cfg.agent)
    assert isinstance(agent_cfg, schema.AgentConfig)
    agent = DDPG(obs_dim, low, high, agent_cfg, cfg.transform.name, n_discrete, seeds, cfg.device)
    capacity = min(agent_cfg.buffer_size, cfg.budget.steps or agent_cfg.buffer_size)  # never wraps: same
    replay = ReplayBuffer(capacity, obs_dim, low.size, seeds, cfg.device)
    meta = {"versions": versions(), "git_commit": git_commit()}
    plain = schema.to_plain(cfg)
    members = []
    for seed, run_dir, (train_env, eval_env) in zip(seeds, dirs, envs):
        member_cfg = {
            **plain,
            "seed": seed,
            "seeds": None,
        }  # exactly what a single run with this seed records
        logger = RunLogger(run_dir, member_cfg, p_goal=cfg.env.name == "Goal", meta=meta)
        members.append(Member(seed, train_env, eval_env, logger))
        log.info("run directory: %s", run_dir)
    trainer = Trainer(cfg, agent, replay, members)
    for m, member in enumerate(members):
        member.logger.write_summary(trainer.summary(m))  # status "running" until the final one replaces it
    if (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    ):
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        trainer.run()
    except KeyboardInterrupt:
        for m, member in enumerate(members):
            if member.status == INTERRUPTED:
                member.logger.close(trainer.summary(m))
        raise
    finally:
        for pair in envs:
            for e in pair:
                e.close()
    summaries = [trainer.summary(m) for m in range(len(members))]
    for s, d in zip(summaries, dirs):
        fe = s["final_eval"]
        extra = f", P(goal) {fe['p_goal']:.3f}" if fe.get("p_goal") is not None else ""
        log.info("%s seed %d: %s, final eval return %s%s (%s)", s["env"], s["seed"], s["status"],
                 fe.get("return_mean"), extra, d)  # fmt: skip
    return summaries


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def hydra_main(cfg: DictConfig) -> float | None:
    """Hydra's task function; returns the first member's final evaluation return (for Hydra sweepers)."""
    log.info("overrides: %s", " ".join(HydraConfig.get().overrides.task) or "(none)")
    try:
        summaries = train_from_config(cfg)
    except schema.ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted: summary.json says status interrupted", file=sys.stderr)
        sys.exit(130)
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
