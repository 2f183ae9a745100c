"""TD3 on the shared seam: the same actor gradients as DDPG's founding test, plus what TD3 adds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bounded_ddpg import agents, transforms
from bounded_ddpg.agents import TD3
from bounded_ddpg.agents.td3 import TwinCritic
from bounded_ddpg.config import AgentConfig
from bounded_ddpg.replay import Batch
from conftest import Cli, assert_grads_close, run_dirs
from test_agent import actor_grads, random_batch


def make_td3(
    transform: str | list[str],
    seed: int = 0,
    obs_dim: int = 3,
    low: np.ndarray | None = None,
    high: np.ndarray | None = None,
    hidden: list[int] | None = None,
    seeds: list[int] | None = None,
    **overrides: object,
) -> TD3:
    low = np.array([-1.0, 0.0]) if low is None else low
    high = np.array([1.0, 720.0]) if high is None else high
    cfg = AgentConfig(name="td3", hidden_sizes=[16, 16] if hidden is None else hidden, **overrides)  # type: ignore[arg-type]
    agent = agents.make(obs_dim, low, high, cfg, transform, seeds=seeds or [seed])
    assert isinstance(agent, TD3)
    return agent


def twin(agent: TD3, target: bool = False) -> TwinCritic:
    critic = agent.critic_target if target else agent.critic
    assert isinstance(critic, TwinCritic)
    return critic


@settings(max_examples=30, deadline=None)
@given(
    name=st.sampled_from(transforms.names()),
    seed=st.integers(0, 2**31 - 1),
    obs_dim=st.integers(1, 6),
    action_dim=st.integers(1, 4),
    batch=st.integers(1, 33),
    hidden=st.lists(st.integers(1, 24), min_size=0, max_size=2),
    spread=st.floats(0.1, 5.0),
)
def test_chain_equals_direct_and_follows_q1(
    name: str, seed: int, obs_dim: int, action_dim: int, batch: int, hidden: list[int], spread: float
) -> None:
    gen = torch.Generator().manual_seed(seed)
    low = (torch.rand(action_dim, generator=gen) * 4 - 3).numpy()
    high = low + (torch.rand(action_dim, generator=gen) * 3 + 0.1).numpy()
    kwargs = dict(obs_dim=obs_dim, low=low, high=high, hidden=hidden, final_init=spread, lr_actor=0.0)
    chain, direct = (make_td3(name, seed % 1000, actor_grad=g, **kwargs) for g in ("chain", "direct"))
    obs = torch.randn(1, batch, obs_dim, generator=gen) * 2
    chain.update_actor(obs)
    direct.update_actor(obs)
    for g_chain, g_direct in zip(actor_grads(chain), actor_grads(direct)):
        assert_grads_close(g_chain, g_direct)
    if name == "identity":
        plain = make_td3(name, seed % 1000, **kwargs)
        q1 = twin(plain).q1(obs, plain.transform.forward(plain.actor(obs)))
        grads = torch.autograd.grad(-q1.mean(), list(plain.actor.parameters()))
        assume(any(g.abs().max() > 0 for g in grads))  # not a dead ReLU layer (then all are zero)
        for g_chain, g_plain in zip(actor_grads(chain), grads):
            assert_grads_close(g_chain, g_plain)


@pytest.mark.parametrize("actor_grad", ["chain", "direct"])
def test_actor_step_leaves_both_critics_alone_and_critic_step_the_actor(actor_grad: str) -> None:
    agent = make_td3("invert", seed=3, actor_grad=actor_grad)
    batch = random_batch(0)
    agent.update_actor(batch.obs)
    assert all(p.grad is None for p in twin(agent).parameters()), "actor step wrote critic gradients"
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in agent.actor.parameters())
    agent = make_td3("invert", seed=3, actor_grad=actor_grad)
    agent.update_critic(batch)
    assert all(p.grad is None for p in agent.actor.parameters())
    for q in (twin(agent).q1, twin(agent).q2):  # both critics learn from the one target
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in q.parameters())
    assert twin(agent).q1.output_layer.weight.data_ptr() != twin(agent).q2.output_layer.weight.data_ptr()
    assert not torch.equal(twin(agent).q1.output_layer.weight, twin(agent).q2.output_layer.weight)


def set_linear(layer: torch.nn.Module, weight: list[float], bias: float) -> None:
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weight).view(1, -1, 1))  # type: ignore[operator]
        layer.bias.fill_(bias)  # type: ignore[operator]


@pytest.mark.parametrize("terminated", [0.0, 1.0])
def test_target_is_reward_plus_gamma_min_of_twin_targets_at_the_clamped_action(terminated: float) -> None:
    """Linear nets by hand: mu'(s) = 0.5 s, Q1'(s, a) = s + 2a, Q2'(s, a) = 3s - a + 1, Q1 = Q2 = 0."""
    agent = make_td3("identity", obs_dim=1, low=np.array([-1.0]), high=np.array([1.0]), hidden=[],
                     gamma=0.5, policy_noise=0.0, lr_critic=0.0)  # fmt: skip
    set_linear(agent.actor_target.output_layer, [0.5], 0.0)
    set_linear(twin(agent, target=True).q1.output_layer, [1.0, 2.0], 0.0)
    set_linear(twin(agent, target=True).q2.output_layer, [3.0, -1.0], 1.0)
    for q in (twin(agent).q1, twin(agent).q2):
        set_linear(q.output_layer, [0.0, 0.0], 0.0)
    # s' = 1: a' = 0.5, Q1' = 2, Q2' = 2.5, min 2.  s' = 4: u' = 2 is clamped to a' = 1, Q1' = 6, Q2' = 12.
    next_obs = torch.tensor([1.0, 4.0]).view(1, 2, 1)
    ones = torch.ones(1, 2, 1)
    batch = Batch(torch.zeros(1, 2, 1), torch.zeros(1, 2, 1), ones, next_obs, ones * terminated, ones * 0)
    targets = torch.tensor([1.0 + 0.5 * 2.0, 1.0 + 0.5 * 6.0]) if not terminated else torch.ones(2)
    expected = 2 * targets.square().mean()  # (Q1 - y)^2 + (Q2 - y)^2 with Q1 = Q2 = 0
    loss = agent.update_critic(batch)["critic_loss"]
    torch.testing.assert_close(loss, expected.reshape(1))


