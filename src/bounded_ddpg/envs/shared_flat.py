"""The flat-Box view of a shared-parameter hybrid environment: ``Tuple(Discrete(K), Box(P))``.

:class:`~bounded_ddpg.envs.wrappers.FlatParameterisedAction` serves the per-action layout
(``Tuple(Discrete(K), Tuple(Box_1, ..., Box_K))``) only; gym-hybrid's Moving and Sliding share one
parameter Box among their actions, so this minimal adapter gives them the same flat interface: one
``Box(-1, 1, (K + P,), float32)``, K discrete scores then the P shared parameters rescaled from their
bounds to [-1, 1]; the action taken is argmax(scores) with the whole parameter vector mapped back
(the environment reads the entries its ``param_map`` names). Observations pass through unchanged, as
float32 (the reference's learners saw the raw numbers).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from bounded_ddpg.envs.actions import to_env_units, validate_flat


def shared_layout(space: spaces.Space[Any]) -> tuple[int, spaces.Box]:
    """(K, the shared parameter Box) of a ``Tuple(Discrete(K), Box(P))`` space; ValueError otherwise."""
    ok = (
        isinstance(space, spaces.Tuple)
        and len(space.spaces) == 2
        and isinstance(space.spaces[0], spaces.Discrete)
        and isinstance(space.spaces[1], spaces.Box)
        and len(space.spaces[1].shape) == 1
    )
    if not ok:
        raise ValueError(f"expected a Tuple(Discrete(K), Box(P)) action space, got {space}")
    disc, box = space.spaces  # type: ignore[attr-defined]
    return int(disc.n), box


class FlatSharedParameterAction(gym.Wrapper[np.ndarray, np.ndarray, np.ndarray, Any]):
    """A ``Tuple(Discrete(K), Box(P))`` environment seen through one flat Box action in [-1, 1]^(K+P).

    Attributes: ``n_discrete`` (K), ``param_low`` / ``param_high`` (the shared bounds, float64),
    ``param_map`` (the wrapped environment's, if it declares one, else every action uses every parameter).
    """

    def __init__(self, env: gym.Env[Any, Any]) -> None:
        super().__init__(env)
        self.n_discrete, box = shared_layout(env.action_space)
        self.param_low = np.asarray(box.low, dtype=np.float64)
        self.param_high = np.asarray(box.high, dtype=np.float64)
        every = list(range(self.param_low.size))
        self.param_map = getattr(env.unwrapped, "param_map", [every] * self.n_discrete)
        self.dim = self.n_discrete + self.param_low.size
        self.action_space = spaces.Box(-1.0, 1.0, (self.dim,), np.float32)
        obs_space = env.observation_space
        assert isinstance(obs_space, spaces.Box)
        self.observation_space = spaces.Box(
            obs_space.low.astype(np.float32), obs_space.high.astype(np.float32), dtype=np.float32
        )

    def action(self, flat: Any) -> tuple[int, np.ndarray]:
        """argmax of the scores; the shared parameters mapped back to environment units (clipped)."""
        arr = validate_flat(flat, self.dim, self.action_space)
        k = int(np.argmax(arr[: self.n_discrete]))
        return k, to_env_units(arr[self.n_discrete :], self.param_low, self.param_high)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        obs, info = self.env.reset(seed=seed, options=options)
        return np.asarray(obs, dtype=np.float32), info

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        param_action: Any = self.action(action)
        obs, reward, terminated, truncated, info = self.env.step(param_action)
        return np.asarray(obs, dtype=np.float32), float(reward), bool(terminated), bool(truncated), info


def make_flat(env_id: str, **kwargs: Any) -> FlatSharedParameterAction:
    """``gymnasium.make(env_id, **kwargs)`` in :class:`FlatSharedParameterAction` (the ``...Flat-v0`` ids)."""
    return FlatSharedParameterAction(gym.make(env_id, **kwargs))
