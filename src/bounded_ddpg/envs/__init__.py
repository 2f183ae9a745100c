"""Native parameterised-action environments and their gymnasium registration.

``bounded_ddpg/Platform-v0``, ``bounded_ddpg/Goal-v0`` (the published task, as the reference code runs it) and
``bounded_ddpg/GoalXY-v0`` (a corrected variant, not the published task) are the native environments (a
``Tuple(Discrete(K), params)`` action); ``bounded_ddpg/PlatformFlat-v0`` and ``bounded_ddpg/GoalFlat-v0``
are Platform and Goal seen through one flat Box action in [-1, 1]^(K+P) (argmax of the K scores picks the
action, the rest are its parameters; :func:`bounded_ddpg.envs.factory.make_env`), for any Box learner
(CleanRL, SB3, ...). All are registered on import, idempotently. Their time limits (200 / 100 agent
steps) live inside the environments, so ``gymnasium.make`` adds no TimeLimit of its own.

gym-hybrid's tasks: ``bounded_ddpg/Moving-v0`` and ``bounded_ddpg/Sliding-v0`` (a shared-parameter
``Tuple(Discrete(3), Box(2))`` action, :mod:`bounded_ddpg.envs.gym_hybrid`); HyAR's: ``HardGoal-v0``,
``CatchPoint-v0``, ``HardMove-v0`` (:mod:`bounded_ddpg.envs.hard_goal`, :mod:`bounded_ddpg.envs.mpe_tasks`).
Their flat views (``MovingFlat-v0``, ``SlidingFlat-v0``, ``HardGoalFlat-v0``, ``CatchPointFlat-v0``,
``HardMoveFlat-v0``) are, like Platform's and Goal's, what ``make_env`` builds: the code path of anyone's own
hybrid environment (envs/spaces.py).

Gymnasium 1.x has no plugin entry points (its ``gymnasium.envs`` entry-point loader was removed in 1.0),
so in a fresh interpreter name the module in the id and gymnasium imports it:
``gymnasium.make("bounded_ddpg:bounded_ddpg/PlatformFlat-v0")``; after ``import bounded_ddpg`` the plain id
works (docs/extending.md, "The environments from any gymnasium learner").
"""

from __future__ import annotations

import gymnasium as gym

PLATFORM_ID = "bounded_ddpg/Platform-v0"
GOAL_ID = "bounded_ddpg/Goal-v0"
GOALXY_ID = "bounded_ddpg/GoalXY-v0"
GOAL_IDS = (GOAL_ID, GOALXY_ID)
PLATFORM_FLAT_ID = "bounded_ddpg/PlatformFlat-v0"
GOAL_FLAT_ID = "bounded_ddpg/GoalFlat-v0"
# gym-hybrid (thomashirtz/gym-hybrid): Moving and Sliding, shared-parameter layout (envs/gym_hybrid.py)
MOVING_ID = "bounded_ddpg/Moving-v0"
SLIDING_ID = "bounded_ddpg/Sliding-v0"
MOVING_FLAT_ID = "bounded_ddpg/MovingFlat-v0"
SLIDING_FLAT_ID = "bounded_ddpg/SlidingFlat-v0"
GYM_HYBRID_SPECS: dict[str, tuple[str, dict[str, str]]] = {
    MOVING_ID: ("bounded_ddpg.envs.gym_hybrid:MovingEnv", {}),
    SLIDING_ID: ("bounded_ddpg.envs.gym_hybrid:SlidingEnv", {}),
    MOVING_FLAT_ID: ("bounded_ddpg.envs.factory:make_env", {"env_id": MOVING_ID}),
    SLIDING_FLAT_ID: ("bounded_ddpg.envs.factory:make_env", {"env_id": SLIDING_ID}),
}
# HyAR's tasks (Li et al., ICLR 2022): envs/hard_goal.py, envs/mpe_tasks.py; shared-parameter action layout
HARD_GOAL_ID = "bounded_ddpg/HardGoal-v0"
CATCH_POINT_ID = "bounded_ddpg/CatchPoint-v0"
HARD_MOVE_ID = "bounded_ddpg/HardMove-v0"
HYAR_IDS = (HARD_GOAL_ID, CATCH_POINT_ID, HARD_MOVE_ID)
HYAR_FLAT_IDS = {
    "bounded_ddpg/HardGoalFlat-v0": HARD_GOAL_ID,
    "bounded_ddpg/CatchPointFlat-v0": CATCH_POINT_ID,
    "bounded_ddpg/HardMoveFlat-v0": HARD_MOVE_ID,
}


def register_envs() -> None:
    """Register every native environment and flat-Box view with gymnasium unless already registered."""
    specs: dict[str, tuple[str, dict[str, str]]] = {
        PLATFORM_ID: ("bounded_ddpg.envs.platform_env:PlatformEnv", {}),
        GOAL_ID: ("bounded_ddpg.envs.goal_env:GoalEnv", {}),
        GOALXY_ID: ("bounded_ddpg.envs.goal_env:GoalXYEnv", {}),
        # the flat views are what make_env builds (the env wrapped in FlatParameterisedAction)
        PLATFORM_FLAT_ID: ("bounded_ddpg.envs.factory:make_env", {"env_id": PLATFORM_ID}),
        GOAL_FLAT_ID: ("bounded_ddpg.envs.factory:make_env", {"env_id": GOAL_ID}),
        **GYM_HYBRID_SPECS,
    }
    for env_id, (entry_point, kwargs) in specs.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry_point, kwargs=kwargs)
    _register_hyar()


def _register_hyar() -> None:
    """HyAR's Hard Goal, Catch Point, Hard Move (``n_actuators`` keyword) and their flat-Box views."""
    hyar: dict[str, tuple[str, dict[str, str]]] = {
        HARD_GOAL_ID: ("bounded_ddpg.envs.hard_goal:HardGoalEnv", {}),
        CATCH_POINT_ID: ("bounded_ddpg.envs.mpe_tasks:CatchPointEnv", {}),
        HARD_MOVE_ID: ("bounded_ddpg.envs.mpe_tasks:HardMoveEnv", {}),
    }
    for flat_id, env_id in HYAR_FLAT_IDS.items():
        hyar[flat_id] = ("bounded_ddpg.envs.factory:make_env", {"env_id": env_id})
    for env_id, (entry_point, kwargs) in hyar.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry_point, kwargs=kwargs)


register_envs()

__all__ = [
    "CATCH_POINT_ID",
    "GOALXY_ID",
    "GOAL_FLAT_ID",
    "GOAL_ID",
    "GOAL_IDS",
    "HARD_GOAL_ID",
    "HARD_MOVE_ID",
    "HYAR_FLAT_IDS",
    "HYAR_IDS",
    "MOVING_FLAT_ID",
    "MOVING_ID",
    "PLATFORM_FLAT_ID",
    "PLATFORM_ID",
    "SLIDING_FLAT_ID",
    "SLIDING_ID",
    "register_envs",
]
