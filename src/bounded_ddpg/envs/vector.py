"""Many copies of Platform, Goal or GoalXY behind gymnasium's vector API, with flat-Box actions.

:class:`PlatformVectorEnv` steps N copies at once in numpy (:mod:`bounded_ddpg.envs.platform_batch`);
:class:`GoalVectorEnv` loops over N single Goal (or GoalXY) copies (Goal's macro actions branch too much
per copy to vectorise cheaply). Both: observation and action spaces as :class:`~bounded_ddpg.envs.wrappers.
FlatParameterisedAction`, autoreset mode SAME_STEP (``info["final_obs"]`` / ``info["_final_obs"]`` and
``info["final_info"]`` as gymnasium's SyncVectorEnv), and one generator per copy seeded like a single
env, so copy i reproduces ``make_env(env_id)`` reset with the same seed, episode after episode.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from bounded_ddpg.envs import GOAL_IDS, GOALXY_ID, PLATFORM_ID
from bounded_ddpg.envs.actions import validate_flat
from bounded_ddpg.envs.factory import canonical_id, make_env
from bounded_ddpg.envs.goal_env import GoalEnv, GoalXYEnv
from bounded_ddpg.envs.platform_batch import CAUSES, PlatformBatch
from bounded_ddpg.envs.platform_env import PlatformEnv
from bounded_ddpg.envs.wrappers import FlatParameterisedAction


def _seeds(seed: int | list[int | None] | None, n: int) -> list[int | None]:
    if seed is None or isinstance(seed, int):
        return [None if seed is None else seed + i for i in range(n)]
    if len(seed) != n:
        raise ValueError(f"{len(seed)} seeds for {n} copies")
    return list(seed)


class _FlatVectorEnv(VectorEnv[np.ndarray, np.ndarray, np.ndarray]):
    """Shared spaces, seeding and SAME_STEP bookkeeping; subclasses implement the copies."""

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}  # noqa: RUF012

    def __init__(self, template: gym.Env[Any, Any], num_envs: int) -> None:
        flat = FlatParameterisedAction(template)
        self.num_envs = num_envs
        self.n_discrete, self.param_slices = flat.n_discrete, flat.param_slices
        self.param_low, self.param_high, self.obs_map = flat.param_low, flat.param_high, flat.obs_map
        self.dim = flat.dim
        self.single_action_space = flat.action_space
        self.single_observation_space = flat.observation_space
        self.action_space = batch_space(self.single_action_space, num_envs)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.rngs = [seeding.np_random(None)[0] for _ in range(num_envs)]
        self.pending_seed: list[int | None] | None = None  # used by the first reset() naming no seed

    def _take_seed(self, seed: int | list[int | None] | None) -> int | list[int | None] | None:
        if seed is None:
            seed = self.pending_seed
        self.pending_seed = None
        return seed

    def _reseed(self, seed: int | list[int | None] | None) -> list[int]:
        """Reseed the copies that get a seed; return their indices (their noise buffers must be dropped)."""
        fresh = []
        for i, s in enumerate(_seeds(seed, self.num_envs)):
            if s is not None:
                self.rngs[i] = seeding.np_random(s)[0]
                fresh.append(i)
        return fresh

    def _flat(self, actions: Any) -> np.ndarray:
        return validate_flat(actions, self.dim, self.action_space, batch=self.num_envs)

    def _finish(
        self, raw: np.ndarray, reward: np.ndarray, term: np.ndarray, trunc: np.ndarray, info: dict[str, Any]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Map observations, reset finished copies in place (SAME_STEP) and fill the final_* entries."""
        obs = self.obs_map(raw)
        done = term | trunc
        if done.any():
            final_obs = np.empty(self.num_envs, dtype=object)
            final_info = np.empty(self.num_envs, dtype=object)
            ids = np.flatnonzero(done)
            for i in ids.tolist():
                final_obs[i] = obs[i].copy()
                final_info[i] = {key: val[i] for key, val in info.items() if not key.startswith("_")}
            obs[ids] = self.obs_map(self._reset_copies(ids))
            info.update(
                final_obs=final_obs, _final_obs=done.copy(), final_info=final_info, _final_info=done.copy()
            )
        return obs, reward, term, trunc, info

    def _reset_copies(self, ids: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class PlatformVectorEnv(_FlatVectorEnv):
    """N Platform copies stepped together in numpy. info: ``substeps`` (ints), ``cause`` (objects)."""

    def __init__(self, num_envs: int) -> None:
        super().__init__(PlatformEnv(), num_envs)
        self.batch = PlatformBatch(num_envs)

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        for i in self._reseed(self._take_seed(seed)):
            self.batch.noise.clear(i)
        self.batch.reset(np.arange(self.num_envs))
        return self.obs_map(self.batch.obs()), {}

    def _reset_copies(self, ids: np.ndarray) -> np.ndarray:
        self.batch.reset(ids)
        return self.batch.obs()[ids]

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        flat = self._flat(actions)
        k = np.argmax(flat[:, : self.n_discrete], axis=1)
        t = np.clip(flat[np.arange(self.num_envs), self.n_discrete + k], -1.0, 1.0)
        lo, hi = self.param_low[k], self.param_high[k]
        param = np.clip((lo * (1.0 - t) + hi * (1.0 + t)) / 2.0, lo, hi)
        reward, term, trunc, n, cause = self.batch.macro_step(k, param, self.rngs)
        info = {
            "substeps": n,
            "_substeps": np.ones(self.num_envs, bool),
            "cause": np.array([CAUSES[c] for c in cause.tolist()], dtype=object),
            "_cause": np.ones(self.num_envs, bool),
        }
        return self._finish(self.batch.obs(), reward, term, trunc, info)


class GoalVectorEnv(_FlatVectorEnv):
    """N Goal copies (``xy=True``: GoalXY), a batched Python loop over single copies.

    info: ``substeps``, ``goal`` arrays.
    """

    def __init__(self, num_envs: int, xy: bool = False) -> None:
        kind = GoalXYEnv if xy else GoalEnv
        super().__init__(kind(), num_envs)
        self.copies = [FlatParameterisedAction(kind()) for _ in range(num_envs)]
        self.cores = [c.unwrapped for c in self.copies]

    def _raw_reset(self, i: int, seed: int | None) -> np.ndarray:
        core = self.cores[i]
        core.reset(seed=seed)
        return core._obs()  # type: ignore[attr-defined]

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        seeds = _seeds(self._take_seed(seed), self.num_envs)
        raw = np.stack([self._raw_reset(i, s) for i, s in enumerate(seeds)])
        self.rngs = [c.np_random for c in self.cores]
        return self.obs_map(raw), {}

    def _reset_copies(self, ids: np.ndarray) -> np.ndarray:
        return np.stack([self._raw_reset(i, None) for i in ids.tolist()])

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        flat = self._flat(actions)
        raw, reward = np.empty((self.num_envs, 14), np.float32), np.empty(self.num_envs)
        term, trunc = np.empty(self.num_envs, bool), np.empty(self.num_envs, bool)
        n, goal = np.empty(self.num_envs, np.int64), np.empty(self.num_envs, bool)
        for i, (copy, core) in enumerate(zip(self.copies, self.cores)):
            raw[i], reward[i], term[i], trunc[i], info_i = core.step(copy.action(flat[i]))
            n[i], goal[i] = info_i["substeps"], info_i["goal"]
        ones = np.ones(self.num_envs, bool)
        info = {"substeps": n, "_substeps": ones, "goal": goal, "_goal": ones.copy()}
        return self._finish(raw, reward, term, trunc, info)


def make_vector_env(env_id: str, num_envs: int, seeds: list[int] | None = None) -> VectorEnv[Any, Any, Any]:
    """Platform/Goal/GoalXY: the native vector envs; Box tasks: SyncVectorEnv (SAME_STEP) of :func:`make_env`.

    ``seeds`` (one per copy) are used by the first ``reset()`` that names no seed.
    """
    cid = canonical_id(env_id)
    if seeds is not None and len(seeds) != num_envs:
        raise ValueError(f"{len(seeds)} seeds for {num_envs} copies")
    if cid == PLATFORM_ID or cid in GOAL_IDS:
        venv: _FlatVectorEnv
        if cid == PLATFORM_ID:
            venv = PlatformVectorEnv(num_envs)
        else:
            venv = GoalVectorEnv(num_envs, xy=cid == GOALXY_ID)
        venv.pending_seed = None if seeds is None else list(seeds)
        return venv
    per_copy: list[int | None] = list(seeds) if seeds is not None else [None] * num_envs
    fns = [lambda s=s: make_env(cid, seed=s) for s in per_copy]
    return gym.vector.SyncVectorEnv(fns, autoreset_mode=AutoresetMode.SAME_STEP)
