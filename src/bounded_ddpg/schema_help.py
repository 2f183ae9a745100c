"""`python -m bounded_ddpg.run --help`, generated from the schema: every key with its type, default, valid
values and the comment that documents it in config.py, and the config groups a user chooses from.

Two OmegaConf resolvers feed the help template (conf/hydra/help/bounded_ddpg.yaml):
``${bounded_ddpg.groups:}`` and ``${bounded_ddpg.keys:}``.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import io
import textwrap
import tokenize
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from bounded_ddpg import config

HIDDEN_GROUPS = ("protocol",)  # composed by experiment=..., never chosen directly
HYDRA_GROUPS = ("hydra/launcher",)  # the Hydra groups docs/running.md documents
WIDTH = 110


def field_docs() -> dict[str, str]:
    """Dotted key -> its comment in config.py (the lines just above the field, then the one beside it)."""
    source = inspect.getsource(config)
    comments: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string.lstrip("#").strip()
    lines = source.splitlines()
    classes = {n.name: n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ClassDef)}
    docs: dict[str, str] = {}
    for prefix, cls in config.SCHEMA_TYPES.items():
        node = classes.get(cls.__name__)
        if node is None:
            continue
        for item in node.body:
            if not isinstance(item, ast.AnnAssign) or not isinstance(item.target, ast.Name):
                continue
            above: list[str] = []
            line = item.lineno - 1
            while line in comments and lines[line - 1].lstrip().startswith("#"):
                above.insert(0, comments[line])
                line -= 1
            end = (item.end_lineno or item.lineno) + 1
            beside = [comments[n] for n in range(item.lineno, end) if n in comments]
            key = f"{prefix}.{item.target.id}" if prefix else item.target.id
            docs[key] = " ".join(above + beside)
    return docs


def _default(f: dataclasses.Field[Any]) -> str:
    if f.default is not dataclasses.MISSING:
        value: Any = f.default
    elif f.default_factory is not dataclasses.MISSING:
        value = f.default_factory()
    else:
        return ""
    if value == "???":
        return "set by its group"
    return "null" if value is None else str(value).lower() if isinstance(value, bool) else repr(value)


def keys_text() -> str:
    """Every key of the schema: `key: type = default`, then its valid values and its documentation."""
    docs, out = field_docs(), []
    for prefix, cls in config.SCHEMA_TYPES.items():
        out.append(f"[{prefix or 'top level'}]")
        for f in dataclasses.fields(cls):
            key = f"{prefix}.{f.name}" if prefix else f.name
            if key in config.SCHEMA_TYPES:
                continue  # a sub-section: its own block
            head = f"  {key}: {f.type}" + (f" = {d}" if (d := _default(f)) else "")
            valid = config.RANGES.get(key, (None, config.CHOICES_TEXT.get(key, "")))[1]
            doc = docs.get(key, "")
            doc += "." if doc and doc[-1] not in ".)" else ""
            body = (f"{doc} Valid: {valid}." if valid and valid not in doc else doc).strip()
            out.append(head)
            if body:
                out += textwrap.wrap(body, WIDTH, initial_indent=" " * 6, subsequent_indent=" " * 6)
    return "\n".join(out)


def groups_text() -> str:
    """The config groups and their options, as Hydra's config loader sees them (search path included);
    the option the command line (or the defaults) chose is marked with *."""
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig

    if not GlobalHydra.instance().is_initialized():
        return "(run `python -m bounded_ddpg.run --help` to list them)"
    loader = GlobalHydra.instance().config_loader()
    choices = dict(HydraConfig.get().runtime.choices) if HydraConfig.initialized() else {}
    groups = [g for g in loader.list_groups("") if g != "hydra" and g not in HIDDEN_GROUPS]
    lines = []
    for group in [*sorted(groups), *HYDRA_GROUPS]:
        options = sorted(o for o in loader.get_group_options(group) if o != "schema")
        marked = [f"{o}*" if choices.get(group) == o else o for o in options]
        lines.append(f"  {group}: {', '.join(marked)}")
    return "\n".join(lines)


def register_resolvers() -> None:
    OmegaConf.register_new_resolver("bounded_ddpg.groups", groups_text, replace=True)
    OmegaConf.register_new_resolver("bounded_ddpg.keys", keys_text, replace=True)


def missing_experiment_hint(argv: Sequence[str]) -> str | None:
    """A hint for an ``experiment=NAME`` that neither the package nor ``./conf`` holds: the repository's
    experiments live in its ``conf/experiment/``, which an installed package does not ship."""
    values = [a.split("=", 1)[1] for a in argv if a.split("=", 1)[0].lstrip("+") == "experiment"]
    shipped = resources.files("bounded_ddpg.conf") / "experiment"
    missing = [
        name
        for name in (values[-1].strip("'\"").split(",") if values else [])
        if not (shipped / f"{name}.yaml").is_file()
        and not Path("conf", "experiment", f"{name}.yaml").is_file()
    ]
    if not missing:
        return None
    return (
        f"hint: experiment={missing[0]} is not one this installation ships. The repository's experiments "
        f"(platform_invert_lrdecay, ...) live in its conf/experiment/, which a pip-installed package does "
        f"not include: run from a checkout of the repository, or point Hydra at its conf/ with "
        f"--config-dir <checkout>/conf or 'hydra.searchpath=[file://<checkout>/conf]' (docs/extending.md "
        f"in the repository)"
    )
