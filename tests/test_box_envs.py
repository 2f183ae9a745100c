"""Box tasks through the same factory; MuJoCo's log never lands in the working directory."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bounded_ddpg.envs.factory import make_env

HAS_BOX2D = importlib.util.find_spec("Box2D") is not None
HAS_MUJOCO = importlib.util.find_spec("mujoco") is not None
BOX = [
    ("Pendulum-v1", True, "core gymnasium", 200),
    ("MountainCarContinuous-v0", True, "core gymnasium", 999),
    ("LunarLanderContinuous-v3", HAS_BOX2D, "needs gymnasium[box2d] (pip install 'gymnasium[box2d]')", 1000),
    ("Hopper-v5", HAS_MUJOCO, "needs gymnasium[mujoco] (pip install 'gymnasium[mujoco]')", 1000),
    ("HalfCheetah-v5", HAS_MUJOCO, "needs gymnasium[mujoco] (pip install 'gymnasium[mujoco]')", 1000),
]


@pytest.mark.parametrize(("env_id", "available", "reason", "limit"), BOX)
def test_box_task(env_id: str, available: bool, reason: str, limit: int) -> None:
    if not available:
        pytest.skip(reason)
    a, b = make_env(env_id, seed=3), make_env(env_id, seed=3)
    assert a.spec is not None and a.spec.max_episode_steps == limit  # gymnasium's own TimeLimit
    oa, ob = a.reset()[0], b.reset()[0]
    np.testing.assert_array_equal(oa, ob)
    for _ in range(5):
        act = a.action_space.sample()
        np.testing.assert_array_equal(act, b.action_space.sample())  # the action space is seeded too
        ra, rb = a.step(act)[1], b.step(act)[1]
        assert ra == rb and np.isfinite(float(ra))


@pytest.mark.skipif(not HAS_MUJOCO, reason="needs gymnasium[mujoco] (pip install 'gymnasium[mujoco]')")
def test_mujoco_log_goes_to_the_temp_dir(tmp_path: Path) -> None:
    # MuJoCo writes MUJOCO_LOG.TXT into the current directory on any warning: HalfCheetah's XML already
    # triggers one at compile time (a deprecated attribute), and an unstable state triggers another.
    work, log = tmp_path / "work", tmp_path / "logs" / "mujoco.txt"
    work.mkdir()
    code = (
        "from bounded_ddpg.envs.factory import make_env\n"
        "env = make_env('HalfCheetah-v5', seed=0); env.reset()\n"
        "env.unwrapped.data.qvel[:] = 1e30\n"
        "env.step(env.action_space.sample())\n"
    )
    env = {**os.environ, "BOUNDED_DDPG_MUJOCO_LOG": str(log)}
    subprocess.run([sys.executable, "-c", code], cwd=work, env=env, check=True, capture_output=True)
    assert list(work.iterdir()) == []
    assert log.exists() and "unstable" in log.read_text()
