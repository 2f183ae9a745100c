"""The public seam, dpg_loss and transform_gradient, on any leading shape; transforms.make's inputs."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
import torch
from torch import nn

from bounded_ddpg import dpg_loss, transform_gradient, transforms
from bounded_ddpg.actor_step import actor_update
from conftest import assert_grads_close

LOW, HIGH = [-1.0, 0.0], [1.0, 720.0]
NOT_HOMOGENEOUS = ("penalty", "dqda_clip", "dqda_norm_clip")  # their effect depends on dQ/da's scale


def nets(seed: int) -> tuple[nn.Sequential, nn.Sequential]:
    """A small actor whose outputs spread across, onto and beyond [LOW, HIGH], and a nonlinear critic."""
    torch.manual_seed(seed)
    actor_head, critic_head = nn.Linear(16, 2), nn.Linear(16, 1)
    with torch.no_grad():
        actor_head.weight.mul_(torch.tensor([[4.0], [1500.0]]))
        actor_head.bias.copy_(torch.tensor([0.0, 360.0]))
        critic_head.weight.mul_(20.0)  # dQ/da large enough for the clipping transforms to act
    actor = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), actor_head)
    critic = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), critic_head)
    return actor, critic


def q(critic: nn.Module, obs: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    out: torch.Tensor = critic(torch.cat([obs, a], -1))
    return out  # [..., 1]


def grads(actor: nn.Module, loss: torch.Tensor) -> tuple[torch.Tensor, ...]:
    return torch.autograd.grad(loss, list(actor.parameters()))


def chain_grads(
    actor: nn.Module, critic: nn.Module, obs: torch.Tensor, t: transforms.ActionGradientTransform
) -> tuple[torch.Tensor, ...]:
    """dQ/da per sample at a = forward(u), then dpg_loss's surrogate averaged over every sample."""
    u = actor(obs)
    a = t.forward(u.detach()).requires_grad_(True)
    (dq_da,) = torch.autograd.grad(q(critic, obs, a).sum(), a)
    return grads(actor, dpg_loss(u, dq_da, t).mean())


@pytest.mark.parametrize("shape", [(64,), (4, 16)])
@pytest.mark.parametrize("name", transforms.names())
def test_dpg_loss_transform_gradient_and_actor_update_agree(name: str, shape: tuple[int, ...]) -> None:
    """On any leading shape: the surrogate, the one-pass layer and our members' path (actor_update, chain,
    on [1, B, A]) give the same actor gradients; the critic gets none from dpg_loss."""
    t = transforms.make(name, LOW, HIGH)
    actor, critic = nets(0)
    obs = torch.randn(*shape, 3, generator=torch.Generator().manual_seed(1))
    chain = chain_grads(actor, critic, obs, t)
    direct = grads(actor, -q(critic, obs, transform_gradient(actor(obs), t)).mean())
    flat = obs.reshape(1, -1, 3)
    actor.zero_grad(set_to_none=True)
    actor_update(actor(flat), lambda a: q(critic, flat, a), t, "chain", list(actor.parameters()))
    assert any(float(g.abs().max()) > 0 for g in chain)
    for g_chain, g_direct, p in zip(chain, direct, actor.parameters()):
        assert_grads_close(g_direct, g_chain)
        assert p.grad is not None
        assert_grads_close(p.grad, g_chain)
    u = actor(obs)
    loss = dpg_loss(u, torch.ones_like(u), t).mean()
    assert torch.autograd.grad(loss, list(critic.parameters()), allow_unused=True) == (None,) * 4
    if name == "identity":  # and both are plain DDPG's -Q(s, mu(s)).mean()
        for g_chain, g_plain in zip(chain, grads(actor, -q(critic, obs, actor(obs)).mean())):
            assert_grads_close(g_chain, g_plain)


def test_dpg_loss_is_minus_g_u_dot_u_per_sample() -> None:
    """By hand: u beyond high with dQ/da > 0 under invert: g_u = g (hi - u)/(hi - lo) = 2 * -0.25 = -0.5."""
    t = transforms.make("invert", [-1.0], [1.0])
    u = torch.tensor([[1.5], [0.0]], requires_grad=True)
    loss = dpg_loss(u, torch.tensor([[2.0], [2.0]]), t)
    assert loss.shape == (2,) and loss.tolist() == [0.5 * 1.5, -1.0 * 0.0]
    (du,) = torch.autograd.grad(loss.sum(), u)
    assert du.tolist() == [[0.5], [-1.0]]  # minus g_u: descending it moves u back inside / up


@pytest.mark.parametrize("name", transforms.names())
def test_mean_over_is_the_loss_s_divisor(name: str) -> None:
    """mean_over=n undoes the loss's 1/n: with a summed loss and n = 1 the gradient is B times the mean's.
    Naming the wrong n changes nothing for transforms homogeneous in dQ/da (n cancels) and changes the
    update for the others, which then see dQ/da / B."""
    t = transforms.make(name, LOW, HIGH)
    actor, critic = nets(2)
    obs = torch.randn(32, 3, generator=torch.Generator().manual_seed(3))
    chain = chain_grads(actor, critic, obs, t)
    summed = grads(actor, -q(critic, obs, transform_gradient(actor(obs), t, mean_over=1)).sum())
    wrong = grads(actor, -q(critic, obs, transform_gradient(actor(obs), t, mean_over=1)).mean())
    for g_chain, g_sum in zip(chain, summed):
        assert_grads_close(g_sum / 32, g_chain)
    if name in NOT_HOMOGENEOUS:
        assert not all(torch.allclose(w, c, rtol=1e-3, atol=1e-6) for w, c in zip(wrong, chain))
    else:
        for g_wrong, g_chain in zip(wrong, chain):
            assert_grads_close(g_wrong, g_chain)


