"""The seam, in one place: the actor's update through an action-gradient transform, for every agent.

A deterministic actor is trained by ascending J(theta) = E_s[ sum_k Q_k(s, forward(mu_theta(s))) ]
(k over the critic's heads: one for DDPG and TD3's Q1, the K discrete actions for P-DQN and MP-DQN).
By the chain rule its gradient is

    dJ/dtheta = E_s[ dQ/da * da/du * du/dtheta ],   u = mu_theta(s) the raw output, a = forward(u),

so the update needs only dQ/da at the current policy's action, and that factor can be CHANGED on its way
to the actor. ``transform.backward(dq_da, u)`` is that change: it returns g_u, the ascent direction on u
that the actor receives (dq_da * da/du for identity, clip and squash; something that is the derivative of
no forward function for invert and zero). With g_u held constant, the surrogate

    L(theta) = -mean_b g_u . mu_theta(s_b)      has     dL/dtheta = -mean_b g_u . du/dtheta,

which is minus the (transformed) policy gradient: descending L ascends Q. Every agent in agents/ calls
``actor_update`` and nothing else for its actor's gradient, so a transform means the same thing everywhere.

Two ways to compute it, selected by ``agent.actor_grad`` and equal to float tolerance (tests/test_agent.py):
* chain: the three steps above, explicitly;
* direct: one autograd pass through ``TransformLayer`` (forward = transform.forward, backward =
  transform.backward) inserted between actor and critic, loss -mean_b sum_k Q_k(s, layer(u)).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor

from bounded_ddpg.config import ACTOR_GRADS
from bounded_ddpg.transforms import ActionGradientTransform

Metrics = dict[str, Tensor]  # every value has shape [M]: one number per member


class TransformLayer(torch.autograd.Function):
    """a = transform.forward(u) in the forward pass; transform.backward on the way back (actor_grad=direct).

    The gradient arriving here is d(loss)/da with loss = -mean_b Q, i.e. -dQ/da / B: a DESCENT direction.
    Transforms take and return per-sample ASCENT directions, so it is scaled by -B (``n``), transformed and
    scaled back by -1/B. The transform thus sees exactly the dQ/da of the chain path, which matters for one
    that is not positively homogeneous in g (penalty adds a force that does not scale with dQ/da).
    """

    @staticmethod
    def forward(ctx: Any, u: Tensor, transform: ActionGradientTransform, stash: dict, n: int) -> Tensor:
        ctx.save_for_backward(u)
        ctx.transform, ctx.stash, ctx.n = transform, stash, n
        return transform.forward(u)

    @staticmethod
    def backward(ctx: Any, grad_a: Tensor) -> tuple[Tensor, None, None, None]:
        (u,) = ctx.saved_tensors
        dq_da = -grad_a * ctx.n
        g_u = ctx.transform.backward(dq_da, u)
        ctx.stash.update(dq_da=dq_da, g_u=g_u)
        return -g_u / ctx.n, None, None, None


def actor_update(
    u: Tensor,
    q_of: Callable[[Tensor], Tensor],
    transform: ActionGradientTransform,
    actor_grad: str,
    actor_params: Sequence[Tensor],
) -> Metrics:
    """Fill the .grad of ``actor_params`` with minus the transformed policy gradient; return metrics.

    u [M, B, A] is the actor's raw output (still attached to its graph); ``q_of(a)`` returns the critic's
    heads [M, B, K] at actions a [M, B, A]. The critic is only read: its parameters get no gradient.
    """
    if actor_grad == "chain":
        # 1) dQ/da at a = forward(u), the current policy's action; per sample, not scaled by 1/B.
        a = transform.forward(u.detach()).requires_grad_(True)
        q = q_of(a).sum(-1)  # [M, B]
        (dq_da,) = torch.autograd.grad(q.sum(), a)
        # 2) The seam: change dQ/da on its way to the actor.
        g_u = transform.backward(dq_da, u.detach())
        # 3) The surrogate (module docstring): its theta-gradient is -mean_b g_u . du/dtheta.
        loss = -(g_u * u).sum(-1).mean(-1)  # [M]
        loss.sum().backward(inputs=list(actor_params))
    elif actor_grad == "direct":
        stash: dict[str, Tensor] = {}
        q = q_of(TransformLayer.apply(u, transform, stash, u.shape[1])).sum(-1)  # n = B: the mean's 1/B
        loss = -q.mean(-1)
        # inputs= keeps the critic's .grad untouched (and skips computing it).
        loss.sum().backward(inputs=list(actor_params))
        dq_da, g_u = stash["dq_da"], stash["g_u"]  # per sample, as in the chain path
    else:
        raise ValueError(f"unknown actor_grad {actor_grad!r}; valid: {', '.join(ACTOR_GRADS)}")
    diagnostics = bound_diagnostics(u.detach(), dq_da, g_u, transform.low, transform.high)
    return {"actor_loss": loss.detach(), "q_policy": q.detach().mean(-1), **diagnostics}


def bound_diagnostics(u: Tensor, dq_da: Tensor, g_u: Tensor, low: Tensor, high: Tensor) -> Metrics:
    """Per-member [M] diagnostics of where the raw outputs u [M, B, A] sit relative to [low, high]."""
    width = high - low
    below, above = (low - u).clamp(min=0), (u - high).clamp(min=0)
    near = 1e-3 * width
    at_bound = ((u - low).abs() <= near) | ((u - high).abs() <= near)
    dims = (1, 2)
    return {
        "frac_out_of_bounds": ((below > 0) | (above > 0)).float().mean(dims),
        "frac_at_bounds": at_bound.float().mean(dims),
        "mean_excess": ((below + above) / width).mean(dims),
        "dq_da_norm": dq_da.norm(dim=-1).mean(-1),
        "g_u_norm": g_u.norm(dim=-1).mean(-1),
    }
