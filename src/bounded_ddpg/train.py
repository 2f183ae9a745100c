"""The training loop: M members in lockstep, each with its own environment, evaluation env and run directory.

One agent step for all members: one observation tensor [M, obs_dim], one ``act`` (uniform random actions in
the flat box before ``learning_starts``, unless ``agent.warmup=policy``: then the agent's exploring policy),
the environment receives ``clip(u, low, high)``, the replay stores the raw or the clipped action
(``agent.store_action``), then ``updates_per_step`` batched updates. A member whose budget is reached (or
that diverges) is evaluated and finalised at once, then leaves the batch (``compact``): the agent, the
replay and every per-member array are rebuilt without it, so it costs no more environment steps or updates,
and a process whose members end at different times costs the sum of their work rather than M times the
longest.

Every ``checkpoint_every_steps`` steps, and at once on SIGTERM/SIGINT (``stop_signals``), each member's run
directory gets a checkpoint (resume.py); a member whose action, update metric or parameter turns NaN or
infinite stops with status ``diverged`` while the others continue.
"""

from __future__ import annotations

import math
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf
from torch import Tensor
from tqdm import tqdm

from bounded_ddpg import resume
from bounded_ddpg.agents import DDPG
from bounded_ddpg.checkpoint import EpisodeTape
from bounded_ddpg.compiled import CompiledUpdate
from bounded_ddpg.evaluation import evaluate
from bounded_ddpg.logger import DIAGNOSTIC_KEYS, METRIC_KEYS, RunLogger, WriteError
from bounded_ddpg.progress import RECENT, TrainingBar, training_postfix
from bounded_ddpg.replay import ReplayBuffer
from bounded_ddpg.seeding import torch_generator

FINISHED, DIVERGED, INTERRUPTED, RUNNING = "finished", "diverged", "interrupted", "running"
# Testing hook: "<seed>@<step>" fills that member's actor parameters with NaN after that step.
INJECT_NAN = "BOUNDED_DDPG_INJECT_NAN"


class Stopped(Exception):
    """Training stopped at a step boundary on a signal, after writing a checkpoint."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


@dataclass
class Member:
    """One (transform, seed) member's environments, run directory and bookkeeping."""

    transform: str
    seed: int
    env: gym.Env[Any, Any]
    eval_env: gym.Env[Any, Any]
    logger: RunLogger = field(
        init=False
    )  # set once a resume's checkpoint is restored (nothing written before)
    tape: EpisodeTape = field(default_factory=EpisodeTape)
    episodes: int = 0
    status: str = RUNNING
    final_eval: dict[str, Any] = field(default_factory=dict)
    diagnostics: dict[str, float | None] = field(default_factory=dict)
    summary: dict[str, Any] | None = None  # the final summary.json, once the member has ended


