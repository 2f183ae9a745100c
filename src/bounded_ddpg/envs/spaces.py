"""The action and observation spaces the agents learn on, their flat views, and the refusals.

Actions, what every agent sees: one flat Box.

* **Box** with finite bounds, any shape: flattened (row-major) to one vector; the transforms take its
  per-dimension bounds. DDPG and TD3.
* **Hybrid, per-action layout** ``Tuple(Discrete(K), Tuple(Box_1, ..., Box_K))`` (gym-platform, gym-goal):
  Box_k holds discrete action k's parameters (shape (0,) for an action without any).
* **Hybrid, shared layout** ``Tuple(Discrete(K), Box(P))`` (gym-hybrid, HyAR's tasks): one parameter
  vector; ``param_map`` says which of the P parameters action k uses, e.g. ``[[0], [1], []]``. It comes from
  the config (``env.param_map``) or, for an environment that declares its own, from a ``param_map``
  attribute of the unwrapped environment; without either every action uses every parameter (and MP-DQN's
  multi-pass then computes what P-DQN computes).

A hybrid action's flat view (PA-DDPG, Hausknecht & Stone 2016) is [-1, 1]^(K + P): K discrete scores, then
the P parameters rescaled from their bounds (per-action layout: every Box's entries in the Tuple's order).
P-DQN and MP-DQN read :attr:`HybridLayout.param_map` to know which parameters belong to which action.

Observations: a Box of any non-image shape; Tuple, Dict or Discrete spaces of Box and Discrete parts are
flattened with gymnasium's ``FlattenObservation`` (a Discrete part becomes a one-hot block). Everything else
raises :class:`SpaceError` naming the space found and the supported ones.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

SUPPORTED_ACTIONS = (
    "Box with finite bounds (any shape; flattened)",
    "Tuple(Discrete(K), Tuple(Box_1, ..., Box_K)) (hybrid, one parameter Box per action)",
    "Tuple(Discrete(K), Box(P)) (hybrid, shared parameters; env.param_map says which each action uses)",
)
SUPPORTED_OBSERVATIONS = "Box (not an image); Tuple, Dict or Discrete of Box and Discrete parts (flattened)"


class EnvError(ValueError):
    """An environment that cannot be built: unknown id, a module that fails to import, a missing extra."""


class SpaceError(EnvError):
    """An environment whose spaces no agent here can learn on, or a param_map that does not fit."""


def _refuse(what: str, space: spaces.Space[Any], why: str) -> SpaceError:
    supported = "; ".join(SUPPORTED_ACTIONS) if what == "action" else SUPPORTED_OBSERVATIONS
    return SpaceError(f"unsupported {what} space {space}: {why}. Supported: {supported}")


@dataclass(frozen=True)
class BoxLayout:
    """A Box action: its shape and its flat float64 bounds."""

    shape: tuple[int, ...]
    low: np.ndarray
    high: np.ndarray
    family = "box"


@dataclass(frozen=True)
class HybridLayout:
    """A hybrid action: K discrete actions and P parameters (flat, environment units, float64).

    ``param_map[k]``: the indices (into the P parameters) that action k uses. ``boxes``: the per-action
    layout's parameter shapes, one per action; None for the shared layout, whose vector has ``shared_shape``.
    """

    n_discrete: int
    low: np.ndarray
    high: np.ndarray
    param_map: tuple[tuple[int, ...], ...]
    boxes: tuple[tuple[int, ...], ...] | None
    shared_shape: tuple[int, ...] | None = None
    family = "hybrid"

    @property
    def layout(self) -> str:
        return "per-action" if self.boxes is not None else "shared"

    @property
    def param_slices(self) -> list[slice] | None:
        """Per-action layout: each action's slice of the flat action (after the K scores); shared: None."""
        if self.boxes is None:
            return None
        starts = np.cumsum([0, *(len(m) for m in self.param_map)]) + self.n_discrete
        return [slice(int(a), int(b)) for a, b in itertools.pairwise(starts)]

    def to_env(self, k: int, params: np.ndarray) -> tuple[int, Any]:
        """The environment's action for discrete action k and all P parameters in environment units."""
        if self.boxes is None:
            assert self.shared_shape is not None
            return k, params.reshape(self.shared_shape)
        return k, tuple(params[list(m)].reshape(shape) for m, shape in zip(self.param_map, self.boxes))


def _bounds(box: spaces.Box, space: spaces.Space[Any]) -> tuple[np.ndarray, np.ndarray]:
    if not np.issubdtype(box.dtype, np.floating):
        raise _refuse("action", space, f"the Box {box} has the integer dtype {box.dtype}")
    low = np.asarray(box.low, dtype=np.float64).ravel()
    high = np.asarray(box.high, dtype=np.float64).ravel()
    if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
        raise _refuse(
            "action", space, f"the Box {box} has an infinite bound (every transform needs finite bounds)"
        )
    if np.any(high <= low):
        raise _refuse("action", space, f"the Box {box} has a dimension with high <= low")
    return low, high


