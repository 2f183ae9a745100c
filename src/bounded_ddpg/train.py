"""The training loop: M members in lockstep, each with its own environment, evaluation env and run directory.

One agent step for all members: one observation tensor [M, obs_dim], one ``act`` (uniform random actions in
the flat box before ``learning_starts``), the environment receives ``clip(u, low, high)``, the replay stores
the raw or the clipped action (``agent.store_action``), then ``updates_per_step`` batched updates. A member
whose budget is reached is evaluated and finalised at once (its result is what a single run would give);
it keeps stepping, unlogged, until every member is done.
"""

from __future__ import annotations

import math
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from scipy.stats import trim_mean
from torch import Tensor
from tqdm import tqdm

from bounded_ddpg.agent import DDPG
from bounded_ddpg.logger import DIAGNOSTIC_KEYS, METRIC_KEYS, RunLogger
from bounded_ddpg.replay import ReplayBuffer
from bounded_ddpg.seeding import torch_generator

FINISHED, DIVERGED, INTERRUPTED, RUNNING = "finished", "diverged", "interrupted", "running"


@dataclass
class Member:
    """One seed's environments, run directory and bookkeeping."""

    seed: int
    env: gym.Env[Any, Any]
    eval_env: gym.Env[Any, Any]
    logger: RunLogger
    episodes: int = 0
    status: str = RUNNING
    final_eval: dict[str, Any] = field(default_factory=dict)
    diagnostics: dict[str, float | None] = field(default_factory=dict)


def evaluate(
    agent: DDPG, members: list[Member], active: list[bool], n_episodes: int, low: Tensor, high: Tensor
) -> list[dict[str, Any] | None]:
    """Greedy episodes (no noise) on each active member's evaluation env, members stepped in lockstep."""
    m_count = len(members)
    returns: list[list[float]] = [[] for _ in members]
    goals: list[list[bool]] = [[] for _ in members]
    obs_dim = members[0].eval_env.observation_space.shape[0]  # type: ignore[index]
    for _ in range(n_episodes):
        obs = np.zeros((m_count, obs_dim), dtype=np.float32)
        running = list(active)
        totals = np.zeros(m_count)
        for m in map(int, np.flatnonzero(running)):
            obs[m] = members[m].eval_env.reset()[0]
        while any(running):
            u = agent.act(torch.from_numpy(obs), explore=False).cpu()
            action = torch.nan_to_num(torch.clamp(u, low, high)).numpy()
            for m in map(int, np.flatnonzero(running)):
                next_obs, reward, terminated, truncated, info = members[m].eval_env.step(action[m])
                obs[m], totals[m] = next_obs, totals[m] + float(reward)
                if terminated or truncated:
                    running[m] = False
                    returns[m].append(totals[m])
                    goals[m].append(bool(info.get("goal", False)))
    out: list[dict[str, Any] | None] = []
    for m, member in enumerate(members):
        if not active[m]:
            out.append(None)
            continue
        r = np.asarray(returns[m])
        stats: dict[str, Any] = {
            "return_mean": float(r.mean()),
            "return_std": float(r.std()),
            "return_iqm": float(trim_mean(r, 0.25)),
            "n_episodes": len(r),
        }
        if member.logger.p_goal:
            stats["p_goal"] = float(np.mean(goals[m]))
        out.append(stats)
    return out


