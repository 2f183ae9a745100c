"""The flat-Box view of a parameterised-action environment (PA-DDPG; Hausknecht & Stone 2016).

Actions: one ``Box(-1, 1, (K + P,), float32)``: K discrete scores, then every parameter rescaled from its
bounds to [-1, 1] in the Tuple's order (:mod:`bounded_ddpg.envs.actions`). Observations: rescaled to
[-1, 1] from the environment's bounds; for Goal, first three standard learner features are appended
(unit vector keeper -> ball, and the y at which the ray from the ball through the keeper meets the goal
line, clipped to [-7.01, 14.02], as in MP-DQN's Goal wrapper). The functions work on a single
observation or a batch, elementwise, so :mod:`bounded_ddpg.envs.vector` produces identical numbers.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from bounded_ddpg.envs.actions import ParamAction, flat_layout, to_env_units, validate_flat
from bounded_ddpg.envs.goal_physics import GOAL_HALF, PITCH_X

GOAL_FEATURE_LOW = np.array([-1.0, -1.0, -GOAL_HALF])
GOAL_FEATURE_HIGH = np.array([1.0, 1.0, 2.0 * GOAL_HALF])


def goal_features(obs: np.ndarray) -> np.ndarray:
    """The three learner features of Goal observations (..., 14) -> (..., 3), float64."""
    o = np.asarray(obs, dtype=np.float64)
    kx, ky, bx, by = o[..., 5], o[..., 6], o[..., 10], o[..., 11]
    dx, dy = bx - kx, by - ky
    norm = np.hypot(dx, dy)
    safe = np.where(norm > 0.0, norm, 1.0)
    ux, uy = np.where(norm > 0.0, dx / safe, 1.0), np.where(norm > 0.0, dy / safe, 0.0)
    ahead = kx - bx > 1e-9  # the keeper is between the ball and the goal line
    slope = np.where(ahead, (ky - by) / np.where(ahead, kx - bx, 1.0), 0.0)
    proj = np.where(ahead, by + slope * (PITCH_X - bx), GOAL_FEATURE_HIGH[2])
    proj = np.clip(proj, GOAL_FEATURE_LOW[2], GOAL_FEATURE_HIGH[2])
    return np.stack([ux, uy, proj], axis=-1)


def rescale(obs: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """2 (s - low) / (high - low) - 1 elementwise, clipped to [-1, 1], as float32."""
    s = np.asarray(obs, dtype=np.float64)
    return np.clip(2.0 * (s - low) / (high - low) - 1.0, -1.0, 1.0).astype(np.float32)


class ObsMap:
    """Raw observation (..., n) -> learner observation (..., m) in [-1, 1] for one environment kind."""

    def __init__(self, space: spaces.Box, goal_features: bool) -> None:
        self.goal = goal_features
        low = np.asarray(space.low, dtype=np.float64)
        high = np.asarray(space.high, dtype=np.float64)
        if goal_features:
            low, high = np.concatenate([low, GOAL_FEATURE_LOW]), np.concatenate([high, GOAL_FEATURE_HIGH])
        self.low, self.high = low, high
        self.space = spaces.Box(-1.0, 1.0, (low.size,), np.float32)

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        raw = np.asarray(obs, dtype=np.float64)
        if self.goal:
            raw = np.concatenate([raw, goal_features(raw)], axis=-1)
        return rescale(raw, self.low, self.high)


class FlatParameterisedAction(gym.Wrapper[np.ndarray, np.ndarray, np.ndarray, Any]):
    """A Tuple(Discrete(K), Tuple(Box...)) environment seen through one flat Box action in [-1, 1]^(K+P).

    Attributes: ``n_discrete`` (K), ``param_slices`` (flat indices of each discrete action's parameters),
    ``param_low`` / ``param_high`` (the parameters' bounds in environment units, float64).
    """

    def __init__(self, env: gym.Env[Any, Any]) -> None:
        super().__init__(env)
        self.n_discrete, self.param_slices, self.param_low, self.param_high = flat_layout(env.action_space)
        self.dim = self.n_discrete + self.param_low.size
        self.action_space = spaces.Box(-1.0, 1.0, (self.dim,), np.float32)
        assert isinstance(env.observation_space, spaces.Box)
        self.obs_map = ObsMap(env.observation_space, goal_features=env.observation_space.shape == (14,))
        self.observation_space = self.obs_map.space

    def action(self, flat: Any) -> ParamAction:
        """argmax of the scores; every parameter mapped back to environment units (clipped)."""
        arr = validate_flat(flat, self.dim, self.action_space)
        k = int(np.argmax(arr[: self.n_discrete]))
        params = to_env_units(arr[self.n_discrete :], self.param_low, self.param_high)
        off = self.n_discrete
        return k, tuple(params[s.start - off : s.stop - off] for s in self.param_slices)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        obs, info = self.env.reset(seed=seed, options=options)
        return self.obs_map(obs), info

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        param_action: Any = self.action(action)
        obs, reward, terminated, truncated, info = self.env.step(param_action)
        return self.obs_map(obs), float(reward), bool(terminated), bool(truncated), info
