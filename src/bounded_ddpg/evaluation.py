"""Greedy evaluation of every member in lockstep; it depends only on the policy and the step."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import gymnasium as gym
import numpy as np
import torch
from scipy.stats import trim_mean
from torch import Tensor

from bounded_ddpg.seeding import derive_seed


class Policy(Protocol):
    def act(self, obs: Tensor, explore: bool) -> Tensor: ...


def evaluate(
    agent: Policy,
    envs: Sequence[gym.Env[Any, Any]],
    seeds: Sequence[int],
    active: list[bool],
    n_episodes: int,
    low: Tensor,
    high: Tensor,
    step: int,
    success_key: str | None = None,
) -> list[dict[str, Any] | None]:
    """Greedy episodes (no noise) on each active member's evaluation env, members stepped in lockstep.

    ``envs[m]`` and ``seeds[m]`` are member m's evaluation environment and run seed; ``success_key`` adds
    ``p_success``: the fraction of episodes whose last step's info holds a true value under that key
    (gymnasium-robotics' ``is_success``, Goal's ``goal``; a missing key counts as no success).

    The first episode of the evaluation at ``step`` resets from the seed's ``eval/<step>`` stream, so an
    evaluation depends on nothing but the policy and the step (checkpoints need no evaluation-env state).
    """
    m_count = len(envs)
    returns: list[list[float]] = [[] for _ in envs]
    successes: list[list[bool]] = [[] for _ in envs]
    obs_dim = envs[0].observation_space.shape[0]  # type: ignore[index]
    for episode in range(n_episodes):
        obs = np.zeros((m_count, obs_dim), dtype=np.float32)
        running = list(active)
        totals = np.zeros(m_count)
        for m in map(int, np.flatnonzero(running)):
            seed = derive_seed(seeds[m], f"eval/{step}") if episode == 0 else None
            obs[m] = envs[m].reset(seed=seed)[0]
        while any(running):
            u = agent.act(torch.from_numpy(obs), explore=False).cpu()
            action = torch.nan_to_num(torch.clamp(u, low, high)).numpy()
            for m in map(int, np.flatnonzero(running)):
                next_obs, reward, terminated, truncated, info = envs[m].step(action[m])
                obs[m], totals[m] = next_obs, totals[m] + float(reward)
                if terminated or truncated:
                    running[m] = False
                    returns[m].append(totals[m])
                    successes[m].append(bool(info.get(success_key, False)) if success_key else False)
    out: list[dict[str, Any] | None] = []
    for m in range(m_count):
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
        if success_key:
            stats["p_success"] = float(np.mean(successes[m]))
        out.append(stats)
    return out
