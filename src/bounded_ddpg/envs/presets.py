"""Environment presets (the ``env`` group) and the checks of a config's ``env`` section.

A preset is a file of the ``env`` config group: the packaged ones (Platform, Goal, Pendulum, ...), a
researcher's own ``conf/env/<name>.yaml``, and two generic ones, one per action family:

* ``env=box``: Box actions; selects ``agent=ddpg_cleanrl`` (CleanRL's ddpg_continuous_action.py values;
  ``agent=td3`` gives CleanRL's td3_continuous_action.py values) and a 100,000-step budget;
* ``env=hybrid``: hybrid actions (either layout); selects ``agent=pa_ddpg_hybrid`` (MP-DQN's released
  PA-DDPG Platform values without Platform's initial parameters; ``agent=pdqn`` / ``agent=mpdqn`` take
  MP-DQN's released P-DQN Platform values the same way) and Platform's budget.

``python -m bounded_ddpg.run env.id=<id>`` without ``env=``: the preset whose ``env.id`` is that id if one
exists (packaged or yours), else the generic preset of the id's action family, named after the id
(``mylab.envs:Reach-v0`` -> ``Reach``); the log says which in one line (:func:`resolve`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
from omegaconf import DictConfig, OmegaConf

from bounded_ddpg.envs.factory import make_env
from bounded_ddpg.envs.spaces import HybridLayout, action_layout

log = logging.getLogger("bounded_ddpg")
GENERIC = {"box": "box", "hybrid": "hybrid"}  # action family -> its generic preset (conf/env/<name>.yaml)


def default_name(env_id: str) -> str:
    """A run-directory name for an id: module, namespace, version dropped (mylab.envs:Reach-v0 -> Reach)."""
    name = env_id.rpartition(":")[2].rpartition("/")[2]
    return re.sub(r"-v\d+$", "", name) or name


def build(env_cfg: Any, **kwargs: Any) -> gym.Env[Any, Any]:
    """The environment an ``env`` config section describes (id, kwargs, param_map), as the agents see it."""
    env_kwargs = _plain(env_cfg.get("kwargs")) or {}
    param_map = _plain(env_cfg.get("param_map"))
    return make_env(env_cfg.id, param_map=param_map, **{str(k): v for k, v in env_kwargs.items()}, **kwargs)


def _plain(value: Any) -> Any:
    return OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value


def family(env: gym.Env[Any, Any]) -> str:
    """'hybrid' for a flat-wrapped hybrid action (it has ``n_discrete``), else 'box'."""
    return "hybrid" if getattr(env, "n_discrete", 0) else "box"


def _preset_with_id(env_id: str) -> str | None:
    """The env-group option whose env.id is ``env_id`` (packaged first, then the user's), or None."""
    from hydra.core.global_hydra import GlobalHydra

    loader: Any = GlobalHydra.instance().config_loader()
    repository = getattr(loader, "repository", None)
    if repository is None:
        return None
    for option in loader.get_group_options("env"):
        try:
            found = repository.load_config(f"env/{option}")
        except Exception:  # a broken file is reported when it is selected, not while searching
            continue
        env = found.config.get("env") if found is not None else None
        if env is not None and env.get("id") == env_id and option not in GENERIC.values():
            return str(option)
    return None


def resolve(cfg: DictConfig, overrides: Sequence[str]) -> tuple[DictConfig, str | None]:
    """``cfg`` recomposed with the preset for its ``env.id`` when the command line set the id but chose no
    preset (module docstring), with the log line that says which; otherwise ``cfg`` itself and None.
    EnvError / SpaceError: the id cannot be built or learnt on."""
    from hydra import compose
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig

    keys = {o.split("=", 1)[0].lstrip("+~").split("@", 1)[0]: o for o in overrides}
    if "env.id" in keys and "env" not in keys and GlobalHydra.instance().is_initialized():
        env_id = str(cfg.env.id)
        preset, extra = _preset_with_id(env_id), []
        note = f"env.id={env_id}: the preset env={preset}"
        if preset is None:
            probe = build(cfg.env)
            preset = GENERIC[family(probe)]
            probe.close()
            note = f"env.id={env_id} has no preset: the generic {preset} defaults"
            note += f" (env={preset}, docs/extending.md)"
            extra = [] if "env.name" in keys else [f"env.name={default_name(env_id)}"]
        names, config_name = [f"env={preset}", *overrides, *extra], "config"
        if HydraConfig.initialized():
            hc = HydraConfig.get()
            names += [o for o in hc.overrides.hydra if o.startswith("hydra.searchpath=")]
            config_name = hc.job.config_name or config_name
        return compose(config_name=config_name, overrides=names), note
    return cfg, None


def check(cfg: DictConfig) -> tuple[gym.Env[Any, Any], list[str]]:
    """Build the environment ``cfg.env`` describes and check the env section against it.

    Returns (the built environment, problems): a param_map on the shared layout missing (a warning is
    logged: MP-DQN's multi-pass then reduces to P-DQN), ``env.parameterised`` contradicting the action
    space. Raises EnvError / SpaceError for what cannot be built or learnt on.
    """
    env = build(cfg.env)
    problems: list[str] = []
    hybrid = family(env) == "hybrid"
    layout = getattr(env, "layout", None)
    declared = cfg.env.get("param_map") is not None or getattr(env.unwrapped, "param_map", None) is not None
    if isinstance(layout, HybridLayout) and layout.boxes is None and not declared:
        log.warning(
            "%s: shared parameters Box%s and no env.param_map: every action uses every parameter, so "
            "MP-DQN's multi-pass computes what P-DQN computes (set env.param_map, e.g. [[0], [1], []])",
            cfg.env.id, list(layout.shared_shape or ()),
        )  # fmt: skip
    if cfg.env.parameterised is None:
        cfg.env.parameterised = hybrid
    elif bool(cfg.env.parameterised) != hybrid:
        problems.append(
            f"env.parameterised={str(bool(cfg.env.parameterised)).lower()} is invalid: {cfg.env.id}'s "
            f"action space is {'hybrid' if hybrid else 'a Box'}; valid: {str(hybrid).lower()}, or null (read "
            "from the action space)"
        )
    key = cfg.env.get("success_key")
    if key is not None and (not isinstance(key, str) or not key):
        problems.append(f"env.success_key={key!r} is invalid; valid: null, or the name of an info key")
    return env, problems


__all__ = ["GENERIC", "action_layout", "build", "check", "default_name", "family", "resolve"]
