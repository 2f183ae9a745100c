"""bounded_ddpg: DDPG with a pluggable action-gradient transform between dQ/da and the actor.

The seam, for anyone's PyTorch code (docs/seam.md):

    from bounded_ddpg import transform_gradient, transforms
    invert = transforms.make("invert", env.action_space)
    actor_loss = -critic(obs, transform_gradient(actor(obs), invert)).mean()

``dpg_loss(u, dq_da, transform)`` is the same update as an explicit per-sample surrogate loss.

Importing the package registers the native parameterised-action environments with gymnasium
(``bounded_ddpg/Platform-v0``, ``bounded_ddpg/Goal-v0``).
"""

from bounded_ddpg import envs as envs  # registration side effect
from bounded_ddpg import transforms as transforms
from bounded_ddpg.actor_step import dpg_loss, transform_gradient

__all__ = ["dpg_loss", "transform_gradient", "transforms"]
__version__ = "0.1.0"
