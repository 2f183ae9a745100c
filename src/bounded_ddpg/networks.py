"""Actor and critic MLPs with a leading member dimension.

Every weight has shape [M, in, out] and every activation [M, B, features]: M independent members (seeds, or
different transforms) train in one process through batched matrix products (torch.baddbmm), and M = 1 is an
ordinary single run. Member k is initialised from its own generator, so its initial weights do not depend on
how many other members share the process.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "relu": F.relu,
    "leaky_relu": F.leaky_relu,  # negative slope 0.01, as in the PA-DDPG reference
    "tanh": torch.tanh,
    "elu": F.elu,
}


class MemberLinear(nn.Module):
    """y[m] = x[m] @ W[m] + b[m] for every member m; x is [M, B, in]."""

    def __init__(self, n_members: int, in_features: int, out_features: int) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.empty(n_members, in_features, out_features))
        self.bias = nn.Parameter(torch.empty(n_members, 1, out_features))

    @torch.no_grad()
    def init_uniform(self, generators: Sequence[torch.Generator], bound: float | None = None) -> None:
        """U(-bound, bound) for weights and biases; default 1/sqrt(fan_in), torch's nn.Linear init."""
        bound = 1.0 / math.sqrt(self.in_features) if bound is None else bound
        for m, generator in enumerate(generators):
            self.weight[m].uniform_(-bound, bound, generator=generator)
            self.bias[m].uniform_(-bound, bound, generator=generator)

    def forward(self, x: Tensor) -> Tensor:
        return torch.baddbmm(self.bias, x, self.weight)


class MLP(nn.Module):
    """Hidden layers with an activation, then a linear output layer."""

    def __init__(
        self,
        n_members: int,
        in_features: int,
        hidden_sizes: Sequence[int],
        out_features: int,
        activation: str,
        generators: Sequence[torch.Generator],
        final_init: float,
    ) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; valid: {', '.join(ACTIVATIONS)}")
        if len(generators) != n_members:
            raise ValueError(f"need one generator per member: {len(generators)} for {n_members} members")
        sizes = [in_features, *hidden_sizes, out_features]
        linears = [MemberLinear(n_members, i, o) for i, o in itertools.pairwise(sizes)]
        for layer in linears[:-1]:
            layer.init_uniform(generators)
        linears[-1].init_uniform(generators, final_init if final_init > 0 else None)
        self.layers = nn.ModuleList(linears)
        self.hidden: tuple[MemberLinear, ...] = tuple(linears[:-1])  # no ModuleList slice per forward
        self.activation = ACTIVATIONS[activation]

    @property
    def output_layer(self) -> MemberLinear:
        return cast(MemberLinear, self.layers[-1])  # self.layers[-1] is an index, not a slice: cheap

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.hidden:
            x = self.activation(layer(x))
        return self.output_layer(x)


class Actor(MLP):
    """u = mu(s): the raw, unbounded actor output [M, B, A]; the transform decides what the critic sees."""

    def __init__(
        self,
        n_members: int,
        obs_dim: int,
        action_dim: int,
        hidden_sizes: Sequence[int],
        activation: str,
        generators: Sequence[torch.Generator],
        final_init: float,
        bias_init: Sequence[float] | None = None,
    ) -> None:
        super().__init__(n_members, obs_dim, hidden_sizes, action_dim, activation, generators, final_init)
        if bias_init is not None:
            if len(bias_init) != action_dim:
                raise ValueError(f"actor_bias_init has {len(bias_init)} values for {action_dim} action dims")
            with torch.no_grad():
                bias = self.output_layer.bias
                bias.copy_(torch.tensor(bias_init, dtype=torch.float32).expand_as(bias))


class Critic(MLP):
    """Q(s, a) [M, B, 1] from the observation concatenated with the action the critic sees."""

    def __init__(
        self,
        n_members: int,
        obs_dim: int,
        action_dim: int,
        hidden_sizes: Sequence[int],
        activation: str,
        generators: Sequence[torch.Generator],
        final_init: float,
    ) -> None:
        super().__init__(n_members, obs_dim + action_dim, hidden_sizes, 1, activation, generators, final_init)

    def forward(self, obs: Tensor, a: Tensor) -> Tensor:  # type: ignore[override]
        return super().forward(torch.cat([obs, a], dim=-1))
