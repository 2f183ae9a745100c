"""The shared-parameter hybrid action layout of HyAR's tasks, and its flat-Box view.

Layout: ``Tuple(Discrete(K), Box(-1, 1, (P,), float32))``: one discrete action k and one vector of P
parameters shared by all discrete actions, of which action k reads the indices ``param_map[k]`` (a class
attribute of each environment: ``list[list[int]]``, possibly empty for an action without parameters).
This is what HyAR's agents emit (Li et al., ICLR 2022; github.com/TJU-DRL-LAB/self-supervised-rl,
``RL_with_Action_Representation/HyAR``): a discrete index and the full parameter vector, from which the
run scripts' ``pad_action`` picks the parameters of the chosen action.

:class:`FlatSharedAction` is the flat view for Box learners: ``Box(-1, 1, (K + P,))``, the argmax of the K
scores picks the action, the P numbers are the parameter vector (clipped to [-1, 1], as the per-action
flat view clips); observations pass through unchanged, and the observation space is the environment's
``in_range_observation_space()`` when it has one (a finite containment box for in-range parameters,
where its own space is unbounded because the reference does not clip parameters).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from bounded_ddpg.envs.actions import validate_flat

SharedAction = tuple[int, np.ndarray]


def shared_space(n_discrete: int, n_params: int) -> spaces.Tuple:
    """``Tuple(Discrete(n_discrete), Box(-1, 1, (n_params,), float32))``."""
    return spaces.Tuple((spaces.Discrete(n_discrete), spaces.Box(-1.0, 1.0, (n_params,), np.float32)))


def check_param_map(param_map: list[list[int]], n_discrete: int, n_params: int) -> None:
    """ValueError unless ``param_map`` has one list per discrete action of indices in 0..n_params-1."""
    if len(param_map) != n_discrete:
        raise ValueError(f"param_map has {len(param_map)} entries for {n_discrete} discrete actions")
    for k, idx in enumerate(param_map):
        bad = [i for i in idx if not 0 <= i < n_params]
        if bad:
            raise ValueError(f"param_map[{k}] = {idx} names parameters outside 0..{n_params - 1}")


def validate_shared_action(action: Any, space: spaces.Tuple) -> SharedAction:
    """(k, the parameter vector as float64) of a shared-layout action, or ValueError naming the space.

    Parameter values are not range-checked (HyAR's scripts do not clip them either); they must be finite.
    """
    disc, box = space.spaces
    assert isinstance(disc, spaces.Discrete) and isinstance(box, spaces.Box)
    try:
        k_raw, params = action
        k = int(k_raw)
        if k != k_raw or isinstance(k_raw, bool):
            raise TypeError
        arr = np.asarray(params, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"action {action!r} does not match the action space {space}") from None
    if not 0 <= k < int(disc.n):
        raise ValueError(f"discrete action {k} outside 0..{int(disc.n) - 1} of the action space {space}")
    if arr.shape != box.shape:
        raise ValueError(f"parameter shape {arr.shape} != {box.shape} in the action space {space}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"non-finite parameter in {arr} for the action space {space}")
    return k, arr


class FlatSharedAction(gym.ActionWrapper[Any, np.ndarray, Any]):
    """A shared-layout environment seen through one flat ``Box(-1, 1, (K + P,), float32)`` action.

    Attributes: ``n_discrete`` (K), ``param_slices`` (flat indices of each discrete action's parameters,
    from the environment's ``param_map``: a list of index arrays, as the indices need not be contiguous).
    """

    def __init__(self, env: gym.Env[Any, Any]) -> None:
        super().__init__(env)
        space = env.action_space
        if not (
            isinstance(space, spaces.Tuple)
            and len(space.spaces) == 2
            and isinstance(space.spaces[0], spaces.Discrete)
            and isinstance(space.spaces[1], spaces.Box)
        ):
            raise ValueError(f"expected a Tuple(Discrete(K), Box(P)) action space, got {space}")
        self.n_discrete = int(space.spaces[0].n)
        self.n_params = int(np.prod(space.spaces[1].shape))
        param_map: list[list[int]] = env.unwrapped.param_map  # type: ignore[attr-defined]
        check_param_map(param_map, self.n_discrete, self.n_params)
        self.param_slices = [np.asarray(idx, dtype=np.int64) + self.n_discrete for idx in param_map]
        self.dim = self.n_discrete + self.n_params
        self.action_space = spaces.Box(-1.0, 1.0, (self.dim,), np.float32)
        in_range = getattr(env.unwrapped, "in_range_observation_space", None)
        if in_range is not None:
            self.observation_space = in_range()

    def action(self, action: Any) -> SharedAction:
        """argmax of the K scores, and the P parameters (float64, clipped to [-1, 1])."""
        arr = validate_flat(action, self.dim, self.action_space)
        return int(np.argmax(arr[: self.n_discrete])), np.clip(arr[self.n_discrete :], -1.0, 1.0)


def make_flat_shared(env_id: str, **kwargs: Any) -> FlatSharedAction:
    """``gymnasium.make(env_id, **kwargs)`` seen through :class:`FlatSharedAction` (the ...Flat-v0 ids)."""
    return FlatSharedAction(gym.make(env_id, **kwargs))
