"""Checkpoint files: atomic, safe to load, clear when damaged; episode tapes rebuild environments exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from bounded_ddpg import checkpoint
from bounded_ddpg.agents import DDPG
from bounded_ddpg.config import AgentConfig, NoiseConfig
from bounded_ddpg.envs.factory import make_env
from bounded_ddpg.replay import ReplayBuffer


def test_round_trip_with_weights_only(tmp_path: Path) -> None:
    path = tmp_path / "ck.pt"
    state: dict[str, Any] = {
        "format": 1,
        "step": 7,
        "w": torch.arange(6.0).reshape(2, 3),
        "rng": torch.Generator().get_state(),
    }
    checkpoint.save(path, state)
    back = checkpoint.load(path)
    assert back["step"] == 7 and torch.equal(back["w"], state["w"]) and torch.equal(back["rng"], state["rng"])
    assert not (tmp_path / "ck.pt.tmp").exists()


@pytest.mark.parametrize("damage", ["truncate", "garble", "empty"])
def test_damaged_file_names_itself(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "ck.pt"
    checkpoint.save(path, {"format": 1, "w": torch.randn(100, 100)})
    data = path.read_bytes()
    path.write_bytes(
        {"truncate": data[: len(data) // 2], "garble": data[:64] + b"x" * 500, "empty": b""}[damage]
    )
    with pytest.raises(checkpoint.CheckpointError, match=r"cannot read checkpoint .*ck\.pt"):
        checkpoint.load(path)


def test_foreign_file_is_refused(tmp_path: Path) -> None:
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(checkpoint.CheckpointError, match="not a bounded_ddpg checkpoint"):
        checkpoint.load(tmp_path / "other.pt")


def test_a_killed_writer_leaves_the_previous_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ck.pt"
    checkpoint.save(path, {"format": 1, "step": 1})

    def die(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # the process dies between writing the temp file and renaming it

    monkeypatch.setattr(checkpoint.os, "replace", die)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save(path, {"format": 1, "step": 2})
    assert checkpoint.load(path)["step"] == 1


@pytest.mark.parametrize(
    "env_id",
    [
        "Pendulum-v1",
        "MountainCarContinuous-v0",
        "bounded_ddpg/Platform-v0",
        "bounded_ddpg/Goal-v0",
        "bounded_ddpg/GoalXY-v0",
    ],
)
@pytest.mark.parametrize("first_episode", [True, False])
def test_tape_rebuilds_the_episode_exactly(tmp_path: Path, env_id: str, first_episode: bool) -> None:
    env, fresh = make_env(env_id), make_env(env_id)
    tape = checkpoint.EpisodeTape()
    obs, _ = tape.reset(env, seed=3)
    rng = np.random.default_rng(0)
    if not first_episode:  # a later episode: reset without a seed, from wherever the RNG stands
        for _ in range(5):
            if any(env.step(env.action_space.sample())[2:4]):
                break
        obs, _ = tape.reset(env)
    done = False
    for _ in range(3 if "bounded_ddpg" in env_id else 17):
        action = rng.uniform(-1, 1, size=env.action_space.shape).astype(np.float32)
        tape.record(action)
        obs, _, terminated, truncated, _ = env.step(action)
        if done := terminated or truncated:
            break
    checkpoint.save(tmp_path / "ck.pt", {"format": 1, "tape": tape.state_dict()})
    restored = checkpoint.EpisodeTape().restore(fresh, checkpoint.load(tmp_path / "ck.pt")["tape"])
    assert np.array_equal(restored, obs)
    if not done:
        action = np.full(env.action_space.shape or (), 0.3, np.float32)
        a, b = env.step(action), fresh.step(action)
        assert np.array_equal(a[0], b[0]) and a[1] == b[1] and a[2:4] == b[2:4]
    # and the environment's RNG continues identically into the next episode
    assert np.array_equal(env.reset()[0], fresh.reset()[0])


def _agent_and_replay(seeds: list[int]) -> tuple[DDPG, ReplayBuffer]:
    cfg = AgentConfig(hidden_sizes=[8], batch_size=4, noise=NoiseConfig(kind="ou"))
    agent = DDPG(3, -np.ones(2), np.ones(2), cfg, "invert", n_discrete=0, seeds=seeds)
    return agent, ReplayBuffer(50, 3, 2, seeds)


def _train(agent: DDPG, replay: ReplayBuffer, steps: int) -> list[torch.Tensor]:
    out = []
    for _ in range(steps):
        obs = torch.randn(agent.n_members, 3, generator=torch.Generator().manual_seed(len(replay)))
        a = agent.act(obs, explore=True)
        replay.add(obs, a, a.sum(1), obs + 0.1, torch.zeros(agent.n_members), torch.zeros(agent.n_members))
        out.append(agent.update(replay.sample(4))["critic_loss"])
    return out


def test_member_slices_stack_back_into_the_same_agent(tmp_path: Path) -> None:
    """Each member's slice goes to its own file; stacking the files back continues training identically."""
    agent, replay = _agent_and_replay([0, 1])
    _train(agent, replay, 5)
    for m in range(2):
        checkpoint.save(tmp_path / f"m{m}.pt", {"format": 1, "agent": agent.member_state(m),
                                                "replay": replay.member_state(m)})  # fmt: skip
    states = [checkpoint.load(tmp_path / f"m{m}.pt") for m in range(2)]
    assert states[0]["agent"]["actor"]["layers.0.weight"].shape == (3, 8)  # no member dimension
    assert int(states[0]["agent"]["actor_opt"][0]["step"]) == 5
    agent2, replay2 = _agent_and_replay([0, 1])
    agent2.load_member_states([s["agent"] for s in states])
    replay2.load_member_states([s["replay"] for s in states])
    expected, got = _train(agent, replay, 5), _train(agent2, replay2, 5)
    assert all(torch.equal(a, b) for a, b in zip(expected, got))
    for a, b in zip(
        agent.actor_opt.state_dict()["state"].values(), agent2.actor_opt.state_dict()["state"].values()
    ):
        assert all(torch.equal(a[k], b[k]) for k in a)


def test_members_from_different_steps_are_refused() -> None:
    agent, replay = _agent_and_replay([0, 1])
    _train(agent, replay, 2)
    early = agent.member_state(0)
    _train(agent, replay, 1)
    with pytest.raises(ValueError, match="differ"):
        _agent_and_replay([0, 1])[0].load_member_states([early, agent.member_state(1)])
