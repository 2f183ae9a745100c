"""examples/cleanrl_*.py: their actor's gradient is our chain path, and they train end to end."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import gymnasium as gym
import numpy as np
import pytest
import torch

from bounded_ddpg import transforms
from bounded_ddpg.actor_step import actor_update
from conftest import assert_grads_close, child_env

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ["cleanrl_ddpg", "cleanrl_td3"]
# What the examples' networks read from the vector env: a 5-d observation, three actions on unequal bounds.
SPACES = SimpleNamespace(
    single_observation_space=gym.spaces.Box(-np.inf, np.inf, (5,), np.float32),
    single_action_space=gym.spaces.Box(np.array([-1, 0, -5], np.float32), np.array([1, 720, 5], np.float32)),
)


def load(example: str) -> ModuleType:
    """The example script as a module (its training loop sits under ``if __name__ == "__main__"``)."""
    spec = importlib.util.spec_from_file_location(example, ROOT / "examples" / f"{example}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", transforms.names())
@pytest.mark.parametrize("example", EXAMPLES)
def test_the_examples_actor_gradient_is_our_chain_path(example: str, name: str) -> None:
    """On a fixed batch, the example's actor loss (CleanRL's line, -qf1(s, actor(s)).mean()) gives the
    actor the gradient that actor_update's chain path (every agent's) computes on the same weights."""
    module = load(example)
    torch.manual_seed(0)
    transform = transforms.make(name, SPACES.single_action_space)
    actor, qf1 = module.Actor(SPACES, transform), module.QNetwork(SPACES)
    with torch.no_grad():
        actor.fc_mu.weight.mul_(40.0)  # raw outputs across, onto and beyond the bounds
        qf1.fc3.weight.mul_(300.0)  # dQ/da large enough for dqda_clip and dqda_norm_clip to act
    params = list(actor.parameters())
    obs = torch.randn(64, 5, generator=torch.Generator().manual_seed(1))
    example_grads = torch.autograd.grad(-qf1(obs, actor(obs)).mean(), params)
    # u from the same actor: with the identity transform its seam passes u through unchanged
    actor.transform = transforms.make("identity", SPACES.single_action_space)
    u = actor(obs)
    beyond = (u < transform.low) | (u > transform.high)
    assert 0.1 < float(beyond.float().mean()) < 0.9
    actor_update(u.unsqueeze(0), lambda a: qf1(obs, a[0]).unsqueeze(0), transform, "chain", params)
    for got, p in zip(example_grads, params):
        assert p.grad is not None
        assert_grads_close(got, p.grad)


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES)
def test_the_examples_train_a_few_hundred_steps(example: str, tmp_path: Path) -> None:
    """300 Pendulum steps: one 200-step episode reported, 200 updates with the transform, exit 0."""
    script = str(ROOT / "examples" / f"{example}.py")
    args = ["--env-id", "Pendulum-v1", "--total-timesteps", "300", "--learning-starts", "100"]
    args += ["--batch-size", "32", "--no-cuda", "--transform", "dqda_norm_clip"]
    out = subprocess.run(
        [sys.executable, script, *args], cwd=tmp_path, env=child_env(), capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    (episode,) = re.findall(r"global_step=(\d+), episodic_return=(-?[\d.]+)", out.stdout)
    assert int(episode[0]) == 199 and -2000 < float(episode[1]) < 0  # Pendulum's rewards lie in [-16.3, 0]
    assert len(re.findall(r"^SPS: \d+ qf1?_loss: [\d.]+$", out.stdout, flags=re.M)) == 1  # at step 200
    bad = subprocess.run(
        [sys.executable, script, *args[:4], "--transform", "tanh"], cwd=tmp_path, env=child_env(),
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert bad.returncode != 0 and "unknown transform 'tanh'" in bad.stderr
