"""Replay buffer and exploration: exact contents, ring wrap-around, per-member streams, schedules."""

from __future__ import annotations

import pytest
import torch

from bounded_ddpg.config import NoiseConfig
from bounded_ddpg.noise import Exploration
from bounded_ddpg.replay import ReplayBuffer


def fill(rb: ReplayBuffer, n: int, m: int = 2) -> None:
    for i in range(n):
        t = torch.full((m,), float(i))
        rb.add(
            t[:, None].expand(m, 3), t[:, None].expand(m, 1) + 0.5, t, t[:, None].expand(m, 3) + 1,
            torch.tensor([i % 3 == 0] * m), torch.tensor([i % 5 == 0] * m),
        )  # fmt: skip


def test_transitions_keep_terminated_and_truncated_apart() -> None:
    rb = ReplayBuffer(100, 3, 1, seeds=[0, 1])
    fill(rb, 30)
    batch = rb.sample(64)
    assert batch.obs.shape == (2, 64, 3) and batch.reward.shape == (2, 64, 1)
    i = batch.reward[..., 0]  # every field of a transition i carries i, so rows must agree
    assert torch.equal(batch.obs[..., 0], i) and torch.equal(batch.next_obs[..., 2], i + 1)
    assert torch.equal(batch.action[..., 0], i + 0.5)
    assert torch.equal(batch.terminated[..., 0], (i % 3 == 0).float())
    assert torch.equal(batch.truncated[..., 0], (i % 5 == 0).float())


def test_ring_overwrites_the_oldest() -> None:
    rb = ReplayBuffer(10, 3, 1, seeds=[0, 1])
    fill(rb, 25)
    assert len(rb) == 10
    seen = set(rb.sample(1000).reward.flatten().tolist())
    assert seen == {float(i) for i in range(15, 25)}


def test_each_member_samples_from_its_own_stream() -> None:
    a, b, single = ReplayBuffer(50, 3, 1, [4, 9]), ReplayBuffer(50, 3, 1, [4, 9]), ReplayBuffer(50, 3, 1, [9])
    for rb in (a, b):
        fill(rb, 50)
    fill(single, 50, m=1)
    sa, sb, ss = a.sample(16), b.sample(16), single.sample(16)
    assert torch.equal(sa.reward, sb.reward)  # same seeds, same draws
    assert not torch.equal(sa.reward[0], sa.reward[1])  # different seeds, different draws
    assert torch.equal(
        sa.reward[1], ss.reward[0]
    )  # member with seed 9 draws what a single run with seed 9 draws


def test_empty_buffer_refuses_to_sample() -> None:
    with pytest.raises(ValueError, match="empty"):
        ReplayBuffer(10, 3, 1, [0]).sample(4)


def test_state_dict_round_trip_continues_the_same_draws() -> None:
    rb = ReplayBuffer(40, 3, 1, [1, 2])
    fill(rb, 25)
    rb.sample(8)
    copy = ReplayBuffer(40, 3, 1, [7, 7])
    copy.load_state_dict(rb.state_dict())
    assert len(copy) == 25 and copy.ptr == rb.ptr
    assert torch.equal(copy.sample(8).obs, rb.sample(8).obs)


def test_epsilon_decays_linearly_per_member() -> None:
    cfg = NoiseConfig(epsilon_start=1.0, epsilon_end=0.1, epsilon_decay_episodes=10)
    ex = Exploration(cfg, -torch.ones(4), torch.ones(4), n_discrete=2, seeds=[0, 1])
    for _ in range(5):
        ex.end_episode(torch.tensor([True, False]))
    torch.testing.assert_close(ex.epsilon(), torch.tensor([0.55, 1.0]))
    for _ in range(20):
        ex.end_episode(torch.tensor([True, True]))
    torch.testing.assert_close(ex.epsilon(), torch.tensor([0.1, 0.1]))


def test_epsilon_one_randomises_the_discrete_scores_only() -> None:
    cfg = NoiseConfig(kind="none", epsilon_start=1.0, epsilon_end=1.0)
    ex = Exploration(cfg, -torch.ones(5), torch.ones(5), n_discrete=3, seeds=[0])
    a = torch.full((1, 5), 0.25)
    out = ex(a)
    assert torch.equal(out[0, 3:], a[0, 3:])
    assert not torch.equal(out[0, :3], a[0, :3]) and out[0, :3].abs().max() <= 1.0


def test_gaussian_scale_is_sigma_times_half_the_range() -> None:
    cfg = NoiseConfig(kind="gaussian", sigma=0.2)
    ex = Exploration(cfg, torch.tensor([0.0, -10.0]), torch.tensor([2.0, 10.0]), n_discrete=0, seeds=[3])
    noise = torch.cat([ex(torch.zeros(1, 2)) for _ in range(4000)])
    torch.testing.assert_close(noise.std(0), torch.tensor([0.2, 2.0]), rtol=0.05, atol=0)
    torch.testing.assert_close(noise.mean(0), torch.tensor([0.0, 0.0]), rtol=0, atol=0.1)


def test_ou_state_persists_within_and_resets_between_episodes() -> None:
    cfg = NoiseConfig(kind="ou", sigma=1.0, theta=0.15)
    ex = Exploration(cfg, -torch.ones(1), torch.ones(1), n_discrete=0, seeds=[0, 1])
    draws = torch.stack([ex(torch.zeros(2, 1))[:, 0] for _ in range(200)])
    lag1 = torch.corrcoef(torch.stack([draws[:-1, 0], draws[1:, 0]]))[0, 1]
    assert lag1 > 0.7  # x_t+1 = 0.85 x_t + N(0, 1): autocorrelation 0.85
    ex.end_episode(torch.tensor([True, False]))
    assert ex.ou_state[0].item() == 0.0 and ex.ou_state[1].item() != 0.0
