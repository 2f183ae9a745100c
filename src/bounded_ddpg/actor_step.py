"""The seam, in one place: the actor's update through an action-gradient transform, for anyone's code.

A deterministic actor is trained by ascending J(theta) = E_s[ sum_k Q_k(s, forward(mu_theta(s))) ]
(k over the critic's heads: one for DDPG and TD3's Q1, the K discrete actions for P-DQN and MP-DQN).
By the chain rule its gradient is

    dJ/dtheta = E_s[ dQ/da * da/du * du/dtheta ],   u = mu_theta(s) the raw output, a = forward(u),

so the update needs only dQ/da at the current policy's action, and that factor can be CHANGED on its way
to the actor. ``transform.backward(dq_da, u)`` is that change: it returns g_u, the ascent direction on u
that the actor receives (dq_da * da/du for identity, clip and squash; something that is the derivative of
no forward function for invert and zero). With g_u held constant, the surrogate

    L(theta) = -mean_b g_u . mu_theta(s_b)      has     dL/dtheta = -mean_b g_u . du/dtheta,

which is minus the (transformed) policy gradient: descending L ascends Q. Sign convention, stated once:
dq_da and g_u are ASCENT directions on Q; the loss negates exactly once (rlax's and trfl's convention: a
loss to minimise whose actor gradient is minus the DPG).

Two public functions compute it on any leading shape [..., A], with no member dimension, no optimiser and
no state of their own (``from bounded_ddpg import dpg_loss, transform_gradient``; docs/seam.md):
* ``dpg_loss(u, dq_da, transform)``: the per-sample surrogate -g_u . u above (the chain rule, explicitly);
* ``transform_gradient(u, transform)``: a = forward(u) in the forward pass, transform.backward on the
  per-sample dQ/da in the backward pass, for a loss written as usual, ``-Q(s, a).mean()``.
``actor_update`` (our agents' batched [M, B, A] members) is built on them, ``agent.actor_grad`` selecting
which; the two are equal to float tolerance (tests/test_agent.py). Every agent in agents/ and every
adapter (examples/, integrations/) goes through these functions, so a transform means the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor

from bounded_ddpg.config import ACTOR_GRADS
from bounded_ddpg.transforms import ActionGradientTransform

Metrics = dict[str, Tensor]  # every value has shape [M]: one number per member
Record = dict[str, Tensor]  # filled with the per-sample ``dq_da`` and ``g_u`` (detached), if given


class TransformLayer(torch.autograd.Function):
    """a = transform.forward(u) in the forward pass; transform.backward on the way back.

    The gradient arriving here is d(loss)/da with loss = -(1/n) sum Q, i.e. -dQ/da / n: a DESCENT direction.
    Transforms take and return per-sample ASCENT directions, so it is scaled by -n, transformed and scaled
    back by -1/n. The transform thus sees exactly the dQ/da of the chain path, which matters for one that
    is not positively homogeneous in g (penalty's force, dqda_clip's and dqda_norm_clip's threshold).
    """

    @staticmethod
    def forward(
        ctx: Any, u: Tensor, transform: ActionGradientTransform, record: Record | None, n: int
    ) -> Tensor:
        ctx.save_for_backward(u)
        ctx.transform, ctx.record, ctx.n = transform, record, n
        return transform.forward(u)

    @staticmethod
    def backward(ctx: Any, grad_a: Tensor) -> tuple[Tensor, None, None, None]:
        (u,) = ctx.saved_tensors
        dq_da = -grad_a * ctx.n
        g_u = ctx.transform.backward(dq_da, u)
        if ctx.record is not None:
            ctx.record.update(dq_da=dq_da, g_u=g_u)
        return -g_u / ctx.n, None, None, None


def _check(u: Tensor, transform: ActionGradientTransform, what: str) -> None:
    if not isinstance(transform, ActionGradientTransform):
        raise TypeError(
            f"{what}: transform must be an ActionGradientTransform (e.g. transforms.make('invert', "
            f"env.action_space)), got {type(transform).__name__} {transform!r}"
        )
    dims = transform.low.shape[-1]
    if u.dim() == 0 or u.shape[-1] != dims:
        raise ValueError(
            f"{what}: u must have shape [..., A] with A = {dims}, the transform's action dimensions; "
            f"got {tuple(u.shape)}"
        )


def transform_gradient(
    u: Tensor, transform: ActionGradientTransform, mean_over: int | None = None, record: Record | None = None
) -> Tensor:
    """a = transform.forward(u), whose backward pass hands the actor transform.backward(dQ/da, u).

    Write the actor's loss as usual: ``actor_loss = -critic(s, transform_gradient(u, t)).mean()``. Its
    gradient with respect to the actor's parameters is then minus the transformed policy gradient (the
    module docstring), and the critic's parameters receive what they would from ``-critic(s, a).mean()``
    (exclude them with ``backward(inputs=actor_params)`` or step only the actor's optimiser).

    The reduction rule: autograd hands this layer d(loss)/da = -dQ/da / n, where n is what the loss divides
    by. ``mean_over`` is that n: None (default) is the number of samples in u, u.numel() / A, right for
    ``-Q(s, a).mean()`` over any leading shape (and ``.sum(-1).mean()`` over K heads); 1 for a loss that
    sums over samples; B for a loss that averages over B and sums the rest (our members: [M, B, A]).
    For transforms positively homogeneous in dQ/da (identity, clip, zero, squash, invert) n cancels out and
    does not matter; penalty, dqda_clip and dqda_norm_clip would see a dQ/da n times too small or too large.
    ``record``, if given, receives the per-sample ``dq_da`` and ``g_u`` during the backward pass.
    """
    _check(u, transform, "transform_gradient")
    n = u.numel() // u.shape[-1] if mean_over is None else mean_over
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"transform_gradient: mean_over must be a positive int (or None), got {mean_over!r}")
    out: Tensor = TransformLayer.apply(u, transform, record, n)
    return out


def dpg_loss(
    u: Tensor, dq_da: Tensor, transform: ActionGradientTransform, record: Record | None = None
) -> Tensor:
    """The per-sample surrogate loss [...] whose gradient, after ``.mean()``, is minus the transformed DPG.

    u [..., A] is the actor's raw output, attached to its graph; dq_da [..., A] is the critic's action
    gradient at a = transform.forward(u), per sample (``autograd.grad(Q(s, a).sum(), a)``: not scaled by a
    batch mean), and is treated as a constant. Returns -(g_u . u) with g_u = transform.backward(dq_da, u)
    held constant: d/du of it is exactly -g_u. Only its gradient means something (its value depends on u's
    origin); rlax's ``dpg_loss`` and trfl's ``dpg`` return 0.5 * ||g||^2-shaped values with the same
    gradient. ``record``, if given, receives the per-sample ``dq_da`` and ``g_u``.
    """
    _check(u, transform, "dpg_loss")
    if dq_da.shape != u.shape:
        raise ValueError(f"dpg_loss: dq_da must have u's shape {tuple(u.shape)}, got {tuple(dq_da.shape)}")
    dq_da = dq_da.detach()
    g_u = transform.backward(dq_da, u.detach())
    if record is not None:
        record.update(dq_da=dq_da, g_u=g_u)
    return -(g_u * u).sum(-1)


def actor_update(
    u: Tensor,
    q_of: Callable[[Tensor], Tensor],
    transform: ActionGradientTransform,
    actor_grad: str,
    actor_params: Sequence[Tensor],
) -> Metrics:
    """Set the .grad of ``actor_params`` to minus the transformed policy gradient; return metrics.

    u [M, B, A] is the actor's raw output (still attached to its graph); ``q_of(a)`` returns the critic's
    heads [M, B, K] at actions a [M, B, A]. The critic is only read: its parameters get no gradient. Each
    member's loss averages over its B samples; the members' losses are summed.
    """
    record: Record = {}
    if actor_grad == "chain":
        # 1) dQ/da at a = forward(u), the current policy's action; per sample, not scaled by 1/B.
        a = transform.forward(u.detach()).requires_grad_(True)
        q = q_of(a).sum(-1)  # [M, B]
        (dq_da,) = torch.autograd.grad(q.sum(), a)
        # 2) The seam: change dQ/da on its way to the actor; 3) the surrogate (module docstring).
        loss = dpg_loss(u, dq_da, transform, record).mean(-1)  # [M]
    elif actor_grad == "direct":
        # mean_over=B: each member's loss is a mean over its B samples (the members are summed).
        q = q_of(transform_gradient(u, transform, mean_over=u.shape[1], record=record)).sum(-1)
        loss = -q.mean(-1)
    else:
        raise ValueError(f"unknown actor_grad {actor_grad!r}; valid: {', '.join(ACTOR_GRADS)}")
    # Only the actor's parameters: the critic's .grad stays untouched (and is not computed).
    set_grads(actor_params, loss.sum())
    diagnostics = bound_diagnostics(u.detach(), record["dq_da"], record["g_u"], transform.low, transform.high)
    return {"actor_loss": loss.detach(), "q_policy": q.detach().mean(-1), **diagnostics}


def set_grads(params: Sequence[Tensor], loss: Tensor) -> None:
    """Set each parameter's .grad to d(loss)/d(param), replacing what was there: what zero_grad then
    ``loss.backward(inputs=params)`` leave, computed with ``autograd.grad`` so that torch.compile can
    trace it into the update's graph (compiled.py)."""
    for p, g in zip(params, torch.autograd.grad(loss, list(params), allow_unused=True), strict=True):
        p.grad = g


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
