"""DDPG (Lillicrap et al. 2016) and PA-DDPG, with the actor's gradient routed through actor_step.py.

PA-DDPG (Hausknecht & Stone 2016) is this agent on a parameterised environment's flat action box (K
discrete scores and every parameter, envs/wrappers.py); epsilon-greedy over the scores lives in noise.py.
Shapes carry a leading member dimension M (see networks.py): losses are means over the batch per member,
summed over members, so each member's gradient is what it would be alone (up to float rounding: batched
matrix products round differently from single ones; docs/running.md, "Batched members").
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from bounded_ddpg import traced_adam, transforms
from bounded_ddpg.actor_step import Metrics, actor_update, set_grads
from bounded_ddpg.config import ACTOR_GRADS, AgentConfig
from bounded_ddpg.networks import Actor, Critic
from bounded_ddpg.noise import Exploration
from bounded_ddpg.replay import Batch
from bounded_ddpg.seeding import torch_generator


def member_transforms(
    transform: transforms.SpecLike | Sequence[transforms.SpecLike], seeds: Sequence[int]
) -> list[transforms.SpecLike]:
    """Each member's transform: one for all members, or exactly one per member (else ValueError)."""
    if isinstance(transform, str | transforms.Spec):
        return [transform] * len(seeds)
    if len(transform) != len(seeds):
        raise ValueError(f"{len(transform)} transforms for {len(seeds)} members: give one per member")
    return list(transform)


@torch.no_grad()
def clip_grad_norm_per_member(params: Sequence[Tensor], max_norm: float) -> None:
    """Scale each member's gradient so that its L2 norm over all of ``params`` is at most max_norm."""
    grads = [p.grad for p in params if p.grad is not None]
    norms = torch.linalg.vector_norm(torch.cat([g.flatten(1) for g in grads], dim=1), dim=1)  # [M]
    scale = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(scale.view(-1, *([1] * (g.dim() - 1))))


