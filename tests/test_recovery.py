"""Recovery: an actor whose output sits beyond its upper bound, under each transform.

A linear actor on zero observations outputs u = its bias, starting at 1.5 for bounds [-1, 1]; a linear
critic has constant dQ/da = slope. 300 Adam steps (lr 0.01) through the real update_actor.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bounded_ddpg import transforms
from bounded_ddpg.agents import DDPG
from bounded_ddpg.config import AgentConfig
from bounded_ddpg.networks import MemberLinear


def trajectory(
    name: str | transforms.Spec, slope: float, actor_grad: str = "chain", steps: int = 300
) -> list[float]:
    cfg = AgentConfig(
        hidden_sizes=[], final_init=1e-9, lr_actor=0.01, actor_bias_init=[1.5], actor_grad=actor_grad
    )
    agent = DDPG(2, np.array([-1.0]), np.array([1.0]), cfg, name, seeds=[0])
    layer = agent.critic.output_layer
    assert isinstance(layer, MemberLinear)
    with torch.no_grad():
        layer.weight.zero_()
        layer.weight[0, 2, 0] = slope  # input = [obs (2), a (1)]: Q = slope * a
    obs = torch.zeros(1, 8, 2)
    u = []
    for _ in range(steps):
        agent.update_actor(obs)
        u.append(agent.actor.output_layer.bias.item())
    return u


@pytest.mark.parametrize("actor_grad", ["chain", "direct"])
def test_invert_brings_an_overflowing_output_back_to_the_bound(actor_grad: str) -> None:
    u = trajectory("invert", slope=+1.0, actor_grad=actor_grad)
    assert u[0] < 1.5 and u[10] < u[0]  # an outward gradient is reversed: u moves inside at once
    assert max(u) < 1.5
    assert abs(u[-1] - 1.0) < 1e-2  # and settles on the bound the critic asks for


def test_clip_stays_stuck_outside_in_either_direction() -> None:
    assert set(trajectory("clip", slope=+1.0)) == {1.5}
    assert set(trajectory("clip", slope=-1.0)) == {1.5}  # even the inward gradient is killed


def test_zero_stays_outside_against_an_outward_gradient_but_returns_with_an_inward_one() -> None:
    assert set(trajectory("zero", slope=+1.0)) == {1.5}
    u = trajectory("zero", slope=-1.0)
    assert u[50] < 1.0
    assert u[-1] < -1.0  # Adam's momentum carries it past the lower bound: zeroing does not bound outputs


def test_identity_drifts_outward_without_limit() -> None:
    u = trajectory("identity", slope=+1.0)
    assert u == sorted(u) and u[-1] > 4.0  # the environment clips; the actor never learns that


def test_squash_keeps_pushing_into_saturation() -> None:
    u = trajectory("squash", slope=+1.0)
    assert u == sorted(u) and u[-1] > 2.5  # pre-tanh output keeps growing
    # and the gradient it receives vanishes: the factor (1 - tanh(u)^2) at the end vs the start
    assert 1 - np.tanh(u[-1]) ** 2 < 0.25 * (1 - np.tanh(1.5) ** 2)


def test_invert_returns_with_an_inward_gradient_too() -> None:
    u = trajectory("invert", slope=-1.0)
    assert u[100] < 1.0 and -1.0 < u[-1] < 0.0  # amplified inward, then slowed near the lower bound


@pytest.mark.parametrize("actor_grad", ["chain", "direct"])
def test_penalty_holds_an_overflowing_output_at_its_equilibrium(actor_grad: str) -> None:
    """A restoring force, not a wall: against dQ/da = slope the actor settles where the force balances it,
    high + slope * (high - low)^2 / (2 coef) = 1 + 2 / coef on [-1, 1] (Penalty's docstring)."""
    u = trajectory("penalty", slope=+1.0, actor_grad=actor_grad, steps=600)  # coef 1: settles at 3
    assert u == sorted(u) and abs(u[-1] - 3.0) < 1e-2  # drifts out like identity, but stops
    stiff = transforms.spec("penalty", {"coef": 10.0})  # settles at 1.2: pulled back in from 1.5
    u = trajectory(stiff, slope=+1.0, actor_grad=actor_grad)
    assert u[10] < u[0] < 1.5 and abs(u[-1] - 1.2) < 1e-2
    u = trajectory(stiff, slope=-1.0, actor_grad=actor_grad, steps=600)  # inward: crosses, held at -1.2
    assert abs(u[-1] + 1.2) < 1e-2 and min(u) > -1.25


@pytest.mark.parametrize("name", ["dqda_clip", "dqda_norm_clip"])
def test_dqda_clipping_bounds_the_step_not_the_action(name: str) -> None:
    """DeepMind's dQ/da clipping caps the gradient's size, never its sign: against an outward dQ/da of 5
    (cap 1) the actor drifts out exactly as identity does against 1, and, since Adam divides by the
    gradient's scale, as far as identity against 5. It is no bound on the action."""
    clipped = trajectory(name, slope=+5.0)
    assert clipped == trajectory("identity", slope=+1.0)  # dQ/da = 5 clipped to exactly 1
    assert clipped == sorted(clipped) and clipped[-1] > 4.0
    np.testing.assert_allclose(clipped, trajectory("identity", slope=+5.0), rtol=1e-6)
