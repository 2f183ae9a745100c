"""Hydra search-path plugin: a ``conf/`` in the working directory, searched after bounded_ddpg's configs.

Only for apps whose primary config is bounded_ddpg's (``python -m bounded_ddpg.run``, or the compose API
with ``initialize_config_module("bounded_ddpg.conf")``); other Hydra apps in the same environment are left
alone. The directory is appended after the packaged configs, so ``conf/transform/mine.yaml``,
``conf/env/...`` or ``conf/experiment/...`` there become options of their groups, and a packaged option
of the same name wins over it. Directories named with Hydra's own ``hydra.searchpath=[...]`` are appended
after this one. ``python -m bounded_ddpg.run --info searchpath`` shows the result. Nothing happens when the
working directory has no ``conf/`` (so no "not available" warning either).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from hydra.core.config_search_path import ConfigSearchPath
from hydra.plugins.search_path_plugin import SearchPathPlugin

PROVIDER = "bounded_ddpg (working directory)"


def _package_conf() -> Path | None:
    """bounded_ddpg's packaged config directory, found without importing the package."""
    spec = importlib.util.find_spec("bounded_ddpg")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).resolve() / "conf"


def _is_bounded_ddpg(path: str, conf: Path | None) -> bool:
    """Whether a search-path entry (pkg://..., file://... or a bare directory) is bounded_ddpg's conf."""
    if path in ("pkg://bounded_ddpg.conf", "pkg://bounded_ddpg/conf"):
        return True
    if conf is None or "://" in path.removeprefix("file://"):
        return False
    return Path(path.removeprefix("file://")).resolve() == conf


class BoundedDDPGWorkingDirConf(SearchPathPlugin):
    def manipulate_search_path(self, search_path: ConfigSearchPath) -> None:
        conf = _package_conf()
        if not any(e.provider == "main" and _is_bounded_ddpg(e.path, conf) for e in search_path.get_path()):
            return
        user = Path.cwd() / "conf"
        if user.is_dir() and user.resolve() != conf:
            search_path.append(provider=PROVIDER, path=f"file://{user.resolve()}")
