"""The transforms a run's config names, as Specs: its ``transform`` node or its ``transforms`` list.

A string entry is a built-in's name or an option of the ``transform`` group (a file of a ``conf/transform/``
on Hydra's search path, composed as ``transform=<entry>`` would be); a mapping gives a name and parameters,
and ``_target_`` names a researcher's own class by its dotted path (imported here, with errors that say how
to make it importable). Every parameter is then checked against the class's signature by
``transforms.spec``. Kept apart from the schema (config.py) and from the transforms themselves
(transforms.py, which anyone's code imports without Hydra).
"""

from __future__ import annotations

import re
from typing import Any

from omegaconf import DictConfig, OmegaConf

from bounded_ddpg import transforms
from bounded_ddpg.config import ConfigError


def specs(cfg: DictConfig) -> list[transforms.Spec]:
    """One Spec per member transform: each entry of ``transforms``, or ``[transform]`` when it is null.

    A string entry is an option of the transform group: a built-in's name, else a file of a conf/transform/
    on Hydra's search path (composed as ``transform=<entry>`` would be, so it needs a running Hydra app or
    an initialised compose API). A mapping entry gives a name and parameters; without ``_target_`` and for
    a name that is not a built-in's, its parameters override that option's file. Raises ConfigError that
    lists every problem (unknown names, classes that are not transforms, unknown or mistyped parameters,
    two members with the same label or run directory).
    """
    found, errors = resolve(cfg)
    if errors:
        raise ConfigError.listing(errors)
    return found


def resolve(cfg: Any) -> tuple[list[transforms.Spec], list[str]]:
    """The Specs :func:`specs` returns and what it would refuse, one line each, for a caller that lists
    every problem of a config at once (run.check, beside the schema's and the agent's)."""
    errors: list[str] = []

    def one(where: str, entry: Any, compose_names: bool) -> transforms.Spec | None:
        try:
            return _spec_of(where, entry, compose_names)
        except (ConfigError, transforms.TransformError) as e:
            msg = str(e)  # a TransformError names the transform itself: "transform 'x' (...): ..."
            named = msg.startswith(where) or (where == "transform" and msg.startswith("transform "))
            errors.append(msg if named else f"{where}: {msg}")
            return None

    single = one("transform", cfg.transform, compose_names=False)
    if cfg.transforms is None:
        return ([single] if single else []), errors
    entries = list(cfg.transforms)
    if not entries:
        errors.append("transforms=[] must be a non-empty list (or null)")
    resolved = [one(f"transforms[{i}]", e, compose_names=True) for i, e in enumerate(entries)]
    found = [s for s in resolved if s is not None]
    labels, dirs = [s.label for s in found], [s.dir_name for s in found]
    if dupes := sorted({k for k in labels if labels.count(k) > 1}):
        errors.append(
            f"transforms: two members would be the same run: {', '.join(map(repr, dupes))} appears more "
            f"than once (members: {', '.join(labels)})"
        )
    elif dupes := sorted({k for k in dirs if dirs.count(k) > 1}):  # labels differ only in unsafe characters
        errors.append(
            f"transforms: two members would share the run directory {', '.join(map(repr, dupes))} "
            f"(members: {', '.join(labels)})"
        )
    return found, errors


def _spec_of(where: str, entry: Any, compose_names: bool) -> transforms.Spec:
    """The Spec that one transform node (the ``transform`` group's) or one ``transforms`` entry names.

    ``compose_names``: a name that is no built-in's may name a file of the transform group (list entries).
    """
    if isinstance(entry, DictConfig):
        if OmegaConf.is_missing(entry, "name"):
            raise ConfigError("'name' is missing: a transform's file sets `name: <its name>`")
        entry = OmegaConf.to_container(entry, resolve=True)
    if isinstance(entry, str):
        if entry in transforms.names() or not compose_names:
            return transforms.spec(entry)
        return _spec_of(where, _compose_transform_option(entry), compose_names=False)
    if not isinstance(entry, dict):
        raise ConfigError(
            f"{entry!r} is neither a transform's name (an option of the transform group) nor a mapping "
            "{name: ..., <parameter>: ...}"
        )
    node = {str(k): v for k, v in entry.items()}
    name, target = node.pop("name", None), node.pop("_target_", None)
    if not isinstance(name, str):
        raise ConfigError(f"'name' is missing or not a string in {entry!r}")
    if target is None and name not in transforms.names() and compose_names:
        base = _compose_transform_option(name)  # {name: mine, temperature: 2.0} overrides mine.yaml
        return _spec_of(where, {**base, **node, "name": name}, compose_names=False)
    if target is None:
        if name not in transforms.names():  # say which key holds the unknown name
            key = f"{where}.name" if isinstance(entry, dict) and where == "transform" else where
            try:
                transforms.spec(name)
            except transforms.TransformError as e:
                raise ConfigError(f"{key}={name!r}: {e}") from None
        return transforms.spec(name, node)
    return transforms.spec(name, node, cls=_locate(target), target=target)