def test_record_holds_the_per_sample_dq_da_and_g_u() -> None:
    t = transforms.make("dqda_norm_clip", LOW, HIGH)
    actor, critic = nets(4)
    head = critic[2]
    assert isinstance(head, nn.Linear)
    with torch.no_grad():
        head.weight.mul_(3.0)
    obs = torch.randn(3, 8, 3, generator=torch.Generator().manual_seed(5))
    u = actor(obs)
    a = u.detach().requires_grad_(True)
    (dq_da,) = torch.autograd.grad(q(critic, obs, a).sum(), a)
    record: dict[str, torch.Tensor] = {}
    (-q(critic, obs, transform_gradient(u, t, record=record)).mean()).backward()
    torch.testing.assert_close(record["dq_da"], dq_da)
    torch.testing.assert_close(record["g_u"], t.backward(dq_da, u.detach()))
    norms = torch.linalg.vector_norm(dq_da, dim=-1)
    assert 0 < int((norms > 1).sum()) < norms.numel()  # some samples clipped, some not
    torch.testing.assert_close(torch.linalg.vector_norm(record["g_u"], dim=-1), norms.clamp(max=1.0))
    chain_record: dict[str, torch.Tensor] = {}
    dpg_loss(u, dq_da, t, chain_record)
    assert torch.equal(chain_record["dq_da"], dq_da)
    assert torch.equal(chain_record["g_u"], t.backward(dq_da, u.detach()))


def test_bad_arguments_are_refused_naming_the_problem() -> None:
    t = transforms.make("invert", LOW, HIGH)
    u = torch.zeros(4, 3)
    with pytest.raises(ValueError, match=r"u must have shape \[\.\.\., A\] with A = 2.*got \(4, 3\)"):
        transform_gradient(u, t)
    with pytest.raises(ValueError, match=r"dq_da must have u's shape \(4, 2\), got \(4, 1\)"):
        dpg_loss(torch.zeros(4, 2), torch.zeros(4, 1), t)
    with pytest.raises(TypeError, match=r"transform must be an ActionGradientTransform.*transforms\.make"):
        transform_gradient(torch.zeros(4, 2), "invert")  # type: ignore[arg-type]
    for bad in (0, -3, 2.0, True):
        with pytest.raises(ValueError, match="mean_over must be a positive int"):
            transform_gradient(torch.zeros(4, 2), t, mean_over=bad)  # type: ignore[arg-type]


def test_make_takes_a_gymnasium_box_or_bounds_as_lists_arrays_or_tensors() -> None:
    box = gym.spaces.Box(np.array(LOW, dtype=np.float32), np.array(HIGH, dtype=np.float32))
    reference = transforms.make("invert", LOW, HIGH)
    u = torch.tensor([[1.5, -10.0], [0.5, 360.0]])
    g = torch.tensor([[3.0, 4.0], [1.5, -2.0]])
    for t in (
        transforms.make("invert", box),
        transforms.make("invert", np.array(LOW), np.array(HIGH)),  # float64 arrays
        transforms.make("invert", torch.tensor(LOW, dtype=torch.float64), torch.tensor(HIGH)),
        transforms.make("invert", (-1, 0), (1, 720)),  # ints
    ):
        assert t.low.dtype == torch.float32 and torch.equal(t.low, reference.low)
        assert torch.equal(t.high, reference.high) and torch.equal(t.backward(g, u), reference.backward(g, u))
    square = transforms.make("dqda_clip", gym.spaces.Box(-2.0, 2.0, (2, 2)))
    assert square.low.tolist() == [-2.0] * 4  # a Box of any shape is flattened, as the agents flatten it
    with pytest.raises(transforms.TransformError, match=r"every bound must be finite.*inf"):
        transforms.make("invert", gym.spaces.Box(-np.inf, 1.0, (2,)))
    with pytest.raises(transforms.TransformError, match="give a gymnasium Box, or low and high"):
        transforms.make("invert", gym.spaces.Discrete(3))  # type: ignore[arg-type]
    with pytest.raises(transforms.TransformError, match="give a gymnasium Box, or low and high"):
        transforms.make("invert", LOW)
    with pytest.raises(transforms.TransformError, match="a gymnasium Box alone, or low and high, not both"):
        transforms.make("invert", box, HIGH)


def test_the_seam_imports_from_the_package_top_level_in_a_fresh_interpreter() -> None:
    """Q = a beyond high = 1 at u = 1.5: invert reverses the outward dQ/da = 1 to (1 - 1.5)/2 = -0.25, so
    the loss -Q's gradient on u is +0.25 (descending it moves u back inside)."""
    code = (
        "import torch\n"
        "from bounded_ddpg import dpg_loss, transform_gradient, transforms\n"
        "t = transforms.make('invert', [-1.0], [1.0])\n"
        "u = torch.tensor([[1.5]], requires_grad=True)\n"
        "(-transform_gradient(u, t).sum()).backward()\n"
        "print(u.grad.item(), dpg_loss.__module__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split() == ["0.25", "bounded_ddpg.actor_step"]