def test_smoothing_noise_is_clipped_in_action_units_per_dimension() -> None:
    """Bounds [-1, 1] and [0, 720]: the noise is at most noise_clip * (high - low) / 2 in each dimension."""
    agent = make_td3("squash", policy_noise=2.0, noise_clip=0.3)  # squash: forward(u') inside the bounds
    next_obs = torch.randn(1, 4096, 3, generator=torch.Generator().manual_seed(0))
    centre = agent.transform.forward(agent.actor_target(next_obs)).detach()
    noise = (agent.smoothed_target_action(next_obs) - centre).abs()
    # forward(u') sits near the middle of each range (small init), so the clamp to the bounds never binds
    assert float((centre - agent.low).min()) > 0.4 * 1 and float((agent.high - centre)[..., 1].min()) > 300
    limit = torch.tensor([0.3, 0.3 * 360])
    assert bool((noise <= limit * (1 + 1e-6)).all())
    # with std 2 (ratio 6.7 to the clip) most draws are clipped: the limit is reached, not just respected
    torch.testing.assert_close(noise.amax((0, 1)), limit)
    assert float((noise >= limit * (1 - 1e-6)).float().mean()) > 0.8


def test_actor_and_targets_change_only_every_policy_delay_th_update() -> None:
    agent = make_td3("invert", policy_delay=3, lr_actor=1e-2, lr_critic=1e-2)
    changed: list[tuple[bool, bool, bool]] = []
    nets = (agent.actor, agent.critic, agent.actor_target)
    for k in range(7):
        before = [[p.clone() for p in net.parameters()] for net in nets]
        agent.update(random_batch(k))
        after = [list(net.parameters()) for net in nets]
        actor, critic, actor_target = (
            any(not torch.equal(x, y) for x, y in zip(b, a)) for b, a in zip(before, after)
        )
        changed.append((actor, critic, actor_target))
    assert changed == [(k % 3 == 2, True, k % 3 == 2) for k in range(7)]


