"""The founding question: chain rule vs one autograd pass, and who receives gradients from which loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from bounded_ddpg import transforms
from bounded_ddpg.agents import DDPG
from bounded_ddpg.config import AgentConfig
from bounded_ddpg.replay import Batch, ReplayBuffer
from conftest import assert_grads_close


def make_agent(
    transform: transforms.SpecLike | list[transforms.SpecLike],
    actor_grad: str,
    seed: int,
    obs_dim: int = 3,
    low: np.ndarray | None = None,
    high: np.ndarray | None = None,
    hidden: list[int] | None = None,
    seeds: list[int] | None = None,
    **overrides: object,
) -> DDPG:
    low = np.array([-1.0, 0.0]) if low is None else low
    high = np.array([1.0, 720.0]) if high is None else high
    cfg = AgentConfig(hidden_sizes=hidden or [16, 16], actor_grad=actor_grad, **overrides)  # type: ignore[arg-type]
    return DDPG(obs_dim, low, high, cfg, transform, seeds=seeds or [seed])


def actor_grads(agent: DDPG) -> list[torch.Tensor]:
    return [p.grad.clone() for p in agent.actor.parameters()]  # type: ignore[union-attr]


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(transforms.names()),
    seed=st.integers(0, 2**31 - 1),
    obs_dim=st.integers(1, 6),
    action_dim=st.integers(1, 4),
    batch=st.integers(1, 33),
    hidden=st.lists(st.integers(1, 24), min_size=0, max_size=2),
    spread=st.floats(0.1, 5.0),
)
def test_chain_equals_direct_for_every_transform(
    name: str, seed: int, obs_dim: int, action_dim: int, batch: int, hidden: list[int], spread: float
) -> None:
    gen = torch.Generator().manual_seed(seed)
    low = (torch.rand(action_dim, generator=gen) * 4 - 3).numpy()
    high = low + (torch.rand(action_dim, generator=gen) * 3 + 0.1).numpy()
    # a large final-layer init spreads outputs across, onto and beyond the bounds: every branch is exercised
    kwargs = dict(obs_dim=obs_dim, low=low, high=high, hidden=hidden, final_init=spread, lr_actor=0.0)
    chain, direct = (make_agent(name, g, seed % 1000, **kwargs) for g in ("chain", "direct"))
    obs = torch.randn(1, batch, obs_dim, generator=gen) * 2
    m_chain, m_direct = chain.update_actor(obs), direct.update_actor(obs)
    for g_chain, g_direct in zip(actor_grads(chain), actor_grads(direct)):
        assert_grads_close(g_chain, g_direct)
    for key in ("dq_da_norm", "g_u_norm", "frac_out_of_bounds", "frac_at_bounds", "mean_excess"):
        torch.testing.assert_close(m_chain[key], m_direct[key], rtol=1e-4, atol=1e-6)
    if name in ("identity", "squash", "clip"):
        # these transforms ARE derivatives of their forward: both equal autograd of -Q(s, forward(mu(s)))
        plain = make_agent(name, "chain", seed % 1000, **kwargs)
        q = plain.critic(obs, plain.transform.forward(plain.actor(obs)))
        grads = torch.autograd.grad(-q.mean(), list(plain.actor.parameters()))
        for g_chain, g_plain in zip(actor_grads(chain), grads):
            assert_grads_close(g_chain, g_plain)


@pytest.mark.parametrize("actor_grad", ["chain", "direct"])
def test_identity_equals_plain_ddpg_loss_numbers(actor_grad: str) -> None:
    """For identity, the split chain is literally d(-mean Q(s, mu(s)))/dtheta."""
    agent = make_agent("identity", actor_grad, seed=7, lr_actor=0.0)
    reference = make_agent("identity", actor_grad, seed=7)
    obs = torch.randn(1, 32, 3, generator=torch.Generator().manual_seed(0))
    agent.update_actor(obs)
    loss = -reference.critic(obs, reference.actor(obs)).mean()
    expected = torch.autograd.grad(loss, list(reference.actor.parameters()))
    assert any(g.abs().max() > 0 for g in expected)
    for got, want in zip(actor_grads(agent), expected):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-7)


def random_batch(seed: int, m: int = 1, b: int = 16, obs_dim: int = 3, a_dim: int = 2) -> Batch:
    gen = torch.Generator().manual_seed(seed)
    rb = ReplayBuffer(64, obs_dim, a_dim, seeds=list(range(m)))
    for _ in range(64):
        rb.add(
            torch.randn(m, obs_dim, generator=gen), torch.randn(m, a_dim, generator=gen),
            torch.randn(m, generator=gen), torch.randn(m, obs_dim, generator=gen),
            torch.rand(m, generator=gen) < 0.2, torch.zeros(m, dtype=torch.bool),
        )  # fmt: skip
    return rb.sample(b)


@pytest.mark.parametrize("actor_grad", ["chain", "direct"])
@pytest.mark.parametrize("name", transforms.names())
def test_each_loss_reaches_only_its_own_network(name: str, actor_grad: str) -> None:
    agent = make_agent(name, actor_grad, seed=3)
    batch = random_batch(0)
    agent.update_actor(batch.obs)
    assert all(p.grad is None for p in agent.critic.parameters()), "actor step wrote critic gradients"
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in agent.actor.parameters())
    agent = make_agent(name, actor_grad, seed=3)
    agent.update_critic(batch)
    assert all(p.grad is None for p in agent.actor.parameters()), "critic step wrote actor gradients"
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in agent.critic.parameters())
    assert all(p.grad is None for p in (*agent.actor_target.parameters(), *agent.critic_target.parameters()))


def test_critic_target_bootstraps_through_truncation_not_termination() -> None:
    agent = make_agent("identity", "chain", seed=0, gamma=0.5, lr_critic=0.0)
    batch = random_batch(1, b=8)
    next_q = agent.critic_target(batch.next_obs, agent.actor_target(batch.next_obs)).detach()
    q = agent.critic(batch.obs, batch.action).detach()
    ones, zeros = torch.ones_like(batch.terminated), torch.zeros_like(batch.terminated)
    for terminated, truncated, bootstrap in ((ones, zeros, 0.0), (zeros, ones, 1.0), (zeros, zeros, 1.0)):
        b = batch._replace(terminated=terminated, truncated=truncated)
        loss = agent.update_critic(b)["critic_loss"]
        expected = (q - (b.reward + 0.5 * bootstrap * next_q)).square().mean()
        torch.testing.assert_close(loss, expected.reshape(1))


def test_target_update_mixes_in_tau_of_the_online_weights() -> None:
    agent = make_agent("identity", "chain", seed=0, tau=0.25)
    before = [p.clone() for p in agent.actor_target.parameters()]
    with torch.no_grad():
        for p in agent.actor.parameters():
            p.add_(1.0)
    agent.update_targets()
    for old, online, new in zip(before, agent.actor.parameters(), agent.actor_target.parameters()):
        torch.testing.assert_close(new, 0.75 * old + 0.25 * online)


def member_norms(agent: DDPG) -> torch.Tensor:
    grads = [p.grad for p in agent.actor.parameters() if p.grad is not None]
    return torch.stack([g.square().flatten(1).sum(1) for g in grads]).sum(0).sqrt()


def test_grad_clip_bounds_each_members_norm_separately() -> None:
    obs = random_batch(2, m=2).obs * torch.tensor([1.0, 100.0]).view(2, 1, 1)
    free = make_agent("identity", "chain", seed=0, seeds=[0, 1], lr_actor=0.0)
    free.update_actor(obs)
    raw = member_norms(free)
    max_norm = float(raw.min() + raw.max()) / 2  # one member below the limit, one above
    clipped = make_agent("identity", "chain", seed=0, seeds=[0, 1], grad_clip=max_norm, lr_actor=0.0)
    clipped.update_actor(obs)
    low, high = int(raw.argmin()), int(raw.argmax())
    torch.testing.assert_close(member_norms(clipped)[high], torch.tensor(max_norm), rtol=1e-4, atol=0)
    for g_free, g_clip in zip(actor_grads(free), actor_grads(clipped)):
        assert torch.equal(g_free[low], g_clip[low])  # the member under the limit is untouched
        torch.testing.assert_close(g_clip[high], g_free[high] * max_norm / raw[high], rtol=1e-4, atol=1e-9)


def test_a_member_trains_exactly_as_a_single_run() -> None:
    """Member k of a batched agent starts and updates bit-for-bit like a single agent with seed k."""
    batched = make_agent("invert", "chain", seed=0, seeds=[5, 6, 7])
    single = make_agent("invert", "chain", seed=6)
    for p_b, p_s in zip(batched.actor.parameters(), single.actor.parameters()):
        assert torch.equal(p_b[1], p_s[0])
    batches = [random_batch(s, m=3) for s in range(5)]
    for batch in batches:
        batched.update(batch)
        single.update(Batch(*(x[1:2] for x in batch)))
    for p_b, p_s in zip(
        (*batched.actor.parameters(), *batched.critic_target.parameters()),
        (*single.actor.parameters(), *single.critic_target.parameters()),
    ):
        torch.testing.assert_close(p_b[1], p_s[0], rtol=1e-6, atol=1e-7)


def test_same_seed_same_update() -> None:
    a, b = (make_agent("invert", "direct", seed=11) for _ in range(2))
    batch = random_batch(3)
    m_a, m_b = a.update(batch), b.update(batch)
    assert {k: v.tolist() for k, v in m_a.items()} == {k: v.tolist() for k, v in m_b.items()}
    for p, q in zip(a.actor.parameters(), b.actor.parameters()):
        assert torch.equal(p, q)


def test_diagnostics_count_outputs_outside_and_at_the_bounds() -> None:
    agent = make_agent("identity", "chain", seed=0, hidden=[], final_init=1e-9, lr_actor=0.0)
    with torch.no_grad():  # u = bias: one dimension at the bound (1.0), one beyond (800 > 720)
        agent.actor.output_layer.bias.copy_(torch.tensor([[[1.0, 800.0]]]))
    metrics = agent.update_actor(torch.zeros(1, 4, 3))
    assert metrics["frac_out_of_bounds"].item() == pytest.approx(0.5)
    assert metrics["frac_at_bounds"].item() == pytest.approx(0.5)
    assert metrics["mean_excess"].item() == pytest.approx((80 / 720) / 2, rel=1e-5)


def test_members_with_different_transforms_match_their_single_runs() -> None:
    names = ["identity", "clip", "zero", "squash", "invert"]
    kwargs = dict(final_init=2.0, lr_actor=1e-2)  # outputs spread beyond the bounds: transforms differ
    batched = make_agent(names, "chain", seed=0, seeds=[10, 11, 12, 13, 14], **kwargs)  # type: ignore[arg-type]
    singles = [make_agent(n, "chain", seed=10 + k, **kwargs) for k, n in enumerate(names)]  # type: ignore[arg-type]
    batches = [random_batch(s, m=5) for s in range(4)]
    obs = torch.randn(5, 3, generator=torch.Generator().manual_seed(9))
    for k, single in enumerate(singles):
        torch.testing.assert_close(batched.act(obs, explore=False)[k], single.act(obs[k : k + 1], False)[0])
    for batch in batches:
        batched.update(batch)
        for k, single in enumerate(singles):
            single.update(Batch(*(x[k : k + 1] for x in batch)))
    for k, single in enumerate(singles):
        for p_b, p_s in zip(batched.actor.parameters(), single.actor.parameters()):
            torch.testing.assert_close(p_b[k], p_s[0], rtol=1e-5, atol=1e-6)
    bias = batched.actor.output_layer.bias
    assert not torch.allclose(bias[0], bias[4], atol=1e-3)  # identity and invert really trained apart


class Scaled(transforms.ActionGradientTransform):
    """A user's transform: no registered name, one parameter (found by _target_ in a real config)."""

    def __init__(self, low: torch.Tensor, high: torch.Tensor, factor: float = 1.0) -> None:
        super().__init__(low, high)
        self.factor = factor

    def backward(self, dq_da: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        outside = (u < self.low) | (u > self.high)
        return torch.where(outside, -self.factor * dq_da, dq_da)


@pytest.mark.parametrize("actor_grad", ["chain", "direct"])
def test_parameterised_and_user_transforms_are_members_like_the_built_ins(actor_grad: str) -> None:
    """Two settings of penalty and a class from outside the package, batched with invert: each member
    trains exactly as its single run (a PerMember tells members apart by label)."""
    members: list[transforms.SpecLike] = [
        "invert",
        "penalty",
        transforms.spec("penalty", {"coef": 50.0}),
        transforms.spec("scaled", {"factor": 0.5}, cls=Scaled, target="tests.Scaled"),
    ]
    kwargs = dict(final_init=2.0, lr_actor=1e-2)
    batched = make_agent(members, actor_grad, seed=0, seeds=[10, 11, 12, 13], **kwargs)  # type: ignore[arg-type]
    assert isinstance(batched.transform, transforms.PerMember)
    assert batched.transform.names == ["invert", "penalty", "penalty(coef=50.0)", "scaled(factor=0.5)"]
    singles = [make_agent(t, actor_grad, seed=10 + k, **kwargs) for k, t in enumerate(members)]  # type: ignore[arg-type]
    for batch in [random_batch(s, m=4) for s in range(4)]:
        batched.update(batch)
        for k, single in enumerate(singles):
            single.update(Batch(*(x[k : k + 1] for x in batch)))
    for k, single in enumerate(singles):
        for p_b, p_s in zip(batched.actor.parameters(), single.actor.parameters()):
            torch.testing.assert_close(p_b[k], p_s[0], rtol=1e-5, atol=1e-6)
    bias = batched.actor.output_layer.bias
    assert not torch.allclose(bias[1], bias[2], atol=1e-3)  # the two penalty settings trained apart


def test_one_transform_per_member_is_required() -> None:
    with pytest.raises(ValueError, match="2 transforms for 3 members"):
        make_agent(["identity", "invert"], "chain", seed=0, seeds=[0, 1, 2])


@pytest.mark.parametrize("agent_name", ["ddpg", "td3"])
def test_policy_average_acts_greedily_and_leaves_training_bit_for_bit_unchanged(agent_name: str) -> None:
    """agent.policy_average: the greedy action comes from avg <- (1 - r) avg + r actor after every actor
    step (from the initial actor); exploration, updates and every metric are those of the plain agent."""
    from bounded_ddpg import agents

    rate, low, high = 0.3, np.array([-1.0, 0.0]), np.array([1.0, 720.0])

    def build(**extra: object) -> DDPG:
        cfg = AgentConfig(name=agent_name, hidden_sizes=[16, 16], lr_actor=1e-2, final_init=0.5, **extra)  # type: ignore[arg-type]
        return agents.make(3, low, high, cfg, "invert", seeds=[4, 5])

    plain, averaged = build(), build(policy_average=rate)
    expected = [p.clone() for p in averaged.actor.parameters()]  # the average starts at the initial actor
    obs = torch.randn(2, 3, generator=torch.Generator().manual_seed(1)) * 2
    for s in range(6):
        batch = random_batch(s, m=2)
        m_plain, m_avg = plain.update(batch), averaged.update(batch)
        assert {k: v.tolist() for k, v in m_plain.items()} == {k: v.tolist() for k, v in m_avg.items()}
        if "actor_loss" in m_avg:  # an actor step (TD3: every second update)
            expected = [e + rate * (p.detach() - e) for e, p in zip(expected, averaged.actor.parameters())]
        assert torch.equal(plain.act(obs, explore=True), averaged.act(obs, explore=True))
    assert averaged.actor_avg is not None
    for p_plain, p_avg, p_mean, e in zip(
        plain.actor.parameters(), averaged.actor.parameters(), averaged.actor_avg.parameters(), expected
    ):
        assert torch.equal(p_plain, p_avg)
        torch.testing.assert_close(p_mean, e, rtol=1e-6, atol=1e-7)
    greedy = averaged.act(obs, explore=False)
    with torch.no_grad():
        by_hand = averaged.transform.forward(averaged.actor_avg(obs.unsqueeze(1))).squeeze(1)
    assert torch.equal(greedy, by_hand)
    assert not torch.allclose(greedy, plain.act(obs, explore=False))  # the average is another policy
    # it travels with a member through member_state / subset (leaving the batch, checkpoints)
    kept = averaged.subset([1])
    assert kept.actor_avg is not None
    for p_full, p_kept in zip(averaged.actor_avg.parameters(), kept.actor_avg.parameters()):
        assert torch.equal(p_full[1:], p_kept)
    assert torch.equal(kept.act(obs[1:], explore=False), greedy[1:])


def test_lr_scale_moves_each_member_its_fraction_of_the_full_adam_step() -> None:
    """agent.lr_decay: member m at learning rate lr * f_m moves f_m of the step it takes at lr (Adam's step
    is proportional to lr), its Adam moments as at the full rate; f = 0 leaves it exactly where it was."""
    kwargs = dict(seeds=[3, 4, 5], lr_actor=1e-2, lr_critic=1e-2)
    full, scaled = (make_agent("invert", "chain", seed=0, **kwargs) for _ in range(2))  # type: ignore[arg-type]
    scaled.lr_scale = torch.tensor([1.0, 0.5, 0.0])
    nets = ("actor", "critic")
    before = {n: [p.detach().clone() for p in getattr(scaled, n).parameters()] for n in nets}
    batch = random_batch(0, m=3)
    for agent in (full, scaled):  # the actor step first: both read the same, not yet updated, critic
        agent.update_actor(batch.obs)
        agent.update_critic(batch)
    for n in nets:
        for old, p_full, p_scaled in zip(
            before[n], getattr(full, n).parameters(), getattr(scaled, n).parameters()
        ):
            assert torch.equal(p_scaled[0], p_full[0])
            torch.testing.assert_close(p_scaled[1] - old[1], 0.5 * (p_full[1] - old[1]), rtol=1e-4, atol=1e-9)
            assert torch.equal(p_scaled[2], old[2]) and not torch.equal(p_full[2], old[2])
    for opt in ("actor_opt", "critic_opt"):
        for s_full, s_scaled in zip(getattr(full, opt).state.values(), getattr(scaled, opt).state.values()):
            assert torch.equal(s_full["exp_avg"], s_scaled["exp_avg"])
            assert torch.equal(s_full["exp_avg_sq"], s_scaled["exp_avg_sq"])


@pytest.mark.parametrize(
    ("steps", "episodes", "step", "member_episodes", "left"),
    [
        (100, None, 25, [0, 9], [0.75, 0.75]),  # a step budget: one clock for all members
        (None, 20, 50, [5, 15], [0.75, 0.25]),  # an episode budget: each member's own
        (1000, 20, 500, [5, 25], [0.5, 0.0]),  # whichever is further along; never below 0
    ],
)
def test_budget_left_is_the_fraction_of_each_members_budget_still_to_go(
    steps: int | None, episodes: int | None, step: int, member_episodes: list[int], left: list[float]
) -> None:
    from types import SimpleNamespace

    from bounded_ddpg.train import Trainer

    trainer = SimpleNamespace(
        cfg=SimpleNamespace(budget=SimpleNamespace(steps=steps, episodes=episodes)),
        step=step,
        members=[SimpleNamespace(episodes=e) for e in member_episodes],
    )
    assert Trainer.budget_left(trainer).tolist() == left  # type: ignore[arg-type]
