"""The flat-Box view of a parameterised-action environment (PA-DDPG; Hausknecht & Stone 2016).

Actions: one ``Box(-1, 1, (K + P,), float32)``: K discrete scores, then every parameter rescaled from its
bounds to [-1, 1] in the Tuple's order (:mod:`bounded_ddpg.envs.actions`).

Observations. An environment whose observations already are its learners' inputs says so with a
``learner_observation_space`` attribute (a finite Box that holds them): they pass through unchanged, as
float32, in that Box (HyAR's tasks and gym-hybrid's, whose reference learners saw exactly what the
environment returns). Otherwise a Box with finite bounds is rescaled to [-1, 1] (clipped; MP-DQN's
ScaledStateWrapper), e.g. Platform, and one with an infinite bound passes through. Goal and GoalXY:
exactly the inputs of MP-DQN's Goal learners (github.com/cycraig/MP-DQN, ``common/goal_domain.py``
GoalObservationWrapper, then ``common/wrappers.py`` ScaledStateWrapper): three learner features appended
after the 14 numbers (:func:`goal_features`), and all 17 mapped by 2 (s - low) / (high - low) - 1 with the
reference's bounds (gym-goal ``config.py``: positions x in [0, 20], y in [-15, 15], player and keeper
velocities +-1, facings +-pi, ball velocity +-3; features +-1, +-1 and [-7.01, 14.02]; float32, as the
reference's spaces hold them). Not clipped, as there: the result lies in [-1, 1] whenever the state is
inside the reference's box, which the reference does not enforce (the player's facing is never wrapped,
the keeper can pass the goal line), so the observation space is that box's image of the environment's
containment box. The functions work on a single observation or a batch, elementwise, so
:mod:`bounded_ddpg.envs.vector` produces identical numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from bounded_ddpg.envs.actions import ParamAction, to_env_units, validate_flat
from bounded_ddpg.envs.goal_env import GoalEnv
from bounded_ddpg.envs.goal_physics import GOAL_HALF, OBS_HIGH, OBS_LOW, PITCH_X
from bounded_ddpg.envs.spaces import HybridLayout, action_layout

GOAL_FEATURE_LOW = np.array([-1.0, -1.0, -GOAL_HALF])
GOAL_FEATURE_HIGH = np.array([1.0, 1.0, 2.0 * GOAL_HALF])
# the 17 rescaling bounds of MP-DQN's Goal learners, float32-rounded as its Box spaces store them
GOAL_LEARNER_LOW = np.concatenate([OBS_LOW, GOAL_FEATURE_LOW]).astype(np.float32).astype(np.float64)
GOAL_LEARNER_HIGH = np.concatenate([OBS_HIGH, GOAL_FEATURE_HIGH]).astype(np.float32).astype(np.float64)


def goal_features(obs: np.ndarray) -> np.ndarray:
    """MP-DQN's three learner features of Goal observations (..., 14) -> (..., 3), float64.

    (ball - keeper) / |ball - keeper| (2 numbers; (0, 0) if the two coincide, which decollision
    prevents), then the keeper's projection onto the goal line: the y at which the line through the ball
    and the keeper meets x = 20, clipped to [-7.01, 14.02]; when keeper and ball share an x, -7.01 if the
    keeper is below the ball, else 7.01.
    """
    o = np.asarray(obs, dtype=np.float64)
    kx, ky, bx, by = o[..., 5], o[..., 6], o[..., 10], o[..., 11]
    dx, dy = bx - kx, by - ky
    norm = np.sqrt(dx * dx + dy * dy)
    safe = np.where(norm > 0.0, norm, 1.0)
    ux, uy = dx / safe, dy / safe
    same_x = kx == bx
    grad = (ky - by) / np.where(same_x, 1.0, kx - bx)
    y_int = by - grad * bx
    proj = np.clip(grad * PITCH_X + y_int, -GOAL_HALF, 2.0 * GOAL_HALF)
    proj = np.where(same_x, np.where(ky < by, -GOAL_HALF, GOAL_HALF), proj)
    return np.stack([ux, uy, proj], axis=-1)


def rescale(obs: np.ndarray, low: np.ndarray, high: np.ndarray, clip: bool = True) -> np.ndarray:
    """2 (s - low) / (high - low) - 1 elementwise (clipped to [-1, 1] when ``clip``), as float32."""
    s = 2.0 * (np.asarray(obs, dtype=np.float64) - low) / (high - low) - 1.0
    return (np.clip(s, -1.0, 1.0) if clip else s).astype(np.float32)


class ObsMap:
    """Raw observation (..., n) -> learner observation (..., m) for one environment kind.

    ``goal``: MP-DQN's 17 Goal inputs (features appended, the reference's bounds, not clipped);
    ``learner_space``: the observations are the learners' inputs already, passed through (float32) in that
    Box; otherwise the environment's own bounds, clipped to [-1, 1], where they are all finite (else the
    identity).
    """

    def __init__(self, space: spaces.Box, goal: bool, learner_space: spaces.Box | None = None) -> None:
        self.goal = goal
        if learner_space is not None and learner_space.shape != space.shape:
            raise ValueError(
                f"learner_observation_space {learner_space} does not fit the observations {space}"
            )
        box = space if learner_space is None else learner_space
        raw_low = np.asarray(box.low, dtype=np.float64)
        raw_high = np.asarray(box.high, dtype=np.float64)
        self.low: np.ndarray | None = None  # rescaling bounds; None: passed through
        self.high: np.ndarray | None = None
        if goal:
            self.low, self.high = GOAL_LEARNER_LOW, GOAL_LEARNER_HIGH
            box_low = rescale(np.concatenate([raw_low, GOAL_FEATURE_LOW]), self.low, self.high, False)
            box_high = rescale(np.concatenate([raw_high, GOAL_FEATURE_HIGH]), self.low, self.high, False)
            self.space = spaces.Box(box_low, box_high, dtype=np.float32)
        elif learner_space is None and np.all(np.isfinite(raw_low)) and np.all(np.isfinite(raw_high)):
            self.low, self.high = raw_low, raw_high
            self.space = spaces.Box(-1.0, 1.0, (raw_low.size,), np.float32)
        else:  # the learners' inputs already, or an infinite bound (nothing to rescale by)
            self.space = spaces.Box(raw_low.astype(np.float32), raw_high.astype(np.float32), dtype=np.float32)

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        raw = np.asarray(obs, dtype=np.float64)
        if self.low is None or self.high is None:
            return raw.astype(np.float32)
        if self.goal:
            return rescale(np.concatenate([raw, goal_features(raw)], axis=-1), self.low, self.high, False)
        return rescale(raw, self.low, self.high)


class FlatParameterisedAction(gym.Wrapper[np.ndarray, np.ndarray, np.ndarray, Any]):
    """A hybrid-action environment (either layout, envs/spaces.py) seen through one flat Box in [-1, 1]^(K+P).

    ``param_map``: which parameters each action uses in the shared layout; None: the unwrapped
    environment's ``param_map`` attribute if it has one, else every parameter for every action.
    Attributes: ``layout`` (:class:`~bounded_ddpg.envs.spaces.HybridLayout`), ``n_discrete`` (K),
    ``param_map`` (which of the P parameters each discrete action uses), ``param_slices`` (per-action
    layout: flat indices of each action's parameters; shared layout: None), ``param_low`` / ``param_high``
    (the parameters' bounds in environment units, float64). Observations: Goal's as MP-DQN's learners see
    them; an environment's ``learner_observation_space`` passed through; any other Box with finite bounds
    rescaled to [-1, 1] (clipped; MP-DQN's ScaledStateWrapper), a Box with an infinite bound passed through.
    """

    def __init__(self, env: gym.Env[Any, Any], param_map: Sequence[Sequence[int]] | None = None) -> None:
        super().__init__(env)
        if param_map is None:  # a native environment may declare its own (shared layout)
            param_map = getattr(env.unwrapped, "param_map", None)
        layout = action_layout(env.action_space, param_map)
        assert isinstance(layout, HybridLayout), f"not a hybrid action space: {env.action_space}"
        self.layout = layout
        self.n_discrete, self.param_map, self.param_slices = (
            layout.n_discrete,
            layout.param_map,
            layout.param_slices,
        )
        self.param_low, self.param_high = layout.low, layout.high
        self.dim = self.n_discrete + self.param_low.size
        self.action_space = spaces.Box(-1.0, 1.0, (self.dim,), np.float32)
        assert isinstance(env.observation_space, spaces.Box)
        self.obs_map = ObsMap(
            env.observation_space,
            goal=isinstance(env.unwrapped, GoalEnv),
            learner_space=getattr(env.unwrapped, "learner_observation_space", None),
        )
        self.observation_space = self.obs_map.space

    def action(self, flat: Any) -> ParamAction:
        """argmax of the scores; every parameter mapped back to environment units (clipped)."""
        arr = validate_flat(flat, self.dim, self.action_space)
        k = int(np.argmax(arr[: self.n_discrete]))
        return self.layout.to_env(k, to_env_units(arr[self.n_discrete :], self.param_low, self.param_high))

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        obs, info = self.env.reset(seed=seed, options=options)
        return self.obs_map(obs), info

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        param_action: Any = self.action(action)
        obs, reward, terminated, truncated, info = self.env.step(param_action)
        return self.obs_map(obs), float(reward), bool(terminated), bool(truncated), info


class FlatBoxAction(gym.ActionWrapper[Any, np.ndarray, np.ndarray]):
    """A Box action of any shape seen as one flat Box with the same bounds (row-major)."""

    def __init__(self, env: gym.Env[Any, Any]) -> None:
        super().__init__(env)
        box = env.action_space
        assert isinstance(box, spaces.Box)
        self.shape = box.shape
        self.action_space = spaces.Box(box.low.ravel(), box.high.ravel(), dtype=box.dtype)

    def action(self, action: np.ndarray) -> np.ndarray:
        return np.asarray(action).reshape(self.shape)
