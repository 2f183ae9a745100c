"""Stable-Baselines3's TD3 and DDPG with an action-gradient transform (``pip install "bounded_ddpg[sb3]"``).

    from stable_baselines3 import TD3
    from bounded_ddpg.integrations.sb3 import TransformPolicy
    model = TD3(TransformPolicy, "Pendulum-v1", policy_kwargs=dict(transform="invert")).learn(20_000)

SB3's own ``learn()`` and ``train()`` run unchanged. ``TD3.train`` computes the actor's loss as
``-critic.q1_forward(obs, actor(obs)).mean()``; here the actor has no tanh head and its forward returns
``transform_gradient(u, transform)`` (actor_step.py): the critic sees transform.forward(u), and the backward
pass hands the actor transform.backward(dQ/da, u), so SB3's loss line IS the seam. Its ``.mean()`` over
the batch is the default reduction of transform_gradient (docs/seam.md). DDPG (SB3's TD3 with one
critic and no delay) takes the same policy.

Units. SB3's TD3 works in actions scaled to [-1, 1] (``policy.scale_action``), so the transform's bounds
are [-1, 1] in every dimension. invert's and zero's directions do not depend on that rescaling; squash is
SB3's default tanh actor (forward: tanh(u)); penalty's ``coef`` is in units of Q as anywhere.

Acting and targets. ``actor(obs)`` returns forward(u), which lies outside [-1, 1] for transforms whose
forward is the identity (identity, zero, invert, penalty, dqda_clip, dqda_norm_clip). Acting (``predict``,
also inside ``learn``) clamps it to [-1, 1], so the environment receives, and the replay buffer stores,
clipped actions (SB3 stores the scaled action after its noise and clip). Target policy smoothing clamps
``actor_target(s') + noise`` to [-1, 1] in SB3's own train(); DDPG's target (no noise) is forward(u')
unclipped, as in our DDPG agent.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

try:
    from stable_baselines3.common.preprocessing import get_action_dim
    from stable_baselines3.common.type_aliases import PyTorchObs
    from stable_baselines3.td3.policies import Actor, TD3Policy
except ImportError as e:  # pragma: no cover - the message is the point
    raise ImportError(
        'bounded_ddpg.integrations.sb3 needs Stable-Baselines3: pip install "bounded_ddpg[sb3]"'
    ) from e

from bounded_ddpg import transforms
from bounded_ddpg.actor_step import transform_gradient


class TransformActor(Actor):
    """SB3's TD3 actor without its tanh head; forward returns transform_gradient(u, transform)."""

    def __init__(self, *args: Any, transform: transforms.SpecLike = "invert", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        *layers, head = self.mu
        if not isinstance(head, nn.Tanh):
            raise TypeError(f"expected SB3's actor to end in nn.Tanh, got {head!r} (a newer SB3?)")
        self.mu = nn.Sequential(*layers)  # the same layers and initial weights, minus the tanh
        self.transform_spec = transform
        ones = np.ones(get_action_dim(self.action_space), dtype=np.float32)
        self.transform = transforms.make(transform, -ones, ones)  # SB3's scaled action space

    def _get_constructor_parameters(self) -> dict[str, Any]:
        return {**super()._get_constructor_parameters(), "transform": self.transform_spec}

    def raw(self, obs: Tensor) -> Tensor:
        """u, the raw output [B, A] in SB3's scaled units (no transform, no clipping)."""
        u: Tensor = self.mu(self.extract_features(obs, self.features_extractor))
        return u

    def forward(self, obs: Tensor) -> Tensor:
        u = self.raw(obs)
        if self.transform.low.device != u.device:
            self.transform.to(u.device)
        return transform_gradient(u, self.transform)

    def _predict(self, observation: PyTorchObs, deterministic: bool = False) -> Tensor:
        return self(observation).clamp(-1.0, 1.0)


class TransformPolicy(TD3Policy):
    """SB3's TD3 policy (also DDPG's) with a :class:`TransformActor`; ``transform`` as policy_kwargs.

    ``transform``: a built-in's name ("invert", "penalty", ...) or a ``transforms.spec(...)`` (parameters,
    or your own class); default "invert". Everything else is TD3Policy's (net_arch, n_critics, ...).
    """

    actor: TransformActor
    actor_target: TransformActor

    def __init__(self, *args: Any, transform: transforms.SpecLike = "invert", **kwargs: Any) -> None:
        self.transform_spec = transforms.as_spec(transform)  # checked now; _build (below) makes the actors
        super().__init__(*args, **kwargs)

    def make_actor(self, features_extractor: Any = None) -> TransformActor:
        actor_kwargs = self._update_features_extractor(self.actor_kwargs, features_extractor)
        return TransformActor(**actor_kwargs, transform=self.transform_spec).to(self.device)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        return {**super()._get_constructor_parameters(), "transform": self.transform_spec}

    def _predict(self, observation: PyTorchObs, deterministic: bool = False) -> torch.Tensor:
        return self.actor._predict(observation, deterministic)
