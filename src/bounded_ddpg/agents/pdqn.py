"""P-DQN (Xiong et al. 2018) and MP-DQN (Bester, James & Konidaris 2019) on the shared seam (actor_step.py).

A parameterised action is a discrete choice k of K with that choice's continuous parameters x_k. P-DQN
learns two networks, each with the leading member dimension M (networks.py):

* the Q-network Q(s, x) [M, B, K] (``self.critic``): the state and ALL action parameters x in, one value
  per discrete action out;
* the action-parameter network x(s) [M, B, P] (``self.actor``): every parameter, in the flat [-1, 1] units
  of envs/wrappers.py, plus a fixed "passthrough" map from the state (below).

Acting: k = argmax_k Q(s, forward(x(s)))_k, executed with x_k; the flat action holds +1 at k and -1 at the
other scores, then forward(x(s)) (noise.py adds epsilon-greedy over the scores and OU noise). Learning, one
update per call of ``update`` (MP-DQN's ``_optimize_td_loss``): first the Q-network on the replayed k and
x, target r + gamma (1 - terminated) max_k Q'(s', forward(x'(s')))_k, mean squared error; then the
action-parameter network through ``actor_update`` exactly like DDPG's actor (DDPG.update_actor): dQ/dx of
sum_k Q_k(s, forward(x(s))) at the current parameters, the transform (the released code always inverts:
``_invert_gradients(..., grad_type="action_parameters")``), the batch mean, the backward pass through x(s);
then both targets, with separate rates (``tau`` for Q, ``tau_param`` for x). The critic's ``transform``
covers only the P parameters (bounds [-1, 1]); the K scores are never differentiated.

MP-DQN (``MPDQN``) changes only the Q-network: Q_k is read from a pass in which only x_k's slot of the
parameter input is filled (the others are zero), so Q_k cannot depend on another action's parameters. The
K passes run as ONE forward of K * B rows per member (MultiPassQNetwork).

The passthrough layer (the reference's ``action_parameters_passthrough_layer``, set by
``set_action_parameter_passthrough_weights`` in run_platform_pdqn.py / run_goal_pdqn.py): x(s) = net(s) +
W s + b with W, b fixed buffers (never trained, copied to the target and into checkpoints); on Platform
b = the initial parameters run 3, hop 10, leap 400, W = 0. Initialisation as the reference: hidden layers
Kaiming-normal with zero biases; output layers N(0, init_std^2) with zero biases (torch's default weights
where init_std is 0).
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor, nn

from bounded_ddpg import transforms
from bounded_ddpg.actor_step import Metrics, set_grads
from bounded_ddpg.agents.ddpg import DDPG, member_transforms
from bounded_ddpg.config import ACTOR_GRADS, AgentConfig, ConfigError
from bounded_ddpg.networks import ACTIVATIONS, MemberLinear
from bounded_ddpg.noise import Exploration
from bounded_ddpg.replay import Batch
from bounded_ddpg.seeding import torch_generator

ParamMap = tuple[tuple[int, ...], ...]  # param_map[k]: the indices into x of action k's parameters


class ReferenceMLP(nn.Module):
    """An MLP with the member dimension, initialised as MP-DQN's QActor / ParamActor (agents/pdqn.py).

    Hidden layers: weights N(0, 2 / fan_in) (``nn.init.kaiming_normal_``, ReLU gain), zero biases. Output
    layer: weights N(0, output_std^2) (``output_layer_init_std``), or torch's nn.Linear default
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) where output_std is 0; zero bias. Member m draws from generators[m].
    """

    def __init__(
        self,
        n_members: int,
        sizes: Sequence[int],
        activation: str,
        generators: Sequence[torch.Generator],
        output_std: float,
    ) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; valid: {', '.join(ACTIVATIONS)}")
        if len(generators) != n_members:
            raise ValueError(f"need one generator per member: {len(generators)} for {n_members} members")
        layers = [MemberLinear(n_members, i, o) for i, o in itertools.pairwise(sizes)]
        with torch.no_grad():
            for layer in layers[:-1]:
                std = math.sqrt(2.0 / layer.in_features)
                for m, g in enumerate(generators):
                    layer.weight[m].normal_(0.0, std, generator=g)
                layer.bias.zero_()
            out = layers[-1]
            if output_std > 0:
                for m, g in enumerate(generators):
                    out.weight[m].normal_(0.0, output_std, generator=g)
            else:
                out.init_uniform(generators)
            out.bias.zero_()
        self.layers = nn.ModuleList(layers)
        self.activation = ACTIVATIONS[activation]

    @property
    def output_layer(self) -> MemberLinear:
        layer = self.layers[-1]
        assert isinstance(layer, MemberLinear)
        return layer

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers[:-1]:
            x = self.activation(layer(x))
        return self.layers[-1](x)


class ParamNetwork(nn.Module):
    """x(s) [M, B, P] = MLP(s) + s @ W + b: the action parameters, in flat [-1, 1] units, unbounded.

    W [M, obs_dim, P] and b [M, 1, P] are the passthrough layer: buffers, so never trained and never moved
    by a target update, but saved in state_dict (checkpoints) and copied with the network.
    """

    passthrough_weight: Tensor
    passthrough_bias: Tensor

    def __init__(
        self,
        n_members: int,
        obs_dim: int,
        n_params: int,
        cfg: AgentConfig,
        generators: Sequence[torch.Generator],
    ) -> None:
        super().__init__()
        sizes = [obs_dim, *cfg.hidden_sizes, n_params]
        self.mlp = ReferenceMLP(n_members, sizes, cfg.activation, generators, cfg.init_std_param)
        weight = torch.zeros(n_params, obs_dim)
        if cfg.passthrough_weight is not None:
            weight = torch.tensor(cfg.passthrough_weight, dtype=torch.float32)
            if weight.shape != (n_params, obs_dim):
                raise ConfigError(
                    f"agent.passthrough_weight has shape {list(weight.shape)}; valid: null, or {n_params} "
                    f"rows (one per action parameter) of {obs_dim} numbers (one per observation entry)"
                )
        bias = torch.zeros(n_params)
        if cfg.passthrough_bias is not None:
            bias = torch.tensor(cfg.passthrough_bias, dtype=torch.float32)
            if bias.shape != (n_params,):
                raise ConfigError(
                    f"agent.passthrough_bias has {bias.numel()} values; valid: null, or {n_params} (one per "
                    f"action parameter)"
                )
        self.register_buffer("passthrough_weight", weight.T.expand(n_members, -1, -1).clone())
        self.register_buffer("passthrough_bias", bias.view(1, 1, -1).expand(n_members, 1, -1).clone())

    @property
    def output_layer(self) -> MemberLinear:
        return self.mlp.output_layer

    def forward(self, obs: Tensor) -> Tensor:
        passthrough = torch.baddbmm(self.passthrough_bias, obs, self.passthrough_weight)
        return self.mlp(obs) + passthrough


class QNetwork(nn.Module):
    """P-DQN's Q(s, x) [M, B, K]: the state and all P action parameters in, one value per action out."""

    def __init__(
        self,
        n_members: int,
        obs_dim: int,
        param_map: ParamMap,
        n_params: int,
        cfg: AgentConfig,
        generators: Sequence[torch.Generator],
    ) -> None:
        super().__init__()
        n_actions = len(param_map)
        sizes = [obs_dim + n_params, *cfg.hidden_sizes, n_actions]
        self.mlp = ReferenceMLP(n_members, sizes, cfg.activation, generators, cfg.init_std_q)

    @property
    def output_layer(self) -> MemberLinear:
        return self.mlp.output_layer

    def forward(self, obs: Tensor, x: Tensor) -> Tensor:
        return self.mlp(torch.cat([obs, x], dim=-1))


