"""`report --missing-commands`: the command lines that fill the cells missing runs.

A cell misses the seeds its experiment has elsewhere (stats.build_rows' missing seeds: the seeds of the
cell's env and --by / experiment-key values that the cell lacks), i.e. it has fewer runs than the most
complete cells of its experiment. For each such cell this prints a Hydra multirun line,
`python -m bounded_ddpg.run -m OVERRIDES seed=5,6,7`, and its SLURM form (the same line with
`hydra/launcher=slurm hydra.launcher.partition=YOUR_PARTITION`, conf/hydra/launcher/slurm.yaml; submitit
submits the jobs and exits, so no launcher process is left running).

OVERRIDES recreate one of the cell's runs' recorded config: the env, transform and experiment groups
(and the agent preset named by agent.name when the env's default preset is another), then `key=value` for
every recorded key whose value the composition does not already give (`+key=value` for a key it lacks),
found by composing with Hydra itself. Keys that legitimately differ per run (stats.PER_RUN_KEYS: out_dir,
device, run_id, ...) are left to the defaults; add `out_dir=...` to write beside the existing runs.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from bounded_ddpg.report.stats import Row, RunRecord, by_value, get_dotted, leaf_paths, per_run_key

RUN = "python -m bounded_ddpg.run -m"
SLURM = "hydra/launcher=slurm hydra.launcher.partition=YOUR_PARTITION"
_PLAIN = re.compile(r"[A-Za-z_][\w./-]*")
_RESERVED = {"true", "false", "null", "nan", "inf"}


def hydra_value(v: Any) -> str:
    """`v` in Hydra's override grammar: null, true/false, numbers, [lists], strings quoted unless plain."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, list):
        return "[" + ",".join(hydra_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(f"{k}:{hydra_value(x)}" for k, x in v.items()) + "}"
    s = str(v)
    if _PLAIN.fullmatch(s) and s.lower() not in _RESERVED:
        return s
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def compose_config(overrides: list[str]) -> dict[str, Any]:
    from hydra import compose, initialize_config_module
    from omegaconf import OmegaConf

    from bounded_ddpg import config as schema  # the schema and the packaged conf/: no training code

    schema.register()
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        cfg = OmegaConf.to_container(compose("config", overrides=overrides), resolve=True)
    assert isinstance(cfg, dict)
    return {str(k): v for k, v in cfg.items()}


def overrides_for(r: RunRecord) -> list[str]:
    """Overrides that compose `r`'s recorded config (all but the per-run keys and the seed)."""
    groups = [f"env={r.config['env']['name']}", f"transform={r.transform}"]
    groups += [f"experiment={by_value(r, 'experiment')}"]
    base = compose_config(groups)
    agent = by_value(r, "agent.name")
    if get_dotted(base, "agent.name") != agent:
        groups.append(f"agent={agent}")
        base = compose_config(groups)
    out = list(groups)
    for key in leaf_paths(r.config):
        if per_run_key(key) or key.startswith("experiment"):
            continue
        value = get_dotted(r.config, key)
        try:
            have = get_dotted(base, key)
        except KeyError:
            out.append(f"+{key}={hydra_value(value)}")
            continue
        if have != value:
            out.append(f"{key}={hydra_value(value)}")
    return out


def command_lines(rows: list[Row], records: list[RunRecord], by: tuple[str, ...]) -> list[str]:
    """For every row missing seeds: a comment naming it, its multirun line and its SLURM line."""
    lines: list[str] = []
    for row in rows:
        if not row.missing_seeds:
            continue
        runs = [r for r in records if (r.env, r.transform) == (row.env, row.transform) and r.config
                and tuple(by_value(r, k) for k in by) == row.by and "env" in r.config]  # fmt: skip
        label = " ".join([row.env, row.transform, *(f"{k}={v}" for k, v in zip(by, row.by, strict=True))])
        seeds = ", ".join(map(str, row.missing_seeds))
        lines.append(f"# {label}: {row.stats.n} finished runs; missing seeds {seeds}")
        if not runs:
            lines.append("# (no recorded config in this cell: no command can recreate it)")
            continue
        overrides = [*overrides_for(runs[0]), "seed=" + ",".join(map(str, row.missing_seeds))]
        quoted = " ".join(shlex.quote(o) for o in overrides)
        lines += [f"{RUN} {quoted}", f"{RUN} {SLURM} {quoted}"]
    return lines
