"""Exploration in the critic's action space, one independent stream per member.

The agent perturbs a = forward(u) (so every transform explores in the same units):
* Gaussian: a + sigma * (high - low)/2 * N(0, 1)  (CleanRL/TD3 style; default for Box environments);
* Ornstein-Uhlenbeck: a + sigma * (high - low)/2 * x, with x <- x - theta * x + N(0, 1) per step, reset at
  episode end (Lillicrap et al. 2016);
* parameterised environments additionally replace the K discrete scores with U(-1, 1) with probability
  epsilon, decayed linearly per member over its own episodes (PA-DDPG's epsilon-greedy discrete choice).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from bounded_ddpg.config import NoiseConfig
from bounded_ddpg.seeding import torch_generator


class Exploration:
    def __init__(
        self, cfg: NoiseConfig, low: Tensor, high: Tensor, n_discrete: int, seeds: Sequence[int]
    ) -> None:
        if cfg.kind not in ("gaussian", "ou", "none"):
            raise ValueError(f"unknown noise kind {cfg.kind!r}; valid: gaussian, ou, none")
        self.cfg, self.n_discrete = cfg, n_discrete
        self.scale = cfg.sigma * (high - low) / 2.0  # [A]
        self.generators = [torch_generator(seed, "exploration", low.device) for seed in seeds]
        self.ou_state = torch.zeros(len(seeds), low.numel(), device=low.device)
        self.episodes = torch.zeros(len(seeds), dtype=torch.long)

    def epsilon(self) -> Tensor:
        """Per-member probability [M] of a random discrete choice (linear decay over episodes)."""
        c = self.cfg
        frac = (self.episodes.float() / max(c.epsilon_decay_episodes, 1)).clamp(max=1.0)
        return c.epsilon_start + (c.epsilon_end - c.epsilon_start) * frac

    def __call__(self, a: Tensor) -> Tensor:
        """Perturb a [M, A]; returns a new tensor (unclipped)."""
        a = a.clone()
        epsilon = self.epsilon()
        for m, g in enumerate(self.generators):  # M is small; each member draws from its own stream
            if self.cfg.kind != "none":
                z = torch.randn(a.shape[1], generator=g, device=a.device)
                if self.cfg.kind == "ou":
                    self.ou_state[m] += -self.cfg.theta * self.ou_state[m] + z
                    z = self.ou_state[m]
                a[m] += self.scale * z
            if self.n_discrete:
                draw = torch.rand(self.n_discrete + 1, generator=g, device=a.device)
                if draw[0] < epsilon[m]:
                    a[m, : self.n_discrete] = draw[1:] * 2.0 - 1.0
        return a

    def end_episode(self, mask: Tensor) -> None:
        """Members in ``mask`` [M] bool finished an episode: advance epsilon, reset OU state."""
        self.episodes += mask.to(self.episodes.device, torch.long)
        self.ou_state[mask.to(self.ou_state.device)] = 0.0

    def state_dict(self) -> dict[str, object]:
        return {
            "ou_state": self.ou_state.clone(),
            "episodes": self.episodes.clone(),
            "generators": [g.get_state() for g in self.generators],
        }

    def load_state_dict(self, state: dict[str, object]) -> None:
        self.ou_state.copy_(state["ou_state"])  # type: ignore[arg-type]
        self.episodes.copy_(state["episodes"])  # type: ignore[arg-type]
        for g, g_state in zip(self.generators, state["generators"]):  # type: ignore[call-overload]
            g.set_state(g_state)

    def member_state(self, m: int) -> dict[str, object]:
        return {
            "ou_state": self.ou_state[m].clone(),
            "episodes": self.episodes[m].clone(),
            "generator": self.generators[m].get_state(),
        }

    def load_member_states(self, states: Sequence[dict[str, object]]) -> None:
        """Stack ``member_state`` slices (one per member, in order) back into this object."""
        self.load_state_dict(
            {
                "ou_state": torch.stack([s["ou_state"] for s in states]),  # type: ignore[misc]
                "episodes": torch.stack([s["episodes"] for s in states]),  # type: ignore[misc]
                "generators": [s["generator"] for s in states],
            }
        )