class MultiPassQNetwork(QNetwork):
    """MP-DQN's Q(s, x) [M, B, K]: Q_k from a pass whose parameter input holds x_k and zeros elsewhere.

    x_k is what ``param_map[k]`` names: a per-action layout's own block, or a shared layout's mapped entries
    (the same numbers, so both layouts of one task compute the same passes).

    The K passes are one forward of K * B rows per member (rows k * B .. k * B + B - 1 are pass k, as in
    MP-DQN's agents/pdqn_multipass.py MultiPassQActor); output k is then taken from pass k.
    """

    slots: Tensor  # [K, P] bool: which entries of x belong to action k

    def __init__(
        self,
        n_members: int,
        obs_dim: int,
        param_map: ParamMap,
        n_params: int,
        cfg: AgentConfig,
        generators: Sequence[torch.Generator],
    ) -> None:
        super().__init__(n_members, obs_dim, param_map, n_params, cfg, generators)
        slots = torch.zeros(len(param_map), n_params, dtype=torch.bool)
        for k, indices in enumerate(param_map):
            slots[k, list(indices)] = True
        self.register_buffer("slots", slots, persistent=False)

    def forward(self, obs: Tensor, x: Tensor) -> Tensor:
        m, b, obs_dim = obs.shape
        k = self.slots.shape[0]
        xs = torch.where(self.slots.view(1, k, 1, -1), x.unsqueeze(1), 0.0)
        rows = torch.cat([obs.unsqueeze(1).expand(m, k, b, obs_dim), xs], dim=-1)  # [M, K, B, obs + P]
        q = self.mlp(rows.reshape(m, k * b, -1)).view(m, k, b, k)  # [M, pass, B, output]
        return torch.diagonal(q, dim1=1, dim2=3)  # [M, B, K]: output k of pass k