def action_layout(
    space: spaces.Space[Any], param_map: Sequence[Sequence[int]] | None = None
) -> BoxLayout | HybridLayout:
    """The layout of an action space the agents can learn on; SpaceError names anything else.

    ``param_map``: which parameters each action uses, for the shared layout (None: all of them); given for
    the per-action layout it must equal that layout's own map.
    """
    if isinstance(space, spaces.Box):
        if param_map is not None:
            raise SpaceError(
                f"env.param_map={list(map(list, param_map))} is for hybrid actions; this action space is "
                f"{space}"
            )
        low, high = _bounds(space, space)
        if low.size == 0:
            raise _refuse("action", space, "it has no dimension")
        return BoxLayout(tuple(space.shape), low, high)
    hybrid = (
        isinstance(space, spaces.Tuple)
        and len(space.spaces) == 2
        and isinstance(space.spaces[0], spaces.Discrete)
    )
    if not hybrid:
        why = {
            spaces.Discrete: "a Discrete action alone has no continuous part (use a DQN library)",
            spaces.MultiDiscrete: "MultiDiscrete actions have no continuous part",
            spaces.MultiBinary: "MultiBinary actions have no continuous part",
            spaces.Dict: "Dict actions are not a layout these agents know",
        }.get(type(space), "it is neither a Box nor one of the two hybrid layouts")
        raise _refuse("action", space, why)
    assert isinstance(space, spaces.Tuple)
    disc, params = space.spaces
    assert isinstance(disc, spaces.Discrete)
    k = int(disc.n)
    if int(disc.start) != 0:
        raise _refuse("action", space, f"its Discrete starts at {disc.start}, not 0")
    if isinstance(params, spaces.Box):
        low, high = _bounds(params, space) if params.shape != (0,) else (np.zeros(0), np.zeros(0))
        p = low.size
        pmap = (
            _check_map(param_map, k, p) if param_map is not None else tuple(tuple(range(p)) for _ in range(k))
        )
        return HybridLayout(k, low, high, pmap, None, tuple(params.shape))
    if not (isinstance(params, spaces.Tuple) and all(isinstance(b, spaces.Box) for b in params.spaces)):
        raise _refuse(
            "action", space, "its second part is neither a Box nor a Tuple of Boxes (nested deeper)"
        )
    boxes = [b for b in params.spaces if isinstance(b, spaces.Box)]
    if len(boxes) != k:
        raise _refuse("action", space, f"{k} discrete actions but {len(boxes)} parameter Boxes")
    lows, highs, pmap_list, start = [], [], [], 0
    for b in boxes:
        lo, hi = _bounds(b, space) if b.shape and int(np.prod(b.shape)) else (np.zeros(0), np.zeros(0))
        lows.append(lo)
        highs.append(hi)
        pmap_list.append(tuple(range(start, start + lo.size)))
        start += lo.size
    pmap = tuple(pmap_list)
    if param_map is not None and _check_map(param_map, k, start) != pmap:
        raise SpaceError(
            f"env.param_map={list(map(list, param_map))} does not fit {space}: its per-action layout "
            f"already maps the parameters as {list(map(list, pmap))}; set env.param_map=null"
        )
    return HybridLayout(
        k, np.concatenate(lows), np.concatenate(highs), pmap, tuple(tuple(b.shape) for b in boxes)
    )


def _check_map(param_map: Sequence[Sequence[int]], k: int, p: int) -> tuple[tuple[int, ...], ...]:
    """param_map as tuples, or SpaceError naming the mismatch with K actions and P parameters."""
    shown = [list(m) for m in param_map]
    if len(shown) != k:
        raise SpaceError(
            f"env.param_map={shown} has {len(shown)} entries; the action space has {k} discrete actions "
            "(one list each)"
        )
    for a, m in enumerate(shown):
        if any(not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < p for i in m):
            raise SpaceError(
                f"env.param_map={shown}: action {a} names {m}; valid indices: 0 to {p - 1} ({p} shared "
                "parameters)"
            )
        if len(set(m)) != len(m):
            raise SpaceError(f"env.param_map={shown}: action {a} names a parameter twice")
    return tuple(tuple(m) for m in shown)


def observation_kind(space: spaces.Space[Any]) -> str:
    """'box' (used as it is: 1-D Box), 'flatten' (gymnasium's FlattenObservation), or SpaceError."""
    if isinstance(space, spaces.Box):
        image = len(space.shape) == 3 or (len(space.shape) >= 2 and space.dtype == np.uint8)
        if image:
            raise _refuse(
                "observation",
                space,
                "image observations need a convolutional encoder, which no agent here has",
            )
        return "box" if len(space.shape) == 1 else "flatten"
    if isinstance(space, spaces.Discrete):
        return "flatten"
    if isinstance(space, spaces.Tuple | spaces.Dict):
        parts = space.spaces.values() if isinstance(space, spaces.Dict) else space.spaces
        for part in parts:
            if not isinstance(part, spaces.Box | spaces.Discrete):
                raise _refuse("observation", space, f"its part {part} is neither a Box nor a Discrete")
            if isinstance(part, spaces.Box):
                observation_kind(part)  # no image parts either
        return "flatten"
    raise _refuse("observation", space, "it is not a Box, Discrete, Tuple or Dict")
