"""TD3 (Fujimoto, van Hoof & Meger 2018): DDPG with twin critics, target smoothing and a delayed actor.

Three changes to DDPG's update, each against the critic's overestimation:
* twin critics Q1, Q2 trained on one target, r + gamma (1 - terminated) min(Q1', Q2')(s', a~');
* target policy smoothing: a~' = clamp(forward(mu'(s')) + eps, low, high) with
  eps = clamp(N(0, policy_noise^2), -noise_clip, noise_clip) * (high - low) / 2, i.e. in the units of the
  action the critic sees (CleanRL's td3_continuous_action.py scales by its action_scale the same way);
* the actor and the targets are updated every ``policy_delay``-th critic update (DDPG.update).
The actor follows Q1's dQ/da, through the same seam as DDPG (actor_step.py).

How smoothing meets the transforms: the noise is added to forward(u'), the action the critic sees, so it
perturbs the same quantity for every transform (for squash the tanh head's output, not the raw u'). The
clamp to [low, high] is TD3's own: the target is the value of an action the environment could execute
(the environment always receives clipped actions). For clip and squash forward(u') already lies inside the
bounds and the clamp only stops the noise from leaving them; for identity, zero and invert forward(u') = u'
may lie outside, and the clamp evaluates the target critic where the executed action is. The critic itself
is still trained on the stored action (raw or clipped, agent.store_action) and the actor step still sees
forward(u) unclamped: only the bootstrap target is clamped, as in the paper.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import torch
from torch import Tensor, nn

from bounded_ddpg import transforms
from bounded_ddpg.actor_step import Metrics, set_grads
from bounded_ddpg.agents.ddpg import DDPG
from bounded_ddpg.config import AgentConfig
from bounded_ddpg.networks import Critic
from bounded_ddpg.replay import Batch
from bounded_ddpg.seeding import torch_generator


class TwinCritic(nn.Module):
    """Q1 and Q2, each with a member dimension; calling it gives Q1 (what the actor follows)."""

    def __init__(
        self, n_members: int, obs_dim: int, action_dim: int, seeds: Sequence[int], **net: Any
    ) -> None:
        super().__init__()
        streams = {name: [torch_generator(s, name) for s in seeds] for name in ("critic", "critic2")}
        self.q1 = Critic(n_members, obs_dim, action_dim, generators=streams["critic"], **net)
        self.q2 = Critic(n_members, obs_dim, action_dim, generators=streams["critic2"], **net)

    def forward(self, obs: Tensor, a: Tensor) -> Tensor:
        return self.q1(obs, a)

    def both(self, obs: Tensor, a: Tensor) -> tuple[Tensor, Tensor]:
        return self.q1(obs, a), self.q2(obs, a)


class TD3(DDPG):
    """M independent TD3 learners in one set of batched networks (same arguments as DDPG)."""

    def __init__(
        self,
        obs_dim: int,
        low: np.ndarray,
        high: np.ndarray,
        cfg: AgentConfig,
        transform: transforms.SpecLike | Sequence[transforms.SpecLike],
        n_discrete: int = 0,
        seeds: Sequence[int] = (0,),
        device: str = "cpu",
    ) -> None:
        super().__init__(obs_dim, low, high, cfg, transform, n_discrete, seeds, device)
        self.streams["target_smoothing"] = [
            torch_generator(s, "target_smoothing", self.device) for s in seeds
        ]
        half_range = (self.high - self.low) / 2.0
        self.noise_std, self.noise_clip = cfg.policy_noise * half_range, cfg.noise_clip * half_range

    def make_critic(
        self, obs_dim: int, action_dim: int, seeds: Sequence[int], net: dict[str, Any]
    ) -> nn.Module:
        return TwinCritic(self.n_members, obs_dim, action_dim, seeds, **net)

    def smoothing_noise(self, batch_size: int) -> Tensor:
        """[M, B, A] standard normal draws, member m's from its own target_smoothing stream."""
        shape = (batch_size, self.low.shape[-1])
        gens = self.streams["target_smoothing"]
        return torch.stack([torch.randn(shape, generator=g, device=self.device) for g in gens])

    def predraw(self, batch: Batch) -> None:
        self.predrawn = self.smoothing_noise(batch.next_obs.shape[1])

    def smoothed_target_action(self, next_obs: Tensor) -> Tensor:
        """a~' = clamp(forward(mu'(s')) + clipped noise, low, high), noise from each member's own stream."""
        a = self.transform.forward(self.actor_target(next_obs))  # [M, B, A]
        eps, self.predrawn = self.predrawn, None
        if eps is None:
            eps = self.smoothing_noise(next_obs.shape[1])
        eps = torch.maximum(torch.minimum(eps * self.noise_std, self.noise_clip), -self.noise_clip)
        return torch.maximum(torch.minimum(a + eps, self.high), self.low)

    def update_critic(self, batch: Batch) -> Metrics:
        critic, critic_target = cast(TwinCritic, self.critic), cast(TwinCritic, self.critic_target)
        with torch.no_grad():
            next_a = self.smoothed_target_action(batch.next_obs)
            next_q = torch.minimum(*critic_target.both(batch.next_obs, next_a))
            # Bootstrap through truncation: only a true terminal state has no future value.
            target = batch.reward + self.cfg.gamma * (1.0 - batch.terminated) * next_q
        q1, q2 = critic.both(batch.obs, batch.action)
        loss = (q1 - target).square().mean((1, 2)) + (q2 - target).square().mean((1, 2))  # [M]
        metrics = {"critic_loss": loss.detach(), "q_mean": q1.detach().mean((1, 2))}
        set_grads(self.critic_params, loss.sum())  # nothing but the metrics outlives the graph (compiled.py)
        self._step(self.critic_params, self.critic_opt)
        return metrics