def param_map_of(
    param_map: Sequence[Sequence[int]] | None,
    param_slices: Sequence[slice] | None,
    n_discrete: int,
    n_params: int,
) -> ParamMap:
    """Which of the P parameters (indices into x) each discrete action uses; checked.

    ``param_map`` is the flat wrapper's (envs/spaces.py: either hybrid layout); ``param_slices`` the
    per-action layout's flat slices (indices into the whole flat action, after the K scores), accepted too.
    Neither: one parameter per action, allowed only where P == K.
    """
    if param_map is None and param_slices is not None:
        param_map = [range(s.start - n_discrete, s.stop - n_discrete) for s in param_slices]
    if param_map is None:
        if n_params != n_discrete:
            raise ConfigError(
                f"{n_discrete} discrete actions share {n_params} parameters: the agent needs the env's "
                f"param_map to know which belong to which action"
            )
        return tuple((k,) for k in range(n_discrete))
    out = tuple(tuple(int(i) for i in m) for m in param_map)
    if len(out) != n_discrete or any(not 0 <= i < n_params for m in out for i in m):
        raise ConfigError(
            f"param_map {[list(m) for m in out]} does not fit {n_discrete} discrete actions and {n_params} "
            f"parameters (one list per action, indices 0 to {n_params - 1})"
        )
    return out


