"""Action-gradient transforms: the seam between the critic's dQ/da and the actor's backward pass.

DDPG's actor gradient is  dJ/dtheta = E_s[ dQ/da(s, a) * da/du * du/dtheta ],  with u = mu_theta(s) the raw
actor output and a = forward(u) the action the critic sees. Autograd computes this product in one pass; the
reason to split it is to change dQ/da on its way to the actor. A transform owns both halves:

* ``forward(u) -> a``: the action the critic sees (the environment always receives it clipped to the bounds);
* ``backward(dq_da, u) -> g_u``: the direction handed to the actor's backward pass.

Sign convention, stated once for the whole package: ``dq_da`` and everything ``backward`` returns are ASCENT
directions on Q (positive = "increase this action"). The actor's loss negates exactly once (see agent.py).

Every transform is pure and vectorised (torch.where, no Python loop over the batch, no device transfer) and
takes per-dimension bounds ``low``/``high`` from the action space; any leading shape ([B, A], [M, B, A])
works.
Adding a transform is one subclass here (its ``name`` registers it) plus one file in ``conf/transform/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor

_REGISTRY: dict[str, type[ActionGradientTransform]] = {}


class ActionGradientTransform:
    """Base class: identity in both directions. Subclasses override what they change."""

    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            _REGISTRY[cls.name] = cls

    def __init__(self, low: Tensor, high: Tensor) -> None:
        if low.shape != high.shape or low.dim() != 1:
            raise ValueError(
                f"low and high must be 1-D of equal shape, got {tuple(low.shape)}, {tuple(high.shape)}"
            )
        if not bool(torch.all(high > low)):
            raise ValueError(f"every bound needs low < high, got low={low.tolist()} high={high.tolist()}")
        self.low = low
        self.high = high
        self.range = high - low

    def to(self, device: torch.device | str) -> ActionGradientTransform:
        self.low, self.high, self.range = (t.to(device) for t in (self.low, self.high, self.range))
        return self

    def forward(self, u: Tensor) -> Tensor:
        return u

    def backward(self, dq_da: Tensor, u: Tensor) -> Tensor:
        return dq_da

    def __repr__(self) -> str:
        return f"{type(self).__name__}(low={self.low.tolist()}, high={self.high.tolist()})"


class Identity(ActionGradientTransform):
    """Plain DDPG: g_u = dQ/da. Nothing keeps u inside the bounds; the environment clips."""

    name = "identity"


class Clip(ActionGradientTransform):
    """The "zeroing gradients" formula of Hausknecht & Stone (2016), section 4.3.1.

    forward: a = clamp(u, low, high).  backward: g_u = g where low < u < high, else 0.
    A dimension that leaves the range never receives a gradient again (not even one pointing back inside).
    This is autograd through a clamp everywhere except exactly on a bound, where torch.clamp passes the
    gradient through (measured, torch 2.13) and the paper's strict inequality does not.
    """

    name = "clip"

    def forward(self, u: Tensor) -> Tensor:
        return torch.clamp(u, self.low, self.high)

    def backward(self, dq_da: Tensor, u: Tensor) -> Tensor:
        inside = (u > self.low) & (u < self.high)
        return torch.where(inside, dq_da, torch.zeros_like(dq_da))


class Zero(ActionGradientTransform):
    """Zero only the outward gradient, as Hausknecht & Stone's released code does.

    g_u = 0 where (u >= high and g > 0) or (u <= low and g < 0), else g. An inward gradient survives, so a
    dimension outside the range can return; Adam's momentum may still carry it further out.
    """

    name = "zero"

    def backward(self, dq_da: Tensor, u: Tensor) -> Tensor:
        outward = ((u >= self.high) & (dq_da > 0)) | ((u <= self.low) & (dq_da < 0))
        return torch.where(outward, torch.zeros_like(dq_da), dq_da)


class Squash(ActionGradientTransform):
    """A tanh head rescaled into the bounds (the usual bounded DDPG/SAC actor).

    forward: a = low + (high - low) * (tanh(u) + 1) / 2.
    backward: g_u = g * (high - low) / 2 * (1 - tanh(u)^2), autograd through that head. Saturates:
    for large |u| the factor vanishes and the actor cannot leave the bound (Hausknecht & Stone 2016, 4.3.2).
    """

    name = "squash"

    def forward(self, u: Tensor) -> Tensor:
        return self.low + self.range * (torch.tanh(u) + 1.0) / 2.0

    def backward(self, dq_da: Tensor, u: Tensor) -> Tensor:
        # 1 - tanh(u)^2 written as cosh(u)^-2: the same number without float32 cancellation near saturation.
        return dq_da * (self.range / 2.0) * torch.cosh(u).reciprocal().square()


class Invert(ActionGradientTransform):
    """Inverting gradients, Hausknecht & Stone (ICLR 2016), section 4.3.3, eq. (4).

    g_u = g * (high - u) / (high - low)  where g > 0   (the gradient asks to increase u),
          g * (u - low)  / (high - low)  otherwise.
    Inside the range a gradient shrinks as u nears the bound it pushes toward; outside, the factor is
    negative, so an outward gradient is reversed and an inward one amplified. The factor is invariant to
    rescaling u, so raw or normalised units give the same direction.
    """

    name = "invert"

    def backward(self, dq_da: Tensor, u: Tensor) -> Tensor:
        room = torch.where(dq_da > 0, self.high - u, u - self.low)
        return dq_da * room / self.range


class PerMember(ActionGradientTransform):
    """Member m of a batched agent uses transform ``names[m]`` (inputs carry the member dimension first).

    Each distinct transform runs once on the whole tensor and torch.where picks its members' slices, so a
    5-transform ablation trains in one process at the cost of five elementwise passes (next to nothing).
    """

    def __init__(self, names: Sequence[str], low: Tensor, high: Tensor) -> None:
        super().__init__(low, high)
        self.names = list(names)
        self.parts = {name: _REGISTRY[name](low, high) for name in dict.fromkeys(names)}
        index = torch.tensor([list(self.parts).index(name) for name in names])
        self.masks = {name: (index == i).view(-1, 1, 1) for i, name in enumerate(self.parts)}

    def to(self, device: torch.device | str) -> PerMember:
        super().to(device)
        self.parts = {name: part.to(device) for name, part in self.parts.items()}
        self.masks = {name: mask.to(device) for name, mask in self.masks.items()}
        return self

    def _pick(self, outputs: dict[str, Tensor]) -> Tensor:
        result = None
        for name, out in outputs.items():
            result = out if result is None else torch.where(self.masks[name], out, result)
        assert result is not None
        return result

    def forward(self, u: Tensor) -> Tensor:
        return self._pick({name: part.forward(u) for name, part in self.parts.items()})

    def backward(self, dq_da: Tensor, u: Tensor) -> Tensor:
        return self._pick({name: part.backward(dq_da, u) for name, part in self.parts.items()})


def names() -> tuple[str, ...]:
    """Names of the registered transforms (including subclasses defined outside this module)."""
    return tuple(_REGISTRY)


def make(
    name: str | Sequence[str],
    low: Sequence[float] | np.ndarray | Tensor,
    high: Sequence[float] | np.ndarray | Tensor,
) -> ActionGradientTransform:
    """The transform called ``name`` for per-dimension bounds [low, high] (float32 tensors on the CPU).

    A sequence of names gives a PerMember transform: member m of a batched agent uses ``name[m]``.
    """
    requested = [name] if isinstance(name, str) else list(name)
    for n in requested:
        if n not in _REGISTRY:
            raise ValueError(f"unknown transform {n!r}; valid transforms: {', '.join(sorted(_REGISTRY))}")
    low_t = torch.as_tensor(np.asarray(low, dtype=np.float32) if not isinstance(low, Tensor) else low)
    high_t = torch.as_tensor(np.asarray(high, dtype=np.float32) if not isinstance(high, Tensor) else high)
    low_t, high_t = low_t.float().reshape(-1), high_t.float().reshape(-1)
    if isinstance(name, str):
        return _REGISTRY[name](low_t, high_t)
    return PerMember(requested, low_t, high_t)
