"""Hard Goal (HyAR; Li et al., ICLR 2022): Goal-v0 behind HyAR's 11-action remap, as its run scripts run it.

HyAR has no Hard Goal environment class: every Hard Goal run script
(github.com/TJU-DRL-LAB/self-supervised-rl, ``RL_with_Action_Representation/HyAR/``, e.g.
``Raw_RL/main_hard_goal_pdqn.py`` 21-96 and ``HyAR_RL/main_embedding_hard_goal_td3.py`` 41-102)
builds
gym-goal's ``Goal-v0`` behind ``GoalObservationWrapper`` -> ``GoalFlattenedActionWrapper`` ->
``ScaledParameterisedActionWrapper`` -> ``ScaledStateWrapper`` (``common/``) and sends every agent action
through ``pad_action``. :class:`HardGoalEnv` carries all of it over the project's Goal-v0
(:class:`~bounded_ddpg.envs.goal_env.GoalEnv`, the reference's physics and quirks), so that
``gymnasium.make("bounded_ddpg/HardGoal-v0")`` is the published task.

Action: ``Tuple(Discrete(11), Box(-1, 1, (12,)))``, the shared layout
(:mod:`~bounded_ddpg.envs.spaces`); ``param_map``: k = 0 reads p[0:2], k >= 1 reads p[k + 1].

- k = 0, kick-to: x = 40 (p0 + 1) / 2 (in [0, 40]), y = 30 (p1 + 1) / 2 - 15; Goal-v0 aims at (x, x), so
  p1 has no effect.
- k = 1..5 and k = 6..10 (Goal's shoot-goal, twice: k and k + 5 are the same action): the parameter is
  squeezed into bin b = (k - 1) mod 5 of [-1, 1], ``SHOT_BINS``, by v = p (lo - hi) / 2 + (lo + hi) / 2,
  which REVERSES the bin (p = +1 gives lo, p = -1 gives hi), then scaled to y = 14.02 (v + 1) / 2 - 7.01
  (float32 bounds, as the reference's Box holds them), i.e. y = 7.01 v. Bin 2 is [0.2, 0.2]: k = 3 and
  k = 8 always shoot at y = 1.402, and no in-range parameter aims into (-1.402, 1.402). Parameters are not
  clipped before the map (out-of-range p lands outside its bin); Goal-v0 clips the final target.

Observation: the 17 numbers HyAR's agents see (Goal's 14, the unit vector keeper -> ball, the keeper's
projection on the goal line clipped to [-7.01, 14.02]), rescaled by the reference's float32 bounds and
not clipped (:class:`~bounded_ddpg.envs.wrappers.ObsMap`); float32. The reference's second observation,
the sub-step count, is ``info["substeps"]``.

Episode: +50 for a goal; minus the ball's distance to the mouth when the keeper catches, the ball leaves
the field, or at the 100th agent step, which takes no action. All three end the episode as
``terminated`` (HyAR's learners store the 100th-step end as terminal too); nothing is ``truncated``.
``info["success"]``: the episode ended in a goal (HyAR's success: episode return == 50).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from bounded_ddpg.envs.actions import shared_space, validate_shared_action
from bounded_ddpg.envs.goal_env import KICK_TO, SHOOT, SHOOT2, GoalEnv
from bounded_ddpg.envs.goal_physics import GOAL_HALF, KICK_X, KICK_Y
from bounded_ddpg.envs.wrappers import ObsMap

# pad_action's c_rate (main_hard_goal_pdqn.py:37; the 10-bin list on 35-36 is overwritten, dead code)
SHOT_BINS = ((-1.0, -0.6), (-0.6, -0.2), (0.2, 0.2), (0.2, 0.6), (0.6, 1.0))
N_ACTIONS, N_PARAMS = 11, 12
# ScaledParameterisedActionWrapper: range * (p + 1) / 2 + low; range and low are float32 there
_F32 = np.float32
KICK_RANGE = (float(_F32(KICK_X[1]) - _F32(KICK_X[0])), float(_F32(KICK_Y[1]) - _F32(KICK_Y[0])))
KICK_LOW = (float(_F32(KICK_X[0])), float(_F32(KICK_Y[0])))
SHOT_RANGE = float(_F32(GOAL_HALF) - _F32(-GOAL_HALF))
SHOT_LOW = float(_F32(-GOAL_HALF))


def shot_value(k: int, p: float) -> float:
    """true_action / count_boundary: the scaled shot parameter of action k (1..10) from its raw p."""
    lo, hi = SHOT_BINS[(k - 1) % 5]
    median = (lo - hi) / 2
    offset = lo - 1 * median
    return p * median + offset


def goal_action(k: int, p: np.ndarray) -> tuple[int, tuple[np.ndarray, ...]]:
    """pad_action then ScaledParameterisedActionWrapper: HyAR's (k, 12 params) -> a Goal-v0 action."""
    kick, shot1, shot2 = np.zeros(2), np.zeros(1), np.zeros(1)
    if k == 0:
        kick[0] = KICK_RANGE[0] * (p[0] + 1) / 2.0 + KICK_LOW[0]
        kick[1] = KICK_RANGE[1] * (p[1] + 1) / 2.0 + KICK_LOW[1]
        return KICK_TO, (kick, shot1, shot2)
    y = SHOT_RANGE * (shot_value(k, float(p[k + 1])) + 1) / 2.0 + SHOT_LOW
    if k <= 5:
        shot1[0] = y
        return SHOOT, (kick, shot1, shot2)
    shot2[0] = y
    return SHOOT2, (kick, shot1, shot2)


class HardGoalEnv(gym.Env[np.ndarray, Any]):
    """``bounded_ddpg/HardGoal-v0``: Goal-v0 with HyAR's 11 actions (one kick-to, ten binned shots).

    ``noise=False`` turns Goal's random perturbations off (tests); ``reset(options={"player_y": y})``
    starts the player at (0, y), as Goal-v0 does.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}  # noqa: RUF012
    param_map: list[list[int]] = [[0, 1], *[[k + 1] for k in range(1, N_ACTIONS)]]  # noqa: RUF012

    def __init__(self, render_mode: str | None = None, noise: bool = True) -> None:
        self.goal = GoalEnv(render_mode=render_mode, noise=noise)
        self.render_mode = render_mode
        assert isinstance(self.goal.observation_space, spaces.Box)
        self.obs_map = ObsMap(self.goal.observation_space, goal=True)
        # already the learners' inputs: the flat view passes them through (envs/wrappers.py)
        self.observation_space = self.learner_observation_space = self.obs_map.space
        self.action_space = self.shared_space = shared_space(N_ACTIONS, N_PARAMS)

    def _obs(self) -> np.ndarray:
        # from the float64 state, as the reference's wrappers compute it (then float32)
        return self.obs_map(np.array(self.goal.state.as_list(), dtype=np.float64))

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.goal._np_random = self.np_random  # one generator for the task, the inner env draws from it
        self.goal.reset(options=options)
        return self._obs(), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        k, p = validate_shared_action(action, self.shared_space)
        _, reward, terminated, truncated, info = self.goal.step(goal_action(k, p))
        info = {**info, "success": bool(info["goal"]), "time_limit": bool(truncated)}
        return self._obs(), float(reward), bool(terminated or truncated), False, info

    def render(self) -> np.ndarray | None:
        """Goal-v0's picture of the pitch (render_mode 'rgb_array')."""
        return self.goal.render()