class PDQN(DDPG):
    """M independent P-DQN learners in one set of batched networks (same arguments as DDPG, plus the
    env's ``param_map``, or the per-action layout's ``param_slices``).

    It reuses DDPG's update loop (Q step, parameter step, targets), its per-member gradient clipping, its
    actor step (the seam) and its checkpoint slicing; ``actor`` is x(s), ``critic`` is Q(s, x).
    """

    multipass: ClassVar[bool] = False

    @classmethod
    def problems(cls, cfg: Any, action_dim: int, n_discrete: int, env_name: str) -> list[str]:
        """P-DQN and MP-DQN learn on hybrid actions only, and have no averaged policy."""
        out = []
        if n_discrete <= 0:
            out.append(f"agent={cfg.name} needs a parameterised env (a hybrid action: a discrete choice with "
                       f"continuous parameters, e.g. env=Platform or env=Goal); {env_name}'s action is a Box "
                       f"(valid agents there: ddpg, td3)")  # fmt: skip
        if cfg.policy_average is not None:
            out.append(f"agent.policy_average={cfg.policy_average} is available for agent=ddpg and agent=td3 "
                       "only; P-DQN's greedy action also reads its Q-network: set "
                       "agent.policy_average=null")  # fmt: skip
        return out + super().problems(cfg, action_dim, n_discrete, env_name)

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
        param_slices: Sequence[slice] | None = None,
        param_map: Sequence[Sequence[int]] | None = None,
    ) -> None:
        # DDPG.__init__ is not called: both networks have other shapes and the transform other bounds.
        if cfg.actor_grad not in ACTOR_GRADS:
            raise ValueError(f"unknown actor_grad {cfg.actor_grad!r}; valid: {', '.join(ACTOR_GRADS)}")
        if n_discrete <= 0:
            raise ConfigError(
                f"agent={cfg.name} needs a parameterised env (a discrete choice with continuous "
                f"parameters, e.g. env=Platform or env=Goal); this env's action has no discrete part"
            )
        if cfg.policy_average is not None:
            raise ConfigError(
                f"agent.policy_average={cfg.policy_average} is available for agent=ddpg and agent=td3 only; "
                f"P-DQN's greedy action also reads its Q-network: set agent.policy_average=null"
            )
        tau_param = cfg.tau if cfg.tau_param is None else cfg.tau_param
        if not 0.0 < tau_param <= 1.0 or cfg.init_std_param < 0 or cfg.init_std_q < 0:
            raise ConfigError(
                f"need 0 < agent.tau_param <= 1 and agent.init_std_param, agent.init_std_q >= 0; got "
                f"{cfg.tau_param}, {cfg.init_std_param}, {cfg.init_std_q}"
            )
        low, high = np.asarray(low, dtype=np.float32), np.asarray(high, dtype=np.float32)
        n_params = low.size - n_discrete
        self.param_map = param_map_of(param_map, param_slices, n_discrete, n_params)
        self.cfg, self.device, self.n_members = cfg, torch.device(device), len(seeds)
        self.n_discrete, self.tau_param = n_discrete, tau_param
        self.seeds = list(seeds)
        self.member_transforms = member_transforms(transform, seeds)
        self.shape_args = dict(obs_dim=obs_dim, low=low, high=high, n_discrete=n_discrete, device=device,
                               param_map=self.param_map)  # fmt: skip
        # train.py and evaluation clip to the whole flat box; the transform sees only the parameters.
        self.low = torch.from_numpy(low).to(self.device)
        self.high = torch.from_numpy(high).to(self.device)
        self.transform = transforms.make(transform, low[n_discrete:], high[n_discrete:]).to(self.device)
        m = self.n_members
        actor_gens = [torch_generator(s, "actor") for s in seeds]
        self.actor = ParamNetwork(m, obs_dim, n_params, cfg, actor_gens)  # type: ignore[assignment]
        q_class = MultiPassQNetwork if self.multipass else QNetwork
        critic_gens = [torch_generator(s, "critic") for s in seeds]
        self.critic = q_class(m, obs_dim, self.param_map, n_params, cfg, critic_gens)
        self.actor.to(self.device)
        self.critic.to(self.device)
        self.actor_target, self.critic_target = copy.deepcopy(self.actor), copy.deepcopy(self.critic)
        for p in (*self.actor_target.parameters(), *self.critic_target.parameters()):
            p.requires_grad_(False)
        self.actor_params: list[Tensor] = list(self.actor.parameters())
        self.critic_params: list[Tensor] = list(self.critic.parameters())
        fused = self.device.type in ("cpu", "cuda")
        self.actor_opt = torch.optim.Adam(self.actor_params, lr=cfg.lr_actor, fused=fused)
        self.critic_opt = torch.optim.Adam(self.critic_params, lr=cfg.lr_critic, fused=fused)
        # epsilon-greedy over the K scores and OU noise, in the flat box (noise.py)
        self.exploration = Exploration(cfg.noise, self.low, self.high, n_discrete, seeds)
        self.streams: dict[str, list[torch.Generator]] = {}
        self.num_updates = 0

    def greedy(self, obs: Tensor) -> Tensor:
        """The greedy flat action [M, B, K + P] for obs [M, B, obs_dim]: +1 at argmax_k Q(s, x)_k, -1 at
        the other scores, then x = forward(x(s))."""
        x = self.transform.forward(self.actor(obs))
        k = self.critic(obs, x).argmax(-1, keepdim=True)  # [M, B, 1]
        scores = torch.full((*x.shape[:-1], self.n_discrete), -1.0, device=x.device)
        return torch.cat([scores.scatter(-1, k, 1.0), x], dim=-1)

    @torch.no_grad()
    def act(self, obs: Tensor, explore: bool) -> Tensor:
        """Flat action [M, K + P] for obs [M, obs_dim], with exploration if asked; not clipped."""
        a = self.greedy(obs.to(self.device).unsqueeze(1)).squeeze(1)
        return self.exploration(a) if explore else a

    def update_critic(self, batch: Batch) -> Metrics:
        """One Q-network step on the replayed (k, x): target r + gamma (1 - terminated) max_k Q'(s', x')."""
        k = batch.action[..., : self.n_discrete].argmax(-1, keepdim=True)  # [M, B, 1]
        x = batch.action[..., self.n_discrete :]
        with torch.no_grad():
            next_x = self.transform.forward(self.actor_target(batch.next_obs))
            next_q = self.critic_target(batch.next_obs, next_x).amax(-1, keepdim=True)
            # Bootstrap through truncation: only a true terminal state has no future value.
            target = batch.reward + self.cfg.gamma * (1.0 - batch.terminated) * next_q
        q = self.critic(batch.obs, x).gather(-1, k)
        loss = (q - target).square().mean((1, 2))  # [M]
        metrics = {"critic_loss": loss.detach(), "q_mean": q.detach().mean((1, 2))}
        set_grads(self.critic_params, loss.sum())  # nothing but the metrics outlives the graph (compiled.py)
        self._step(self.critic_params, self.critic_opt)
        return metrics

    # update_actor is DDPG's: u = x(s); actor_update sums the K heads of Q(s, forward(u)).

    @torch.no_grad()
    def update_targets(self) -> None:
        """Q' <- (1 - tau) Q' + tau Q, and x' <- (1 - tau_param) x' + tau_param x."""
        for online, target, tau in (
            (self.actor, self.actor_target, self.tau_param),
            (self.critic, self.critic_target, self.cfg.tau),
        ):
            torch._foreach_lerp_(list(target.parameters()), list(online.parameters()), tau)


class MPDQN(PDQN):
    """MP-DQN: P-DQN with the multi-pass Q-network (MultiPassQNetwork)."""

    multipass = True