def _locate(target: Any) -> Any:
    """The object a dotted ``_target_`` path names (module.Class, or module.Outer.Inner)."""
    import importlib
    import os

    if not isinstance(target, str) or not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", target):
        raise ConfigError(
            f"_target_ {target!r} must be a dotted path module.Class (e.g. mylab.transforms.Soft)"
        )
    parts = target.split(".")
    for n in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:n])
        try:
            obj: Any = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name is not None and (module_name == e.name or module_name.startswith(e.name + ".")):
                if n > 1:
                    continue  # maybe a class inside a shorter module path
                raise ConfigError(
                    f"_target_ {target!r}: cannot import {module_name!r} ({e}). The module must be "
                    f"importable: `python -m bounded_ddpg.run` puts the working directory ({os.getcwd()}) "
                    "on sys.path; "
                    "otherwise set PYTHONPATH or pip install -e your package (docs/extending.md)"
                ) from e
            raise ConfigError(f"_target_ {target!r}: importing {module_name!r} raised {e!r}") from e
        except Exception as e:  # the user's module itself is broken: say where, keep the cause
            raise ConfigError(
                f"_target_ {target!r}: importing {module_name!r} raised {type(e).__name__}: {e} "
                f"(python -c 'import {module_name}' shows the traceback)"
            ) from e
        for attr in parts[n:]:
            if not hasattr(obj, attr):
                found = sorted(
                    k for k, v in vars(obj).items()
                    if isinstance(v, type) and issubclass(v, transforms.ActionGradientTransform)
                    and v not in (transforms.ActionGradientTransform, transforms.PerMember)
                )  # fmt: skip
                have = f"; transforms there: {', '.join(found)}" if found else ""
                raise ConfigError(f"_target_ {target!r}: {obj.__name__!r} has no attribute {attr!r}{have}")
            obj = getattr(obj, attr)
        return obj
    raise AssertionError("unreachable")  # pragma: no cover


def _compose_transform_option(option: str) -> dict[str, Any]:
    """The ``transform`` node that ``transform=<option>`` composes (packaged configs, then the user's)."""
    from hydra import compose
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig
    from hydra.errors import MissingConfigException

    builtin = ", ".join(sorted(transforms.names()))
    if not GlobalHydra.instance().is_initialized():
        raise ConfigError(
            f"unknown transform {option!r}; built-in transforms: {builtin}. A file of the transform group "
            "(conf/transform/<name>.yaml) is found through Hydra's search path: run python -m "
            "bounded_ddpg.run, or compose inside hydra.initialize*(...)"
        )
    overrides, config_name = [f"transform={option}"], "config"
    if HydraConfig.initialized():  # inside the app: the same search path as the command line's
        hc = HydraConfig.get()
        overrides += [o for o in hc.overrides.hydra if o.startswith("hydra.searchpath=")]
        config_name = hc.job.config_name or config_name
    try:
        composed = compose(config_name=config_name, overrides=overrides)
    except MissingConfigException:
        options = GlobalHydra.instance().config_loader().get_group_options("transform")
        raise ConfigError(
            f"unknown transform {option!r}; options of the transform group: {', '.join(options)} "
            "(built-ins, then conf/transform/*.yaml on Hydra's search path)"
        ) from None
    except Exception as e:  # a broken file: Hydra's message names it
        raise ConfigError(f"composing transform={option} failed: {e}") from e
    node = OmegaConf.to_container(composed.transform, resolve=True)
    assert isinstance(node, dict)
    return {str(k): v for k, v in node.items() if not (k == "_target_" and v is None)}
