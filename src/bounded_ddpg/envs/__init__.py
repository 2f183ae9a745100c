"""Native parameterised-action environments and their gymnasium registration.

``bounded_ddpg/Platform-v0`` and ``bounded_ddpg/Goal-v0`` are registered on import (idempotently).
Their time limits (200 / 100 agent steps) live inside the environments, so ``gymnasium.make`` adds no
TimeLimit of its own. Use :func:`bounded_ddpg.envs.factory.make_env` for the flat-Box view a learner needs.
"""

from __future__ import annotations

import gymnasium as gym

PLATFORM_ID = "bounded_ddpg/Platform-v0"
GOAL_ID = "bounded_ddpg/Goal-v0"


def register_envs() -> None:
    """Register Platform and Goal with gymnasium unless already registered."""
    specs = {
        PLATFORM_ID: "bounded_ddpg.envs.platform_env:PlatformEnv",
        GOAL_ID: "bounded_ddpg.envs.goal_env:GoalEnv",
    }
    for env_id, entry_point in specs.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry_point)


register_envs()

__all__ = ["GOAL_ID", "PLATFORM_ID", "register_envs"]