class Trainer:
    def __init__(self, cfg: Any, agent: DDPG, replay: ReplayBuffer, members: list[Member]) -> None:
        # A plain dataclass, not a DictConfig: the loop reads it every step, and each DictConfig attribute
        # access costs ~10 us (a few percent of a Platform step).
        self.cfg: Any = OmegaConf.to_object(cfg) if isinstance(cfg, DictConfig) else cfg
        self.agent, self.replay, self.members = agent, replay, members
        self.all_members = list(members)  # self.members drops those that ended (compact)
        self.low, self.high = agent.low.cpu(), agent.high.cpu()
        self.warmup = [torch_generator(m.seed, "warmup") for m in members]
        self.step, self.t0 = 0, time.perf_counter()
        self.sums: dict[str, Tensor] = {}
        self.counts: dict[str, int] = {}
        self.diag_rows: list[tuple[int, np.ndarray]] = []  # (actor updates, diagnostic sums [K, M])
        self.recent: deque[float] = deque(maxlen=RECENT)
        self.totals = np.zeros(len(members))  # return of each member's current training episode so far
        self.obs: np.ndarray | None = None  # set by resume.restore: the observations to act on
        self.stop_signals: list[
            int
        ] = []  # appended to by signal handlers; honoured at the next step boundary
        self.preempted = False
        self.reason: str | None = None  # why the run stopped early (a signal, a write failure)
        self.bar: tqdm[Any] | None = None
        # agent.compile: the update compiled (compiled.py), shared by the agents compact() rebuilds
        self.compiled: CompiledUpdate | None = CompiledUpdate() if cfg.agent.compile else None

    def progress_postfix(self) -> str:
        """The bar's postfix: training episodes finished by all members, the last 20's mean return."""
        return training_postfix(sum(m.episodes for m in self.all_members), self.recent)

    def active(self) -> list[bool]:
        return [m.status == RUNNING for m in self.members]

    def run(self) -> None:
        cfg, agent, members = self.cfg, self.agent, self.members
        a_cfg, every = cfg.agent, cfg.checkpoint_every_steps
        self.bar = bar = TrainingBar(self.progress_postfix, total=cfg.budget.steps, initial=self.step,
                                     disable=not cfg.progress, file=sys.stderr, unit="step",
                                     mininterval=1.0)  # fmt: skip
        fault = os.environ.get(INJECT_NAN, "").partition("@")
        reward_scale, raw = float(cfg.env.reward_scale), a_cfg.store_action == "raw"
        try:
            if self.obs is None:  # a fresh run (a resumed one has rebuilt its episodes from their tapes)
                self.obs = np.stack([m.tape.reset(m.env, seed=m.seed)[0] for m in members]).astype(np.float32)
                if cfg.eval.every_steps:
                    self.periodic_eval(self.active())  # step 0: the initial policy: curves start at the start
            while any(self.active()):
                obs_t = torch.from_numpy(self.obs)
                if self.step < a_cfg.learning_starts and a_cfg.warmup == "uniform":
                    u = torch.stack([self.low + (self.high - self.low) * torch.rand(
                        self.low.shape, generator=g) for g in self.warmup])  # fmt: skip
                else:
                    u = agent.act(obs_t, explore=True).cpu()
                    for m in map(int, torch.nonzero(~torch.isfinite(u).all(1)).flatten()):
                        self.diverge(m)
                executed = torch.nan_to_num(torch.clamp(u, self.low, self.high))
                action = executed.numpy()
                next_obs = np.empty_like(self.obs)
                reward = np.empty(len(members), dtype=np.float32)
                flags = np.zeros((2, len(members)), dtype=bool)  # terminated, truncated
                for m, member in enumerate(members):
                    member.tape.record(action[m])
                    o, r, flags[0, m], flags[1, m], _ = member.env.step(action[m])
                    next_obs[m], reward[m] = o, r
                self.totals += reward
                terminated, truncated = torch.from_numpy(flags[0]), torch.from_numpy(flags[1])
                # next_obs is the real final observation also on truncation (reset comes after).
                self.replay.add(obs_t, u if raw else executed, torch.from_numpy(reward * reward_scale),
                                torch.from_numpy(next_obs), terminated, truncated)  # fmt: skip
                done = flags[0] | flags[1]
                for m in map(int, np.flatnonzero(done)):
                    next_obs[m] = members[m].tape.reset(members[m].env)[0]
                    members[m].episodes += 1
                    self.recent.append(float(self.totals[m]))
                    self.totals[m] = 0.0
                if done.any():
                    agent.end_episode(torch.from_numpy(done))
                self.obs = next_obs
                self.step += 1
                if self.step >= a_cfg.learning_starts:
                    if a_cfg.lr_decay == "linear":
                        agent.lr_scale = self.budget_left()
                    for _ in range(a_cfg.updates_per_step):
                        batch = self.replay.sample(a_cfg.batch_size)
                        self.accumulate(self.compiled(agent, batch) if self.compiled else agent.update(batch))
                if (
                    fault[2]
                    and self.step == int(fault[2])
                    and int(fault[0]) in (seeds := [m.seed for m in members])
                ):
                    with torch.no_grad():
                        for p in agent.actor.parameters():
                            p[seeds.index(int(fault[0]))] = float("nan")
                bar.update(1)
                if self.step % cfg.log_every_steps == 0:
                    self.flush_metrics()
                reached = [self.budget_reached(member) for member in members]
                if cfg.eval.every_steps and self.step % cfg.eval.every_steps == 0:
                    self.periodic_eval([a and not r for a, r in zip(self.active(), reached)])
                if any(reached):
                    self.finish(reached)
                compacted = self.compact()  # members that ended leave the batch
                if compacted:
                    agent, members = self.agent, self.members
                # A checkpoint right after a member leaves keeps resumes exact: the remaining members'
                # newest checkpoint never holds a member that ended after it (the batch size would differ).
                if (every and (self.step % every == 0 or compacted)) or self.stop_signals:
                    self.save_checkpoints()
                if self.stop_signals:
                    raise Stopped(self.stop_signals[0])
        except (KeyboardInterrupt, Stopped, WriteError) as e:
            self.preempted = isinstance(e, Stopped) and e.signum == signal.SIGTERM
            second_sigint = "stopped by a second SIGINT, without a checkpoint"
            self.reason = second_sigint if isinstance(e, KeyboardInterrupt) else str(e)
            if not isinstance(e, WriteError):  # after a failed write, write nothing more than the summaries
                self.flush_metrics()
            for member in members:
                if member.status == RUNNING:
                    member.status = INTERRUPTED
            raise
        finally:
            bar.close()
            self.bar = None

    def budget_reached(self, member: Member) -> bool:
        steps, episodes = self.cfg.budget.steps, self.cfg.budget.episodes
        if member.status != RUNNING:
            return False
        return (steps is not None and self.step >= steps) or (
            episodes is not None and member.episodes >= episodes
        )

    def budget_left(self) -> Tensor:
        """[M] the fraction of each member's budget still left: 1 - max(step / budget.steps, episodes /
        budget.episodes), at least 0 (agent.lr_decay=linear scales the learning rates by it)."""
        steps, episodes = self.cfg.budget.steps, self.cfg.budget.episodes
        left = [1.0 - max(self.step / steps if steps else 0.0, m.episodes / episodes if episodes else 0.0)
                for m in self.members]  # fmt: skip
        return torch.tensor(left).clamp(min=0.0)

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
        finite = self.agent.finite_members()
        for m, member in enumerate(self.members):
            if member.status != RUNNING:
                continue
            values = {k: float(v[m]) for k, v in means.items()}
            member.logger.log_metrics(self.step, member.episodes, wall, values)
            if not finite[m] or not all(math.isfinite(v) for v in values.values()):
                self.diverge(m)

    def diverge(self, m: int) -> None:
        """Member m produced a NaN or infinity: it stops with status diverged (the others go on)."""
        if self.members[m].status == RUNNING:
            self.members[m].status = DIVERGED
            self.close(m)

    def periodic_eval(self, which: list[bool]) -> None:
        """Greedy evaluation of the members in ``which`` (a member reaching its budget gets the final one)."""
        if any(which):
            self.log_evals(self.evaluate(which, self.cfg.eval.episodes))

    def evaluate(self, which: list[bool], n_episodes: int) -> list[dict[str, Any] | None]:
        envs, seeds = [m.eval_env for m in self.members], [m.seed for m in self.members]
        key = self.members[0].logger.success_key
        return evaluate(self.agent, envs, seeds, which, n_episodes, self.low, self.high, self.step, key)

    def log_evals(self, results: list[dict[str, Any] | None]) -> None:
        wall = time.perf_counter() - self.t0
        for member, stats in zip(self.members, results):
            if stats is not None:
                member.logger.log_eval(self.step, member.episodes, wall, stats)

    def finish(self, reached: list[bool]) -> None:
        """Final evaluation and summary.json for the members whose budget was just reached."""
        self.flush_metrics()
        reached = [r and m.status == RUNNING for r, m in zip(reached, self.members)]
        n = self.cfg.eval.final_episodes
        if self.bar is not None:
            self.bar.set_description_str(f"final evaluation ({n} episodes)", refresh=True)
        results = self.evaluate(reached, n)
        if self.bar is not None:
            self.bar.set_description_str("", refresh=False)
        self.log_evals(results)
        for m, stats in enumerate(results):
            if stats is not None:
                member = self.members[m]
                member.final_eval = stats
                member.status = FINISHED if math.isfinite(stats["return_mean"]) else DIVERGED
                self.close(m)

    def close(self, m: int) -> None:
        """Member m has ended (or was interrupted): write its final summary.json and keep a copy."""
        member = self.members[m]
        member.summary = self.summary(m)
        member.logger.close(member.summary)

    def compact(self) -> bool:
        """Drop the members that are no longer running from the batch (agent, replay, every per-member
        array), so a process whose members end at different times costs the sum of their work, not M
        times the longest. Each remaining member keeps its exact state and random streams."""
        keep = [m for m, member in enumerate(self.members) if member.status == RUNNING]
        if not keep or len(keep) == len(self.members):
            return False
        index = torch.tensor(keep, device=self.agent.device)
        self.agent, self.replay = self.agent.subset(keep), self.replay.subset(keep)
        self.members = [self.members[m] for m in keep]
        self.warmup = [self.warmup[m] for m in keep]
        self.totals = self.totals[keep]
        self.obs = None if self.obs is None else self.obs[keep]
        self.sums = {k: v.index_select(0, index) for k, v in self.sums.items()}
        self.diag_rows = [(n, row[:, keep]) for n, row in self.diag_rows]
        return True

    def summary(self, m: int) -> dict[str, Any]:
        """summary.json fields for member m (the logger adds schema and config)."""
        member, cfg = self.members[m], self.cfg
        final = {
            k: member.final_eval.get(k) for k in ("return_mean", "return_std", "return_iqm", "n_episodes")
        }
        final["p_success"] = member.final_eval.get("p_success")
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
            "transform": member.transform,
            "seed": member.seed,
            "status": member.status,
            "steps": self.step,
            "episodes": member.episodes,
            "final_eval": final,
            "diagnostics": diag,
            "wall_clock_s": round(time.perf_counter() - self.t0, 3),
            **({"preempted": self.preempted, "reason": self.reason} if member.status == INTERRUPTED else {}),
        }

    def save_checkpoints(self) -> None:
        """Every member's checkpoint, then (for running members) summary.json with the same ``steps``."""
        resume.save_checkpoints([m.logger.run_dir for m in self.members], self.member_checkpoint)
        for m, member in enumerate(self.members):
            if member.status == RUNNING:
                member.logger.write_summary(self.summary(m))

    def member_checkpoint(self, m: int) -> dict[str, Any]:
        """Everything member m's future depends on (tensors, numbers, strings and containers only)."""
        member = self.members[m]
        rows = [r[:, m] for _, r in self.diag_rows]
        return {
            "format": resume.FORMAT,
            "seed": member.seed,
            "step": self.step,
            "episodes": member.episodes,
            "status": member.status,
            "final_eval": dict(member.final_eval),
            "wall_s": time.perf_counter() - self.t0,
            "agent": self.agent.member_state(m),
            "replay": self.replay.member_state(m),
            "warmup_rng": self.warmup[m].get_state(),
            "tape": member.tape.state_dict(),
            "episode_return": float(self.totals[m]),
            "recent": list(self.recent),
            "metric_sums": {k: v[m].detach().cpu().clone() for k, v in self.sums.items()},
            "metric_counts": dict(self.counts),
            "diag_counts": [n for n, _ in self.diag_rows],
            "diag_sums": torch.from_numpy(np.stack(rows)) if rows else torch.zeros(0, len(DIAGNOSTIC_KEYS)),
            "logger_offsets": member.logger.offsets(),
        }

    def restore(self, states: Sequence[dict[str, Any]], summaries: Sequence[dict[str, Any] | None]) -> None:
        """Continue where the checkpoints left off; members whose summary says they ended stay ended."""
        self.agent.load_member_states([s["agent"] for s in states])
        self.replay.load_member_states([s["replay"] for s in states])
        first = states[0]
        self.step, self.t0 = int(first["step"]), time.perf_counter() - float(first["wall_s"])
        self.recent.extend(first["recent"])
        self.counts = dict(first["metric_counts"])
        self.sums = {
            k: torch.stack([s["metric_sums"][k] for s in states]).to(self.agent.device) for k in self.counts
        }
        diag = np.stack([s["diag_sums"].numpy() for s in states], axis=-1)  # [rows, K, M]
        self.diag_rows = list(zip(first["diag_counts"], diag))
        obs = []
        for m, (member, state, summary) in enumerate(zip(self.members, states, summaries)):
            self.warmup[m].set_state(state["warmup_rng"])
            member.episodes, member.status = int(state["episodes"]), state["status"]
            member.final_eval = dict(state["final_eval"])
            if summary is not None and summary["status"] in resume.ENDED:
                member.status, member.final_eval = summary["status"], dict(summary.get("final_eval") or {})
            self.totals[m] = float(state["episode_return"])
            obs.append(member.tape.restore(member.env, state["tape"]))
        self.obs = np.stack(obs).astype(np.float32)
