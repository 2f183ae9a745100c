"""Parameterised actions: validation of hybrid actions in both layouts (envs/spaces.py) and the flat map.

``Tuple(Discrete(K), Tuple(Box_1, ..., Box_K))`` (per-action parameters: :func:`validate_tuple_action`) and
``Tuple(Discrete(K), Box(P))`` (one shared parameter vector: :func:`shared_space`,
:func:`validate_shared_action`; gym-hybrid's and HyAR's tasks, and anyone's own).

The flat layout (PA-DDPG, Hausknecht & Stone 2016) is one vector in [-1, 1]^(K + P): K discrete scores,
then every parameter of every discrete action in the Tuple's order, each rescaled from its Box bounds
[lo, hi] (environment units) to [-1, 1]. The action taken is argmax(scores) with its own parameters.
These helpers are shared by :class:`~bounded_ddpg.envs.wrappers.FlatParameterisedAction` and the
vectorised environments, so both map flat actions identically.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

ParamAction = tuple[int, tuple[np.ndarray, ...]]
SharedAction = tuple[int, np.ndarray]


def param_boxes(space: spaces.Space[Any]) -> tuple[int, list[spaces.Box]]:
    """(K, parameter boxes) of a parameterised action space; ValueError if it is not one."""
    ok = (
        isinstance(space, spaces.Tuple)
        and len(space.spaces) == 2
        and isinstance(space.spaces[0], spaces.Discrete)
        and isinstance(space.spaces[1], spaces.Tuple)
        and all(isinstance(b, spaces.Box) for b in space.spaces[1].spaces)
    )
    if not ok:
        raise ValueError(f"expected a Tuple(Discrete(K), Tuple(Box, ...)) action space, got {space}")
    disc, params = space.spaces  # type: ignore[attr-defined]
    k = int(disc.n)
    boxes = [b for b in params.spaces if isinstance(b, spaces.Box)]
    if len(boxes) != k:
        raise ValueError(f"{k} discrete actions but {len(boxes)} parameter boxes in {space}")
    return k, boxes


def validate_tuple_action(action: Any, space: spaces.Space[Any]) -> ParamAction:
    """Check type and shapes of a Tuple action; return (k, params as float64 arrays) or raise ValueError.

    Parameter values are not range-checked here (the environments clip them, as the references do).
    """
    k_count, boxes = param_boxes(space)
    try:
        k_raw, params = action
        k = int(k_raw)
        if k != k_raw or isinstance(k_raw, bool):
            raise TypeError
        params = tuple(params)
        if len(params) != k_count:
            raise TypeError
        arrays = tuple(np.asarray(p, dtype=np.float64) for p in params)
    except (TypeError, ValueError):
        raise ValueError(f"action {action!r} does not match the action space {space}") from None
    if not 0 <= k < k_count:
        raise ValueError(f"discrete action {k} outside 0..{k_count - 1} of the action space {space}")
    for arr, box in zip(arrays, boxes):
        if arr.shape != box.shape:
            raise ValueError(f"parameter shape {arr.shape} != {box.shape} in the action space {space}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"non-finite parameter {arr} for the action space {space}")
    return k, arrays


def shared_space(n_discrete: int, n_params: int) -> spaces.Tuple:
    """The shared layout with parameters in [-1, 1]: ``Tuple(Discrete(K), Box(-1, 1, (P,), float32))``."""
    return spaces.Tuple((spaces.Discrete(n_discrete), spaces.Box(-1.0, 1.0, (n_params,), np.float32)))


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


def to_env_units(u: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """[-1, 1] -> [lo, hi] (float64), clipped; exact at both ends: u=-1 gives lo and u=1 gives hi."""
    t = np.clip(np.asarray(u, dtype=np.float64), -1.0, 1.0)
    return np.clip((lo * (1.0 - t) + hi * (1.0 + t)) / 2.0, lo, hi)


def to_unit(p: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """[lo, hi] -> [-1, 1] (float64), the inverse of :func:`to_env_units`; exact at both ends."""
    p = np.asarray(p, dtype=np.float64)
    return np.clip((2.0 * p - lo - hi) / (hi - lo), -1.0, 1.0)


def validate_flat(flat: Any, dim: int, space: spaces.Space[Any], batch: int | None = None) -> np.ndarray:
    """A flat action (or a (batch, dim) block) as float64, or ValueError naming the expected space."""
    try:
        arr = np.asarray(flat, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"action {flat!r} is not numeric; expected the flat action space {space}") from None
    shape = (dim,) if batch is None else (batch, dim)
    if arr.shape != shape:
        raise ValueError(f"action shape {arr.shape} != {shape}; expected the flat action space {space}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"non-finite action for the flat action space {space}")
    return arr
