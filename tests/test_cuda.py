"""device=cuda: the same arithmetic as on the CPU, and a whole run. Skipped where no GPU is visible (CI).

On a GPU machine: ``pytest tests/test_cuda.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from bounded_ddpg import transforms
from bounded_ddpg.agents import DDPG
from bounded_ddpg.config import AgentConfig
from bounded_ddpg.replay import Batch, ReplayBuffer
from conftest import TINY, Cli

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")

LOW, HIGH = np.array([-1.0, 0.0, -2.0]), np.array([1.0, 720.0, 0.5])


def agent_on(device: str, transform: str | list[str], seeds: list[int], **overrides: object) -> DDPG:
    cfg = AgentConfig(hidden_sizes=[32, 16], batch_size=16, grad_clip=10.0, **overrides)  # type: ignore[arg-type]
    return DDPG(4, LOW, HIGH, cfg, transform, seeds=seeds, device=device)


def batch_for(members: int, gen: torch.Generator) -> Batch:
    def draw(*shape: int, scale: float = 1.0) -> torch.Tensor:
        return torch.randn(members, 16, *shape, generator=gen) * scale

    return Batch(
        draw(4), draw(3, scale=300.0), draw(1), draw(4),
        (torch.rand(members, 16, 1, generator=gen) < 0.2).float(), torch.zeros(members, 16, 1),
    )  # fmt: skip


@pytest.mark.parametrize("transform", transforms.names())
def test_transform_on_cuda_equals_cpu(transform: str) -> None:
    gen = torch.Generator().manual_seed(3)
    u = torch.randn(5, 64, 3, generator=gen) * 400
    dq_da = torch.randn(5, 64, 3, generator=gen)
    cpu = transforms.make(transform, LOW, HIGH)
    gpu = transforms.make(transform, LOW, HIGH).to("cuda")
    torch.testing.assert_close(gpu.forward(u.cuda()).cpu(), cpu.forward(u), rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(
        gpu.backward(dq_da.cuda(), u.cuda()).cpu(), cpu.backward(dq_da, u), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("actor_grad", ["chain", "direct"])
def test_updates_on_cuda_follow_the_cpu(actor_grad: str) -> None:
    """Same initial weights (drawn on the CPU), same batches: parameters agree after 20 updates."""
    seeds, names = [0, 1, 2, 3], ["invert", "zero", "clip", "squash"]
    cpu, gpu = (agent_on(d, names, seeds, actor_grad=actor_grad) for d in ("cpu", "cuda"))
    gen = torch.Generator().manual_seed(0)
    for _ in range(20):
        batch = batch_for(len(seeds), gen)
        m_cpu = cpu.update(batch)
        m_gpu = gpu.update(Batch(*(t.cuda() for t in batch)))
    torch.testing.assert_close(m_gpu["critic_loss"].cpu(), m_cpu["critic_loss"], rtol=1e-4, atol=1e-5)
    for p_gpu, p_cpu in zip(gpu.actor.parameters(), cpu.actor.parameters()):
        torch.testing.assert_close(p_gpu.detach().cpu(), p_cpu.detach(), rtol=1e-3, atol=1e-5)
    for p_gpu, p_cpu in zip(gpu.critic_target.parameters(), cpu.critic_target.parameters()):
        torch.testing.assert_close(p_gpu.cpu(), p_cpu, rtol=1e-3, atol=1e-5)


def test_replay_and_exploration_stay_on_the_device() -> None:
    replay = ReplayBuffer(100, 4, 3, [0, 1], "cuda")
    agent = agent_on("cuda", "invert", [0, 1])
    for _ in range(20):
        obs = torch.randn(2, 4)
        replay.add(obs, agent.act(obs, explore=True), torch.ones(2), obs, torch.zeros(2), torch.zeros(2))
    batch = replay.sample(16)
    assert {t.device.type for t in batch} == {"cuda"} and batch.obs.shape == (2, 16, 4)
    metrics = agent.update(batch)
    assert all(v.device.type == "cuda" and bool(torch.isfinite(v).all()) for v in metrics.values())


def test_a_run_on_cuda_finishes(cli: Cli, tmp_path: Path) -> None:
    done = cli("env=Platform", "device=cuda", "transforms=[invert,zero]", "seeds=[0,1]", *TINY)
    assert done.returncode == 0, done.stderr
    summaries = [json.loads(p.read_text()) for p in sorted((tmp_path / "runs").rglob("summary.json"))]
    assert [(s["transform"], s["seed"], s["status"]) for s in summaries] == [
        (t, k, "finished") for t in ("invert", "zero") for k in (0, 1)
    ]
    assert all(0.0 <= s["final_eval"]["return_mean"] <= 1.0 for s in summaries)
