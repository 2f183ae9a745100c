"""Ring buffer of transitions with a leading member dimension; `terminated` and `truncated` kept apart.

The critic bootstraps through truncation: only `terminated` zeroes the target's next-state value, and the
stored `next_obs` of a truncated step is the real final observation (never the reset observation).
Storage is preallocated torch tensors [M, capacity, ...] on the training device; sampling is one index draw
per member from that member's own generator, then one gather.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor

from bounded_ddpg.seeding import torch_generator


class Batch(NamedTuple):
    obs: Tensor  # [M, B, obs_dim]
    action: Tensor  # [M, B, A]: the action the critic sees (raw or clipped, per agent.store_action)
    reward: Tensor  # [M, B, 1]
    next_obs: Tensor  # [M, B, obs_dim]
    terminated: Tensor  # [M, B, 1] float: 1.0 where the episode ended in a terminal state
    truncated: Tensor  # [M, B, 1] float: 1.0 where a time limit cut the episode (still bootstrapped)


class ReplayBuffer:
    def __init__(
        self, capacity: int, obs_dim: int, action_dim: int, seeds: Sequence[int], device: str = "cpu"
    ) -> None:
        if capacity <= 0:
            raise ValueError(f"replay capacity must be positive, got {capacity}")
        self.capacity, self.n_members, self.device = capacity, len(seeds), torch.device(device)
        self.seeds = list(seeds)
        m, c = self.n_members, capacity

        def zeros(*shape: int) -> Tensor:
            return torch.zeros(m, c, *shape, device=self.device)

        self.storage: dict[str, Tensor] = {
            "obs": zeros(obs_dim),
            "action": zeros(action_dim),
            "reward": zeros(1),
            "next_obs": zeros(obs_dim),
            "terminated": zeros(1),
            "truncated": zeros(1),
        }
        self.generators = [torch_generator(seed, "replay", self.device) for seed in seeds]
        # Flat [M * capacity, dim] views: one index_select per field gathers every member's batch.
        self.flat = {key: value.view(m * c, -1) for key, value in self.storage.items()}
        self.offsets = (torch.arange(m, device=self.device) * c).unsqueeze(1)  # [M, 1]
        self.ptr = 0
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def add(
        self,
        obs: Tensor,
        action: Tensor,
        reward: Tensor,
        next_obs: Tensor,
        terminated: Tensor,
        truncated: Tensor,
    ) -> None:
        """Store one transition per member (each argument has leading dimension M)."""
        i = self.ptr
        for key, value in zip(
            ("obs", "action", "reward", "next_obs", "terminated", "truncated"),
            (obs, action, reward, next_obs, terminated, truncated),
        ):
            self.storage[key][:, i] = value.reshape(self.n_members, -1).to(self.device, torch.float32)
        self.ptr = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size: int) -> Batch:
        """B transitions per member, uniformly with replacement, from that member's own stream."""
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        idx = torch.stack(
            [
                torch.randint(self.size, (batch_size,), generator=g, device=self.device)
                for g in self.generators
            ]
        )
        rows = (idx + self.offsets).view(-1)
        m = self.n_members
        return Batch(
            **{key: value.index_select(0, rows).view(m, batch_size, -1) for key, value in self.flat.items()}
        )

    def state_dict(self) -> dict[str, object]:
        n = self.size
        return {
            "storage": {key: value[:, :n].clone() for key, value in self.storage.items()},
            "ptr": self.ptr,
            "size": n,
            "generators": [g.get_state() for g in self.generators],
        }

    def load_state_dict(self, state: dict[str, object]) -> None:
        size, ptr = int(state["size"]), int(state["ptr"])  # type: ignore[call-overload]
        storage: dict[str, Tensor] = state["storage"]  # type: ignore[assignment]
        for key, value in storage.items():
            self.storage[key][:, :size] = value.to(self.device)
        self.size, self.ptr = size, ptr
        for g, g_state in zip(self.generators, state["generators"]):  # type: ignore[call-overload]
            g.set_state(g_state)

    def member_state(self, m: int) -> dict[str, object]:
        """Member m's transitions (the first ``size`` slots), the ring position and its sampling stream."""
        n = self.size
        return {
            "storage": {key: value[m, :n].clone() for key, value in self.storage.items()},
            "ptr": self.ptr,
            "size": n,
            "generator": self.generators[m].get_state(),
        }

    def load_member_states(self, states: Sequence[dict[str, object]]) -> None:
        """Stack ``member_state`` slices (one per member, in order) back into this buffer."""
        if len(states) != self.n_members or len({(s["ptr"], s["size"]) for s in states}) != 1:
            raise ValueError("member replay states differ in count, position or size")
        first: dict[str, Tensor] = states[0]["storage"]  # type: ignore[assignment]
        storage = {key: torch.stack([s["storage"][key] for s in states]) for key in first}  # type: ignore[index]
        self.load_state_dict(
            {**states[0], "storage": storage, "generators": [s["generator"] for s in states]}
        )

    def subset(self, keep: Sequence[int]) -> ReplayBuffer:
        """A new buffer holding only the members ``keep`` (their transitions and sampling streams)."""
        obs_dim, action_dim = self.storage["obs"].shape[-1], self.storage["action"].shape[-1]
        out = ReplayBuffer(
            self.capacity, obs_dim, action_dim, [self.seeds[i] for i in keep], str(self.device)
        )
        out.load_member_states([self.member_state(i) for i in keep])
        return out