class DDPG:
    """M = len(seeds) independent DDPG learners in one set of batched networks.

    Member m is initialised and explores from its own seed's streams; ``transform`` is one transform for
    all members or one per member (a whole transform ablation in one process): a built-in's name or a
    ``transforms.Spec`` (a class with its parameters, built-in or the user's own).
    """

    # Per-member learning-rate factors [M] for the next optimiser steps (agent.lr_decay; the training loop
    # sets them before each update from the members' budgets); None: every member at its full rate.
    lr_scale: Tensor | None = None
    # The averaged actor that acts greedily (agent.policy_average, a protocol variant); None: off.
    actor_avg: nn.Module | None = None
    # The random numbers of the next update phase, drawn beforehand by ``predraw`` (outside a compiled graph,
    # which cannot draw from a torch.Generator; compiled.py) and used up by that phase; None: it draws them.
    predrawn: Tensor | None = None

    @classmethod
    def problems(cls, cfg: Any, action_dim: int, n_discrete: int, env_name: str) -> list[str]:
        """What in the agent section ``cfg`` does not fit this env (flat action of ``action_dim``)."""
        bias = cfg.actor_bias_init
        if bias is not None and len(bias) != action_dim:
            shown = str([float(b) for b in bias]).replace(" ", "")
            return [f"agent.actor_bias_init={shown} has {len(bias)} values; valid: null, or {action_dim} "
                    f"values (one per dimension of {env_name}'s flat action)"]  # fmt: skip
        return []

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
        if cfg.actor_grad not in ACTOR_GRADS:
            raise ValueError(f"unknown actor_grad {cfg.actor_grad!r}; valid: {', '.join(ACTOR_GRADS)}")
        self.cfg, self.device, self.n_members = cfg, torch.device(device), len(seeds)
        self.seeds = list(seeds)
        self.member_transforms = member_transforms(transform, seeds)
        self.shape_args = dict(obs_dim=obs_dim, low=low, high=high, n_discrete=n_discrete, device=device)
        self.transform = transforms.make(transform, low, high).to(self.device)
        self.low, self.high = self.transform.low, self.transform.high
        action_dim, m = self.low.numel(), self.n_members
        net = dict(hidden_sizes=cfg.hidden_sizes, activation=cfg.activation, final_init=cfg.final_init)
        self.actor = Actor(
            m,
            obs_dim,
            action_dim,
            generators=[torch_generator(s, "actor") for s in seeds],
            bias_init=cfg.actor_bias_init,
            **net,  # type: ignore[arg-type]
        ).to(self.device)
        self.critic = self.make_critic(obs_dim, action_dim, seeds, net).to(self.device)
        self.actor_target, self.critic_target = copy.deepcopy(self.actor), copy.deepcopy(self.critic)
        for p in (*self.actor_target.parameters(), *self.critic_target.parameters()):
            p.requires_grad_(False)
        if cfg.policy_average is not None:
            self.actor_avg = copy.deepcopy(self.actor).requires_grad_(False)
        # Parameter lists built once: every update reads them several times.
        self.actor_params: list[Tensor] = list(self.actor.parameters())
        self.critic_params: list[Tensor] = list(self.critic.parameters())
        self.target_pairs: list[tuple[list[Tensor], list[Tensor]]] = [
            (list(target.parameters()), list(online.parameters()))
            for online, target in ((self.actor, self.actor_target), (self.critic, self.critic_target))
        ]
        fused = self.device.type in ("cpu", "cuda")
        self.actor_opt = torch.optim.Adam(self.actor_params, lr=cfg.lr_actor, fused=fused)
        self.critic_opt = torch.optim.Adam(self.critic_params, lr=cfg.lr_critic, fused=fused)
        self.exploration = Exploration(cfg.noise, self.low, self.high, n_discrete, seeds)
        # Named per-member random streams the update draws from (TD3's target smoothing); checkpointed.
        self.streams: dict[str, list[torch.Generator]] = {}
        self.num_updates = 0

    def make_critic(
        self, obs_dim: int, action_dim: int, seeds: Sequence[int], net: dict[str, Any]
    ) -> nn.Module:
        """Q(s, a) [M, B, 1]: one critic per member, initialised from the member's "critic" stream."""
        return Critic(
            self.n_members,
            obs_dim,
            action_dim,
            generators=[torch_generator(s, "critic") for s in seeds],
            **net,
        )

    @torch.no_grad()
    def act(self, obs: Tensor, explore: bool) -> Tensor:
        """Action in the critic's space for obs [M, obs_dim]: forward(mu(s)), plus exploration if asked.

        Not clipped: the caller clips for the environment and stores raw or clipped per store_action.
        """
        actor = self.actor if explore or self.actor_avg is None else self.actor_avg
        a = self.transform.forward(actor(obs.to(self.device).unsqueeze(1))).squeeze(1)
        return self.exploration(a) if explore else a

    def end_episode(self, mask: Tensor) -> None:
        self.exploration.end_episode(mask)

    def update(self, batch: Batch) -> Metrics:
        """One critic step; every policy_delay-th call also an actor step and a target update."""
        self.num_updates += 1
        return self.update_phase(batch, self.num_updates % self.cfg.policy_delay == 0)

    def predraw(self, batch: Batch) -> None:
        """Draw now, from the members' own streams, what the next phase on ``batch`` would draw (TD3's
        target smoothing noise) into ``predrawn``: the same numbers as when the phase draws them itself.
        DDPG's update draws nothing."""

    def update_phase(self, batch: Batch, actor: bool) -> Metrics:
        """One phase of the policy_delay cycle: the critic step; with ``actor``, also the actor step and the
        target update. compiled.py compiles this method, one graph per phase (agent.compile)."""
        metrics = self.update_critic(batch)
        if actor:
            metrics |= self.update_actor(batch.obs)
            self.update_targets()
        return metrics

    def update_critic(self, batch: Batch) -> Metrics:
        with torch.no_grad():
            next_a = self.transform.forward(self.actor_target(batch.next_obs))
            next_q = self.critic_target(batch.next_obs, next_a)
            # Bootstrap through truncation: only a true terminal state has no future value.
            target = batch.reward + self.cfg.gamma * (1.0 - batch.terminated) * next_q
        q = self.critic(batch.obs, batch.action)
        loss = (q - target).square().mean((1, 2))  # [M]
        metrics = {"critic_loss": loss.detach(), "q_mean": q.detach().mean((1, 2))}
        set_grads(self.critic_params, loss.sum())  # nothing but the metrics outlives the graph (compiled.py)
        self._step(self.critic_params, self.critic_opt)
        return metrics

    def update_actor(self, obs: Tensor) -> Metrics:
        """One actor step up the transformed policy gradient of Q(s, forward(mu(s))) (actor_step.py)."""
        u = self.actor(obs)  # [M, B, A] raw actor output
        metrics = actor_update(
            u,
            lambda a: self.critic(obs, a),
            self.transform,
            self.cfg.actor_grad,
            self.actor_params,
        )
        self._step(self.actor_params, self.actor_opt)
        if self.actor_avg is not None:
            self.update_average()
        return metrics

    @torch.no_grad()
    def update_average(self) -> None:
        """avg <- (1 - policy_average) * avg + policy_average * actor (agent.policy_average)."""
        assert self.actor_avg is not None and self.cfg.policy_average is not None
        torch._foreach_lerp_(list(self.actor_avg.parameters()), self.actor_params, self.cfg.policy_average)

    def _step(self, params: list[Tensor], opt: torch.optim.Optimizer) -> None:
        """Clip, then one Adam step: torch's fused kernel eagerly; traced_adam's step, on the same state,
        while TorchDynamo traces the update (agent.compile), so that the phase stays one graph."""
        if self.cfg.grad_clip is not None:
            clip_grad_norm_per_member(params, self.cfg.grad_clip)
        adam = traced_adam.adam_step_ if torch.compiler.is_compiling() else _eager_step
        if self.lr_scale is None:
            adam(opt)
            return
        # Adam's step is lr * m_hat / (sqrt(v_hat) + eps): member m at lr * f_m moves f_m of the full step,
        # theta_old + f_m (theta_new - theta_old), with its moments updated as at the full rate.
        with torch.no_grad():
            old = [p.detach().clone() for p in params]
            adam(opt)
            keep = (1.0 - self.lr_scale).to(self.device)
            torch._foreach_lerp_(params, old, [keep.view(-1, *([1] * (p.dim() - 1))) for p in params])

    @torch.no_grad()
    def update_targets(self) -> None:
        """theta_target <- (1 - tau) * theta_target + tau * theta (tau = fraction of online weights)."""
        for target, online in self.target_pairs:
            torch._foreach_lerp_(target, online, self.cfg.tau)

    def nets(self) -> tuple[str, ...]:
        """The names of the networks a checkpoint holds (the averaged actor only when it exists)."""
        return (*_NETS, "actor_avg") if self.actor_avg is not None else _NETS

    def state_dict(self) -> dict[str, Any]:
        state = {
            "actor": self.actor.state_dict(),
            "critic": self.critic.state_dict(),
            "actor_target": self.actor_target.state_dict(),
            "critic_target": self.critic_target.state_dict(),
            "actor_opt": self.actor_opt.state_dict(),
            "critic_opt": self.critic_opt.state_dict(),
            "exploration": self.exploration.state_dict(),
            "streams": {k: [g.get_state() for g in gs] for k, gs in self.streams.items()},
            "num_updates": self.num_updates,
        }
        if self.actor_avg is not None:
            state["actor_avg"] = self.actor_avg.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for name in (*self.nets(), *_OPTS, "exploration"):
            getattr(self, name).load_state_dict(state[name])
        self._load_streams(state["streams"])
        self.num_updates = int(state["num_updates"])

    def _load_streams(self, states: dict[str, Sequence[Any]]) -> None:
        """Set every stream of self.streams from one generator state per member."""
        for name, generators in self.streams.items():
            for g, g_state in zip(generators, states[name], strict=True):
                g.set_state(g_state)

    def member_state(self, m: int) -> dict[str, Any]:
        """Member m's slice of state_dict(): every network and Adam moment tensor indexed [m].

        Adam's per-parameter ``step`` counters (0-d tensors) are shared by all members, which update in
        lockstep; each slice carries a copy.
        """
        full = self.state_dict()
        out: dict[str, Any] = {k: {n: t[m].clone() for n, t in full[k].items()} for k in self.nets()}
        for k in _OPTS:
            out[k] = {
                i: {n: (t if t.dim() == 0 else t[m]).clone() for n, t in s.items()}
                for i, s in full[k]["state"].items()
            }
        streams = {k: gs[m].get_state() for k, gs in self.streams.items()}
        return {**out, "exploration": self.exploration.member_state(m), "streams": streams,
                "num_updates": self.num_updates}  # fmt: skip

    def load_member_states(self, states: Sequence[dict[str, Any]]) -> None:
        """Stack ``member_state`` slices (one per member, in order) back into this agent."""
        if len(states) != self.n_members:
            raise ValueError(f"{len(states)} member states for {self.n_members} members")
        if len({int(s["num_updates"]) for s in states}) != 1:
            raise ValueError("members' update counters differ: their checkpoints are from different steps")
        full: dict[str, Any] = {
            k: {n: torch.stack([s[k][n] for s in states]) for n in states[0][k]} for k in self.nets()
        }
        for k in _OPTS:
            opt_state: dict[Any, dict[str, Tensor]] = {}
            for i, first in states[0][k].items():
                opt_state[i] = {}
                for n, t in first.items():
                    parts = [s[k][i][n] for s in states]
                    if t.dim() == 0:
                        if any(not torch.equal(t, p) for p in parts):
                            raise ValueError(f"members' Adam {n} counters differ ({k}, parameter {i})")
                        opt_state[i][n] = t
                    else:
                        opt_state[i][n] = torch.stack(parts)
            full[k] = {"state": opt_state, "param_groups": getattr(self, k).state_dict()["param_groups"]}
        for name, value in full.items():
            getattr(self, name).load_state_dict(value)
        self.exploration.load_member_states([s["exploration"] for s in states])
        self._load_streams({k: [s["streams"][k] for s in states] for k in self.streams})
        self.num_updates = int(states[0]["num_updates"])

    def subset(self, keep: Sequence[int]) -> DDPG:
        """A new agent of this type holding only the members ``keep``, each in its exact current state
        (the training loop drops finished members this way, so they cost no more updates)."""
        kept = [self.member_transforms[i] for i in keep]
        transform = kept[0] if len({transforms.as_spec(t).label for t in kept}) == 1 else kept
        seeds = [self.seeds[i] for i in keep]
        agent = type(self)(**self.shape_args, cfg=self.cfg, transform=transform, seeds=seeds)  # type: ignore[arg-type]
        agent.load_member_states([self.member_state(i) for i in keep])
        return agent

    @torch.no_grad()
    def finite_members(self) -> Tensor:
        """[M] bool: whether every online parameter of member m is finite."""
        ok = torch.ones(self.n_members, dtype=torch.bool, device=self.device)
        for p in (*self.actor_params, *self.critic_params):
            ok &= torch.isfinite(p).flatten(1).all(1)
        return ok.cpu()


def _eager_step(opt: torch.optim.Optimizer) -> None:
    opt.step()


_NETS = ("actor", "critic", "actor_target", "critic_target")
_OPTS = ("actor_opt", "critic_opt")
