"""One door to every environment the toolkit trains on: :func:`make_env`.

Parameterised tasks (Platform, Goal, GoalXY) come back wrapped in
:class:`~bounded_ddpg.envs.wrappers.FlatParameterisedAction` (one flat Box action in [-1, 1]); Box tasks
come back as plain ``gymnasium.make`` environments with their registered TimeLimit. MuJoCo tasks get their
``MUJOCO_LOG.TXT`` redirected out of the working directory (MuJoCo's default log handler writes that
file into the current directory on every warning, e.g. "Nan, Inf or huge value in QACC").
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import gymnasium as gym

from bounded_ddpg.envs import GOAL_ID, GOAL_IDS, GOALXY_ID, PLATFORM_ID
from bounded_ddpg.envs.wrappers import FlatParameterisedAction

PARAMETERISED = {
    PLATFORM_ID: PLATFORM_ID,
    GOAL_ID: GOAL_ID,
    GOALXY_ID: GOALXY_ID,
    "Platform": PLATFORM_ID,
    "Goal": GOAL_ID,
    "GoalXY": GOALXY_ID,
}
BOX_TASKS = {  # id -> the gymnasium extra it needs (None: core gymnasium)
    "Pendulum-v1": None,
    "MountainCarContinuous-v0": None,
    "LunarLanderContinuous-v3": "box2d",
    "Hopper-v5": "mujoco",
    "HalfCheetah-v5": "mujoco",
}
KNOWN_IDS = (*PARAMETERISED, *BOX_TASKS)
MUJOCO_LOG_ENV = "BOUNDED_DDPG_MUJOCO_LOG"  # overrides where MuJoCo's log file goes


def canonical_id(env_id: str) -> str:
    """The registered id for ``env_id`` (short names Platform, Goal, GoalXY too); ValueError if unknown."""
    if env_id in PARAMETERISED:
        return PARAMETERISED[env_id]
    if env_id in BOX_TASKS:
        return env_id
    raise ValueError(f"unknown environment id {env_id!r}; known ids: {', '.join(KNOWN_IDS)}")


def reports_goals(env_id: str) -> bool:
    """Whether runs on ``env_id`` report P(goal): Goal and GoalXY (their info carries ``goal``)."""
    return canonical_id(env_id) in GOAL_IDS


def mujoco_log_path() -> Path:
    """Where MuJoCo's log goes: $BOUNDED_DDPG_MUJOCO_LOG, else <tmpdir>/bounded_ddpg-mujoco/MUJOCO_LOG.TXT."""
    override = os.environ.get(MUJOCO_LOG_ENV)
    if override:
        return Path(override)
    return Path(tempfile.gettempdir()) / "bounded_ddpg-mujoco" / "MUJOCO_LOG.TXT"


def redirect_mujoco_log() -> Path | None:
    """Point MuJoCo's default log handler (mujoco >= 3.4's MjLogConfig) at :func:`mujoco_log_path`.

    Returns the path, or None when this mujoco has no log configuration (older releases write
    MUJOCO_LOG.TXT into the current directory; run them from a scratch directory).
    """
    import mujoco

    config_cls = getattr(mujoco, "MjLogConfig", None)
    if config_cls is None:
        return None
    path = mujoco_log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    config = config_cls.get()
    config.logfile = str(path)
    config.set()
    return path


class _SeedFirstReset(gym.Wrapper[Any, Any, Any, Any]):
    """Pass ``seed`` to the first reset that names none (and seed the action space once)."""

    def __init__(self, env: gym.Env[Any, Any], seed: int) -> None:
        super().__init__(env)
        self._pending: int | None = seed
        self.env.action_space.seed(seed)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        if seed is None:
            seed = self._pending
        self._pending = None
        return self.env.reset(seed=seed, options=options)


def make_env(
    env_id: str, *, seed: int | None = None, render_mode: str | None = None, **kwargs: Any
) -> gym.Env[Any, Any]:
    """Build a known environment: flat-Box wrapped for Platform/Goal/GoalXY, plain gymnasium for Box tasks.

    ``seed``: used by the first ``reset()`` that names no seed, and seeds the action space. Extra keyword
    arguments go to ``gymnasium.make``. A missing optional extra raises ImportError naming the pip extra.
    """
    cid = canonical_id(env_id)
    env: gym.Env[Any, Any]
    if cid in PARAMETERISED.values():
        env = gym.make(cid, render_mode=render_mode, **kwargs)
        # seeding inside, so that n_discrete / param_slices stay on the outermost wrapper
        return FlatParameterisedAction(env if seed is None else _SeedFirstReset(env, seed))
    else:
        extra = BOX_TASKS[cid]
        if extra == "mujoco":
            try:
                redirect_mujoco_log()
            except ImportError as exc:
                raise ImportError(f"{cid} needs MuJoCo: pip install 'gymnasium[mujoco]'") from exc
        try:
            env = gym.make(cid, render_mode=render_mode, **kwargs)
        except gym.error.DependencyNotInstalled as exc:
            raise ImportError(f"{cid} needs an extra: pip install 'gymnasium[{extra}]' ({exc})") from exc
    return env if seed is None else _SeedFirstReset(env, seed)
