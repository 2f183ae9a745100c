"""cuda_graph.GraphedUpdate: the eager update replayed from CUDA graphs. The GPU tests are skipped where no
GPU is visible (CI); on a GPU machine: ``pytest tests/test_cuda_graph.py``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from bounded_ddpg import agents
from bounded_ddpg.agents import DDPG
from bounded_ddpg.config import AgentConfig
from bounded_ddpg.cuda_graph import GraphedUpdate, make_capturable
from bounded_ddpg.replay import Batch

LOW, HIGH = np.array([-1.0, 0.0, -2.0]), np.array([1.0, 720.0, 0.5])
SEEDS, TRANSFORMS = [0, 1, 2, 3], ["invert", "zero", "clip", "squash"]
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


def make(name: str, device: str, **overrides: Any) -> DDPG:
    delay = 2 if name == "td3" else 1
    cfg = AgentConfig(
        name=name, hidden_sizes=[32, 16], batch_size=16, grad_clip=10.0, policy_delay=delay, **overrides
    )
    return agents.make(4, LOW, HIGH, cfg, TRANSFORMS, seeds=SEEDS, device=device)


def batch_for(gen: torch.Generator, device: str) -> Batch:
    def draw(*shape: int, scale: float = 1.0) -> torch.Tensor:
        return torch.randn(len(SEEDS), 16, *shape, generator=gen) * scale

    terminated = (torch.rand(len(SEEDS), 16, 1, generator=gen) < 0.2).float()
    batch = Batch(draw(4), draw(3, scale=300.0), draw(1), draw(4), terminated, torch.zeros(len(SEEDS), 16, 1))
    return Batch(*(t.to(device) for t in batch))


def assert_equal(a: Any, b: Any, where: str = "") -> None:
    """Nested state dicts / lists of tensors equal bit for bit."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            assert_equal(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_equal(x, y, f"{where}[{i}]")
    elif isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    else:
        assert a == b, where


def test_a_cpu_agent_is_refused_with_the_reason() -> None:
    agent = make("ddpg", "cpu")
    with pytest.raises(ValueError, match="CUDA graphs need an agent on a CUDA device; this one is on cpu"):
        GraphedUpdate(agent, batch_for(torch.Generator().manual_seed(0), "cpu"))


@cuda
@pytest.mark.parametrize("name", ["ddpg", "td3"])
def test_graphed_updates_are_the_eager_updates_bit_for_bit(name: str) -> None:
    """Twin agents (same seeds, the same capturable optimisers), the same 8 batches: one eager, one replayed
    from graphs; every metric and afterwards the whole state (weights, Adam, random streams) are equal."""
    gen = torch.Generator().manual_seed(0)
    eager, graphed = make(name, "cuda"), make(name, "cuda")
    make_capturable(eager)
    update = GraphedUpdate(graphed, batch_for(gen, "cuda"))
    assert_equal(graphed.state_dict(), eager.state_dict(), "after capture")  # capture changed nothing
    for k in range(8):
        batch = batch_for(gen, "cuda")
        m_eager, m_graph = eager.update(batch), update(batch)
        assert_equal({n: v.clone() for n, v in m_graph.items()}, m_eager, f"metrics of update {k}")
    assert_equal(graphed.state_dict(), eager.state_dict(), "after 8 updates")
    assert graphed.num_updates == eager.num_updates == 8


@cuda
def test_a_graphed_update_refuses_a_learning_rate_decay() -> None:
    agent = make("ddpg", "cuda")
    agent.lr_scale = torch.ones(len(SEEDS))
    with pytest.raises(ValueError, match="learning-rate decay"):
        GraphedUpdate(agent, batch_for(torch.Generator().manual_seed(0), "cuda"))


def test_make_capturable_keeps_the_optimisers_state_and_what_they_compute() -> None:
    """On the CPU too: the rebuilt optimisers are capturable, carry Adam's moments over (and create them
    for a fresh agent), and the agent's next updates are those of an untouched twin."""
    gen = torch.Generator().manual_seed(0)
    fresh = make("ddpg", "cpu")
    make_capturable(fresh)
    for opt in (fresh.actor_opt, fresh.critic_opt):
        assert opt.param_groups[0]["capturable"] and opt.param_groups[0]["fused"]
        assert all(
            float(opt.state[p]["step"]) == 0.0 and not opt.state[p]["exp_avg"].any()
            for p in opt.param_groups[0]["params"]
        )
    plain, rebuilt = make("ddpg", "cpu"), make("ddpg", "cpu")
    for _ in range(3):
        batch = batch_for(gen, "cpu")
        plain.update(batch), rebuilt.update(batch)
    make_capturable(rebuilt)
    assert rebuilt.actor_opt.param_groups[0]["lr"] == plain.actor_opt.param_groups[0]["lr"]
    assert_equal(rebuilt.critic_opt.state_dict()["state"], plain.critic_opt.state_dict()["state"], "moments")
    for _ in range(3):
        batch = batch_for(gen, "cpu")
        plain.update(batch), rebuilt.update(batch)
    assert_equal(rebuilt.actor.state_dict(), plain.actor.state_dict(), "actor")
    assert_equal(rebuilt.critic.state_dict(), plain.critic.state_dict(), "critic")


@cuda
def test_a_batch_of_another_shape_is_refused_not_broadcast() -> None:
    gen = torch.Generator().manual_seed(0)
    update = GraphedUpdate(make("ddpg", "cuda"), batch_for(gen, "cuda"))
    small = Batch(*(t[:, :1] for t in batch_for(gen, "cuda")))
    with pytest.raises(
        ValueError, match=r"batch.obs has shape \(4, 1, 4\); the graph was recorded for \(4, 16, 4\)"
    ):
        update(small)
