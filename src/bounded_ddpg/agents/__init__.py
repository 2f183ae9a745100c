"""The agents, every one routing its actor's gradient through the same seam (actor_step.py).

``make(cfg.name, ...)`` builds the agent a config names: ``ddpg`` (DDPG, and PA-DDPG on a parameterised
env's flat action box), ``td3``, ``pdqn`` (P-DQN) or ``mpdqn`` (MP-DQN; both on parameterised envs only).
Every agent takes the same constructor arguments, carries the leading member dimension, and offers
``act``, ``update`` (a metrics dict of [M] tensors), ``end_episode``, ``state_dict``/``member_state`` and
``finite_members`` to the training loop. Each agent checks its own config section against the
environment (``problems``, collected by :func:`check` before anything is built or written).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bounded_ddpg import transforms
from bounded_ddpg.agents.ddpg import DDPG
from bounded_ddpg.agents.pdqn import MPDQN, PDQN
from bounded_ddpg.agents.td3 import TD3
from bounded_ddpg.config import WARMUPS, AgentConfig, ConfigError

AGENTS: dict[str, type[DDPG]] = {"ddpg": DDPG, "td3": TD3, "pdqn": PDQN, "mpdqn": MPDQN}


def check(cfg: Any, action_dim: int, n_discrete: int, env_name: str) -> list[str]:
    """What is wrong with the ``agent`` section ``cfg`` for an env whose flat action has ``action_dim``
    dimensions, ``n_discrete`` of them discrete scores (0: a Box action): its name, then its agent's own
    checks (``problems``). Each problem names the key, its value and what is valid."""
    if cfg.name not in AGENTS:
        return [f"agent.name={cfg.name!r} is not a valid choice; valid: {', '.join(AGENTS)}"]
    problems = []
    if cfg.warmup not in WARMUPS:
        problems.append(f"agent.warmup={cfg.warmup!r} is not a valid choice; valid: {', '.join(WARMUPS)}")
    return problems + AGENTS[cfg.name].problems(cfg, action_dim, n_discrete, env_name)


def make(
    obs_dim: int,
    low: np.ndarray,
    high: np.ndarray,
    cfg: AgentConfig,
    transform: transforms.SpecLike | Sequence[transforms.SpecLike],
    n_discrete: int = 0,
    seeds: Sequence[int] = (0,),
    device: str = "cpu",
    param_slices: Sequence[slice] | None = None,
    param_map: Sequence[Sequence[int]] | None = None,
) -> DDPG:
    """The agent ``cfg.name`` names; an unknown name lists the valid ones.

    ``param_map`` (the flat wrapper's, envs/spaces.py; or the per-action layout's ``param_slices``) tells
    P-DQN and MP-DQN which parameters belong to which discrete action; the other agents do not need it.
    """
    if cfg.name not in AGENTS:
        raise ValueError(f"unknown agent {cfg.name!r}; valid agents: {', '.join(AGENTS)}")
    if cfg.warmup not in WARMUPS:
        raise ConfigError(f"agent.warmup={cfg.warmup!r} is not a valid choice; valid: {', '.join(WARMUPS)}")
    cls = AGENTS[cfg.name]
    if issubclass(cls, PDQN):
        return cls(obs_dim, low, high, cfg, transform, n_discrete, seeds, device, param_slices, param_map)
    return cls(obs_dim, low, high, cfg, transform, n_discrete, seeds, device)


__all__ = ["AGENTS", "DDPG", "MPDQN", "PDQN", "TD3", "check", "make"]
