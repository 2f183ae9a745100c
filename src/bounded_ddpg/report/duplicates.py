"""Duplicate runs: the same experiment and seed read twice (a copied run directory, a rerun), counted once.

Two runs are duplicates when they have the same env, transform and seed and the same resolved config
besides the keys that say where and how a run was executed and logged (stats.PER_RUN_KEYS: out_dir,
run_id, device, ... and wandb.*). A copied run directory is also caught by its identical summary.json
(what it is called in the note), even without a config or a seed. The first run of each group (in the
order read: the paths as given, each searched in sorted order) is kept; the others are dropped from
every statistic and curve and listed in the notes, which --strict turns into an error.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from bounded_ddpg.report.stats import NO_CONFIG, RunRecord, by_value, leaf_paths, per_run_key


def experiment_fingerprint(r: RunRecord, keys: list[str]) -> tuple[str, ...] | None:
    """What makes the run the run it is: env, transform, seed and its value of every config key in `keys`
    (a key its config lacks has the schema's default, as by_value says); None when the run has no seed or
    no config (it can then only be a copy, see summary_bytes)."""
    if r.seed is None or not r.config:
        return None
    return (r.env, r.transform, str(r.seed), *(f"{k}={by_value(r, k)}" for k in keys))


def summary_bytes(r: RunRecord) -> bytes | None:
    """The run directory's summary.json, byte for byte (None for a W&B run or an unreadable file)."""
    try:
        return (Path(r.source) / "summary.json").read_bytes()
    except OSError:
        return None


def drop_duplicates(records: list[RunRecord]) -> tuple[list[RunRecord], list[str]]:
    """`records` with each duplicate group counted once (the first read kept), and one note per group."""
    keys = sorted({k for r in records for k in leaf_paths(r.config) if not per_run_key(k)})
    groups: dict[object, list[RunRecord]] = defaultdict(list)
    for r in records:
        fingerprint = experiment_fingerprint(r, keys)
        groups[fingerprint if fingerprint is not None else ("summary", summary_bytes(r) or r.source)].append(
            r
        )
    dropped: set[int] = set()
    notes = []
    for rs in groups.values():
        if len(rs) < 2:
            continue
        kept, *others = rs
        dropped |= {id(r) for r in others}
        copies = {summary_bytes(r) for r in rs}
        how = "identical summary.json" if len(copies) == 1 and None not in copies else "same config and seed"
        seed = "no seed" if kept.seed is None else f"seed {kept.seed}"
        config = "" if kept.config else f" ({NO_CONFIG})"
        notes.append(
            f"DUPLICATE RUNS ({how}: {kept.env} {kept.transform} {seed}{config}), counted once: kept "
            f"{kept.source}; not counted: {', '.join(r.source for r in others)}"
        )
    return [r for r in records if id(r) not in dropped], notes
