"""One door to every environment the toolkit trains on: :func:`make_env`, for any registered gymnasium id.

An id is anything ``gymnasium.make`` takes: a registered id (``InvertedPendulum-v5``), gymnasium's
``module:Id`` form, which imports your module first so that it registers its ids (``mylab.envs:Reach-v0``),
or the short names ``Platform``, ``Goal``, ``GoalXY`` of the native tasks. The environment comes back as
the agents see it (envs/spaces.py): a Box action as it is (flattened when it has several axes), a hybrid
action (either layout) wrapped in :class:`~bounded_ddpg.envs.wrappers.FlatParameterisedAction`, Tuple /
Dict / multi-axis observations flattened (gymnasium's FlattenObservation). What no agent can learn on
raises :class:`~bounded_ddpg.envs.spaces.SpaceError`; an unknown id (listing the closest registered ones),
a module that fails to import (with its error) or a missing extra (naming the pip extra) raise
:class:`EnvError`. MuJoCo tasks get their ``MUJOCO_LOG.TXT`` redirected out of the working directory
(MuJoCo's default log handler writes that file into the current directory on every warning).
"""

from __future__ import annotations

import difflib
import importlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
from gymnasium.wrappers import FlattenObservation

from bounded_ddpg.envs import GOAL_ID, GOALXY_ID, PLATFORM_ID
from bounded_ddpg.envs.spaces import EnvError, HybridLayout, action_layout, observation_kind
from bounded_ddpg.envs.wrappers import FlatBoxAction, FlatParameterisedAction

SHORT_NAMES = {"Platform": PLATFORM_ID, "Goal": GOAL_ID, "GoalXY": GOALXY_ID}
MUJOCO_LOG_ENV = "BOUNDED_DDPG_MUJOCO_LOG"  # overrides where MuJoCo's log file goes


def canonical_id(env_id: str) -> str:
    """The registered id ``env_id`` names (short names too; ``module:Id`` imports the module first).

    EnvError: a module that fails to import (its error shown), or an id gymnasium does not know (the
    closest registered ids listed).
    """
    env_id = SHORT_NAMES.get(env_id, env_id)
    module, _, name = env_id.rpartition(":")
    if module:
        try:
            importlib.import_module(module)
        except Exception as e:  # the user's module: say what broke, keep the cause
            raise EnvError(
                f"env.id={env_id!r}: importing {module!r} raised {type(e).__name__}: {e} (the module must be "
                f"importable from the working directory, PYTHONPATH or an installed package; python -c "
                f"'import {module}' shows the traceback)"
            ) from e
    if name in gym.registry:
        return name
    known = [*SHORT_NAMES, *gym.registry]
    close = difflib.get_close_matches(name, known, n=6, cutoff=0.5) or sorted(SHORT_NAMES)
    where = f"importing {module!r} registered no id {name!r}" if module else f"gymnasium has no id {name!r}"
    raise EnvError(
        f"unknown environment id {env_id!r}; known ids: {', '.join(close)} are the closest of the "
        f"{len(known)} registered ({where}; your own module's ids: env.id=<module>:<Id>)"
    )


def required_extra(env_id: str) -> str | None:
    """The gymnasium extra a registered id needs (its entry point's package: mujoco, box2d, ...), or None."""
    entry = gym.spec(env_id).entry_point
    parts = entry.split(".") if isinstance(entry, str) else []
    if len(parts) > 2 and parts[:2] == ["gymnasium", "envs"] and parts[2] in ("mujoco", "box2d"):
        return parts[2]
    return None


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
    env_id: str,
    *,
    seed: int | None = None,
    render_mode: str | None = None,
    param_map: Sequence[Sequence[int]] | None = None,
    **kwargs: Any,
) -> gym.Env[Any, Any]:
    """The environment ``env_id`` names, as the agents see it (module docstring).

    ``seed``: used by the first ``reset()`` that names no seed, and seeds the action space. ``param_map``:
    which parameters each discrete action uses in the shared hybrid layout (None: the environment's own
    ``param_map`` attribute if it has one, else every parameter for every action). Extra keyword arguments
    go to ``gymnasium.make``.
    """
    cid = canonical_id(env_id)
    extra = required_extra(cid)
    hint = f"pip install 'gymnasium[{extra}]' (or bounded_ddpg's extra: pip install 'bounded_ddpg[{extra}]')"
    if extra == "mujoco":
        try:
            redirect_mujoco_log()
        except ImportError as exc:
            raise EnvError(f"{cid} needs MuJoCo: {hint}") from exc
    if render_mode is not None:  # passed only when asked: an environment may not take the keyword
        kwargs["render_mode"] = render_mode
    try:
        env: gym.Env[Any, Any] = gym.make(cid, **kwargs)
    except (gym.error.DependencyNotInstalled, ImportError) as exc:
        raise EnvError(f"{cid} needs an extra: {hint} ({exc})") from exc
    except Exception as exc:  # the environment's own constructor refused (e.g. a wrong env.kwargs)
        raise EnvError(f"gymnasium.make({cid!r}, **{kwargs}) raised {type(exc).__name__}: {exc}") from exc
    if observation_kind(env.observation_space) == "flatten":
        env = FlattenObservation(env)
    layout = action_layout(env.action_space, param_map or getattr(env.unwrapped, "param_map", None))
    if isinstance(layout, HybridLayout):
        # seeding inside, so that n_discrete / param_map stay on the outermost wrapper
        return FlatParameterisedAction(env if seed is None else _SeedFirstReset(env, seed), param_map)
    if len(layout.shape) != 1:
        env = FlatBoxAction(env)
    return env if seed is None else _SeedFirstReset(env, seed)
