"""Native parameterised-action environments and their gymnasium registration.

``bounded_ddpg/Platform-v0``, ``bounded_ddpg/Goal-v0`` (the published task, as the reference code runs it) and
``bounded_ddpg/GoalXY-v0`` (a corrected variant, not the published task) are registered on import
(idempotently). Their time limits (200 / 100 agent steps) live inside the environments, so
``gymnasium.make`` adds no TimeLimit of its own. Use :func:`bounded_ddpg.envs.factory.make_env` for the
flat-Box view a learner needs.
"""

from __future__ import annotations

import gymnasium as gym

PLATFORM_ID = "bounded_ddpg/Platform-v0"
GOAL_ID = "bounded_ddpg/Goal-v0"
GOALXY_ID = "bounded_ddpg/GoalXY-v0"
GOAL_IDS = (GOAL_ID, GOALXY_ID)


def register_envs() -> None:
    """Register Platform, Goal and GoalXY with gymnasium unless already registered."""
    specs = {
        PLATFORM_ID: "bounded_ddpg.envs.platform_env:PlatformEnv",
        GOAL_ID: "bounded_ddpg.envs.goal_env:GoalEnv",
        GOALXY_ID: "bounded_ddpg.envs.goal_env:GoalXYEnv",
    }
    for env_id, entry_point in specs.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry_point)


register_envs()

__all__ = ["GOALXY_ID", "GOAL_ID", "GOAL_IDS", "PLATFORM_ID", "register_envs"]