def test_a_batched_member_follows_the_single_td3_with_its_seed() -> None:
    batched = make_td3(["clip", "invert", "squash"], seeds=[5, 6, 7], final_init=2.0, lr_actor=1e-2)
    single = make_td3("invert", seed=6, final_init=2.0, lr_actor=1e-2)
    for p_b, p_s in zip(batched.critic.parameters(), single.critic.parameters()):
        assert torch.equal(p_b[1], p_s[0])
    for k in range(6):
        batch = random_batch(k, m=3)
        batched.update(batch)
        single.update(Batch(*(x[1:2] for x in batch)))
    nets = ("actor", "critic", "actor_target", "critic_target")
    for name in nets:
        for p_b, p_s in zip(getattr(batched, name).parameters(), getattr(single, name).parameters()):
            torch.testing.assert_close(p_b[1], p_s[0], rtol=1e-5, atol=1e-6)
    assert batched.num_updates == 6 and not torch.allclose(
        batched.actor.output_layer.bias[0], batched.actor.output_layer.bias[1], atol=1e-3
    )


def test_member_state_carries_the_smoothing_stream() -> None:
    """A TD3 rebuilt from member slices draws the same smoothing noise (checkpoint/resume)."""
    agent = make_td3("invert", seeds=[1, 2])
    for k in range(3):
        agent.update(random_batch(k, m=2))
    copy = make_td3("invert", seeds=[1, 2])
    copy.load_member_states([agent.member_state(0), agent.member_state(1)])
    obs = torch.randn(2, 8, 3, generator=torch.Generator().manual_seed(1))
    assert torch.equal(agent.smoothed_target_action(obs), copy.smoothed_target_action(obs))


def test_unknown_agent_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown agent 'sac'; valid agents: ddpg, td3"):
        agents.make(3, -np.ones(2), np.ones(2), AgentConfig(name="sac"), "identity")


@pytest.mark.slow
def test_pa_td3_trains_on_platforms_flat_view_with_hyars_combination(cli: Cli, tmp_path: Path) -> None:
    """experiment=td3_platform, shortened: TD3 on Platform's flat view with HyAR's PA-TD3 values, the four
    transforms as one batch; squash_invert (their tanh head with inverting gradients) trains like the rest."""
    short = (
        "budget.episodes=150",
        "seeds=[0]",
        "eval.every_steps=0",
        "eval.final_episodes=10",
        "progress=false",
    )
    conf = Path(__file__).resolve().parents[1] / "conf"  # the repository's experiment files
    proc = cli("--config-dir", str(conf), "experiment=td3_platform", *short)
    assert proc.returncode == 0, proc.stderr
    runs = {d.parent.parent.name: d for d in run_dirs(tmp_path / "runs")}
    assert sorted(runs) == ["invert", "squash", "squash_invert", "zero"]
    summaries = {t: json.loads((d / "summary.json").read_text()) for t, d in runs.items()}
    assert all(s["status"] == "finished" and s["episodes"] == 150 for s in summaries.values())
    agent = summaries["squash_invert"]["config"]["agent"]
    assert (agent["name"], agent["batch_size"], agent["buffer_size"], agent["store_action"]) == (
        "td3",
        128,
        100_000,
        "clipped",
    )
    assert agent["noise"]["epsilon_start"] == 0.0 and agent["warmup"] == "policy"
    # the transforms train differently from the same seed: the actors' gradients differ
    g_u = {t: (d / "metrics.csv").read_text().splitlines()[-1].split(",")[-1] for t, d in runs.items()}
    assert len(set(g_u.values())) == 4, g_u
