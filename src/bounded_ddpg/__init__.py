"""bounded_ddpg: DDPG with a pluggable action-gradient transform between dQ/da and the actor.

The seam, for anyone's PyTorch code (docs/seam.md):

    from bounded_ddpg import transform_gradient, transforms
    invert = transforms.make("invert", env.action_space)
    actor_loss = -critic(obs, transform_gradient(actor(obs), invert)).mean()

``dpg_loss(u, dq_da, transform)`` is the same update as an explicit per-sample surrogate loss.

Importing the package registers the native parameterised-action environments with gymnasium
(``bounded_ddpg/Platform-v0``, ``bounded_ddpg/Goal-v0``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from bounded_ddpg import envs as envs  # registration side effect (numpy and gymnasium only)

if TYPE_CHECKING:
    from bounded_ddpg import transforms as transforms
    from bounded_ddpg.actor_step import dpg_loss, transform_gradient

__all__ = ["dpg_loss", "transform_gradient", "transforms"]
__version__ = "0.1.0"
_LAZY = {"dpg_loss": "bounded_ddpg.actor_step", "transform_gradient": "bounded_ddpg.actor_step"}


def __getattr__(name: str) -> Any:
    """The seam's names, imported on first use (PEP 562), so that importing the package, or its report,
    loads no torch."""
    if name == "transforms":
        return importlib.import_module("bounded_ddpg.transforms")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'bounded_ddpg' has no attribute {name!r}")