class Trainer:
    def __init__(self, cfg: Any, agent: DDPG, replay: ReplayBuffer, members: list[Member]) -> None:
        self.cfg, self.agent, self.replay, self.members = cfg, agent, replay, members
        self.low, self.high = agent.low.cpu(), agent.high.cpu()
        self.warmup = [torch_generator(m.seed, "warmup") for m in members]
        self.step, self.t0 = 0, time.perf_counter()
        self.sums: dict[str, Tensor] = {}
        self.counts: dict[str, int] = {}
        self.diag_rows: list[tuple[int, np.ndarray]] = []  # (actor updates, diagnostic sums [K, M])
        self.recent: deque[float] = deque(maxlen=20)

    def active(self) -> list[bool]:
        return [m.status == RUNNING for m in self.members]

    def run(self) -> None:
        cfg, agent, members = self.cfg, self.agent, self.members
        a_cfg = cfg.agent
        bar = tqdm(
            total=cfg.budget.steps, disable=not cfg.progress, file=sys.stderr, unit="step", mininterval=1.0
        )
        obs = np.stack([m.env.reset()[0] for m in members]).astype(np.float32)
        totals, last_postfix = np.zeros(len(members)), 0.0
        reward_scale, raw = float(cfg.env.reward_scale), a_cfg.store_action == "raw"
        if cfg.eval.every_steps:
            self.periodic_eval(self.active())  # step 0: the initial policy, so curves start at the start
        try:
            while any(self.active()):
                obs_t = torch.from_numpy(obs)
                if self.step < a_cfg.learning_starts:
                    u = torch.stack([self.low + (self.high - self.low) * torch.rand(
                        self.low.shape, generator=g) for g in self.warmup])  # fmt: skip
                else:
                    u = agent.act(obs_t, explore=True).cpu()
                executed = torch.nan_to_num(torch.clamp(u, self.low, self.high))
                action = executed.numpy()
                next_obs = np.empty_like(obs)
                reward = np.empty(len(members), dtype=np.float32)
                flags = np.zeros((2, len(members)), dtype=bool)  # terminated, truncated
                for m, member in enumerate(members):
                    o, r, flags[0, m], flags[1, m], _ = member.env.step(action[m])
                    next_obs[m], reward[m] = o, r
                totals += reward
                terminated, truncated = torch.from_numpy(flags[0]), torch.from_numpy(flags[1])
                # next_obs is the real final observation also on truncation (reset comes after).
                self.replay.add(obs_t, u if raw else executed, torch.from_numpy(reward * reward_scale),
                                torch.from_numpy(next_obs), terminated, truncated)  # fmt: skip
                done = flags[0] | flags[1]
                for m in map(int, np.flatnonzero(done)):
                    next_obs[m] = members[m].env.reset()[0]
                    members[m].episodes += 1
                    self.recent.append(float(totals[m]))
                    totals[m] = 0.0
                if done.any():
                    agent.end_episode(torch.from_numpy(done))
                obs = next_obs
                self.step += 1
                if self.step >= a_cfg.learning_starts:
                    for _ in range(a_cfg.updates_per_step):
                        self.accumulate(agent.update(self.replay.sample(a_cfg.batch_size)))
                bar.update(1)
                if done.any() and (now := time.perf_counter()) - last_postfix > 1.0:
                    last_postfix = now
                    eps = sum(m.episodes for m in members)
                    recent = float(np.mean(self.recent))
                    bar.set_postfix(episodes=eps, ret=f"{recent:.3g}", refresh=False)
                if self.step % cfg.log_every_steps == 0:
                    self.flush_metrics()
                reached = [self.budget_reached(member) for member in members]
                if cfg.eval.every_steps and self.step % cfg.eval.every_steps == 0:
                    self.periodic_eval([a and not r for a, r in zip(self.active(), reached)])
                if any(reached):
                    self.finish(reached)
        except KeyboardInterrupt:
            self.flush_metrics()
            for member in members:
                if member.status == RUNNING:
                    member.status = INTERRUPTED
            raise
        finally:
            bar.close()

    def budget_reached(self, member: Member) -> bool:
        steps, episodes = self.cfg.budget.steps, self.cfg.budget.episodes
        if member.status != RUNNING:
            return False
        return (steps is not None and self.step >= steps) or (
            episodes is not None and member.episodes >= episodes
        )

    def accumulate(self, metrics: dict[str, Tensor]) -> None:
        for key in METRIC_KEYS:
            if key in metrics:
                value = metrics[key].detach()
                self.sums[key] = self.sums[key] + value if key in self.sums else value.clone()
                self.counts[key] = self.counts.get(key, 0) + 1

    def flush_metrics(self) -> None:
        """One metrics.csv row per running member: means of the update metrics since the last row."""
        if not self.sums:
            return
        means = {k: (self.sums[k] / self.counts[k]).cpu().numpy() for k in self.sums}
        n_actor = self.counts.get(DIAGNOSTIC_KEYS[0], 0)
        if n_actor:
            self.diag_rows.append((n_actor, np.stack([self.sums[k].cpu().numpy() for k in DIAGNOSTIC_KEYS])))
        self.sums, self.counts = {}, {}
        wall = time.perf_counter() - self.t0
        for m, member in enumerate(self.members):
            if member.status != RUNNING:
                continue
            values = {k: float(v[m]) for k, v in means.items()}
            member.logger.log_metrics(self.step, member.episodes, wall, values)
            if not all(math.isfinite(v) for v in values.values()):
                member.status = DIVERGED
                member.logger.close(self.summary(m))

    def periodic_eval(self, which: list[bool]) -> None:
        """Greedy evaluation of the members in ``which`` (a member reaching its budget gets the final one)."""
        if any(which):
            self.log_evals(
                evaluate(self.agent, self.members, which, self.cfg.eval.episodes, self.low, self.high)
            )

    def log_evals(self, results: list[dict[str, Any] | None]) -> None:
        wall = time.perf_counter() - self.t0
        for member, stats in zip(self.members, results):
            if stats is not None:
                member.logger.log_eval(self.step, member.episodes, wall, stats)

    def finish(self, reached: list[bool]) -> None:
        """Final evaluation and summary.json for the members whose budget was just reached."""
        self.flush_metrics()
        reached = [r and m.status == RUNNING for r, m in zip(reached, self.members)]
        results = evaluate(
            self.agent, self.members, reached, self.cfg.eval.final_episodes, self.low, self.high
        )
        self.log_evals(results)
        for m, stats in enumerate(results):
            if stats is not None:
                member = self.members[m]
                member.final_eval = stats
                member.status = FINISHED if math.isfinite(stats["return_mean"]) else DIVERGED
                member.logger.close(self.summary(m))

    def summary(self, m: int) -> dict[str, Any]:
        """summary.json fields for member m (the logger adds schema and config)."""
        member, cfg = self.members[m], self.cfg
        final = {
            k: member.final_eval.get(k) for k in ("return_mean", "return_std", "return_iqm", "n_episodes")
        }
        final["p_goal"] = member.final_eval.get("p_goal")
        # diagnostics: means over the last 10% of actor updates (whole metrics rows, newest first)
        total = sum(n for n, _ in self.diag_rows)
        taken, sums = 0, np.zeros(len(DIAGNOSTIC_KEYS))
        for n, row in reversed(self.diag_rows):
            if total and taken >= 0.1 * total:
                break
            taken, sums = taken + n, sums + row[:, m]
        diag = {
            k: (float(s / taken) if taken and math.isfinite(s) else None)
            for k, s in zip(DIAGNOSTIC_KEYS, sums)
        }
        return {
            "env": cfg.env.name,
            "env_id": cfg.env.id,
            "transform": cfg.transform.name,
            "seed": member.seed,
            "status": member.status,
            "steps": self.step,
            "episodes": member.episodes,
            "final_eval": final,
            "diagnostics": diag,
            "wall_clock_s": round(time.perf_counter() - self.t0, 3),
        }
