"""`python -m bounded_ddpg.report`: ablation tables and learning curves from run directories or W&B.

Reads run directories (docs/run-directory.md) or a W&B project/sweep into RunRecords, groups them into
cells (env, transform, any `--by` config keys), and writes table.md / table.tex / table.csv and
curves.png / curves.pdf. Runs that are not `finished`, malformed directories and missing seeds are listed
in a footer, never averaged in. See docs/report.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from bounded_ddpg import plots, tables
from bounded_ddpg.stats import (
    FINISHED,
    RunRecord,
    TableInfo,
    build_rows,
    by_value,
    cell_order,
    get_dotted,
    leaf_paths,
    num,
)

DIAGNOSTICS = ("frac_at_bounds", "frac_out_of_bounds")
__all__ = ["Problem", "RunRecord", "main", "read_run_dir", "run_record_from_wandb"]


@dataclass(frozen=True)
class Problem:
    """A run directory (or W&B run) that could not be read, and why."""

    source: str
    reason: str


def _record(
    source: str, s: dict[str, Any], config: dict[str, Any], curve: dict[str, tuple[float, ...]]
) -> RunRecord:
    """Build a RunRecord from a summary mapping shaped like summary.json; raises ValueError if unusable."""
    for key in ("env", "transform", "status"):
        if not isinstance(s.get(key), str):
            raise ValueError(f"summary: '{key}' missing or not a string")
    seed = s.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError("summary: 'seed' is not an integer")
    fe, diag = _mapping(s.get("final_eval")), _mapping(s.get("diagnostics"))
    ret = num(fe.get("return_mean"))
    if s["status"] == FINISHED and ret is None:
        raise ValueError("summary: status finished but final_eval.return_mean is missing or not finite")
    return RunRecord(
        source, s["env"], s["transform"], seed, s["status"], config, ret, num(fe.get("p_goal")),
        num(diag.get("frac_at_bounds")), num(diag.get("frac_out_of_bounds")),
        curve.get("step", ()), curve.get("episode", ()), curve.get("return_mean", ()),
    )  # fmt: skip


def _mapping(v: Any) -> dict[str, Any]:
    """`v` if it is a mapping, else an empty one."""
    return v if isinstance(v, dict) else {}


def read_run_dir(path: Path) -> RunRecord | Problem:
    """Read one run directory; a Problem names what is missing or garbled."""
    try:
        summary = json.loads((path / "summary.json").read_text())
    except FileNotFoundError:
        return Problem(str(path), "summary.json missing (still running, or killed before it finished)")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        return Problem(str(path), f"summary.json unreadable: {e}")
    if not isinstance(summary, dict):
        return Problem(str(path), "summary.json is not a JSON object")
    config = summary.get("config")
    if not isinstance(config, dict):
        try:
            config = yaml.safe_load((path / "config.yaml").read_text())
        except (OSError, yaml.YAMLError):
            config = None
        config = config if isinstance(config, dict) else {}
    try:
        ev = pd.read_csv(path / "eval.csv")
        cols = ["step", "episode", "return_mean"]
        if missing := [c for c in cols if c not in ev.columns]:
            raise ValueError(f"columns {missing} missing")
        ev = ev[cols].apply(pd.to_numeric, errors="raise").astype(float)
        if summary.get("status") == FINISHED and ev.empty:
            raise ValueError("no evaluation rows")
        curve = {c: tuple(ev[c].tolist()) for c in cols}
        return _record(str(path), summary, config, curve)
    except FileNotFoundError:
        return Problem(str(path), "eval.csv missing")
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        return Problem(str(path), f"{'eval.csv' if 'summary' not in str(e) else 'summary.json'}: {e}")


def find_run_dirs(root: Path) -> list[Path]:
    """Run directories under `root` (itself included): those holding summary.json, config.yaml or eval.csv."""
    markers = ("summary.json", "config.yaml", "eval.csv")
    if any((root / m).is_file() for m in markers):
        return [root]
    return [d for sub in sorted(p for p in root.iterdir() if p.is_dir()) for d in find_run_dirs(sub)]


def _pick(d: dict[str, Any], *paths: str) -> Any:
    """The first value found in `d` under nested dotted paths or flat 'a/b' keys."""
    for p in paths:
        if p.replace(".", "/") in d:
            return d[p.replace(".", "/")]
        try:
            return get_dotted(d, p)
        except KeyError:
            continue
    return None


def run_record_from_wandb(
    config: dict[str, Any],
    summary: dict[str, Any],
    state: str,
    history: list[dict[str, Any]],
    *,
    source: str = "wandb",
) -> RunRecord:
    """Map a W&B run (the public API's `run.config`, `run.summary`, `run.state`, history rows) to a RunRecord.

    The composed config is under config['cfg']. env / transform / seed come from the summary (as in
    summary.json) or else the config (a group's `name`, or a plain string). The status is the summary's
    `status` when logged, else W&B's state verbatim (finished, crashed, failed, killed, running, pending).
    The curve is `eval/return_mean` against `step` (or `_step`). Raises ValueError when unusable.
    """
    cfg = _mapping(config.get("cfg")) or {k: v for k, v in config.items() if not k.startswith("_")}

    def name(group: str) -> Any:
        v = _pick(summary, group)
        v = cfg.get(group) if v is None else v
        return v.get("name") if isinstance(v, dict) else v

    status = summary.get("status") if isinstance(summary.get("status"), str) else state
    s = {
        "env": name("env"), "transform": name("transform"), "status": status,
        "seed": summary.get("seed", cfg.get("seed")),
        "final_eval": {k: _pick(summary, f"final_eval.{k}") for k in ("return_mean", "p_goal")},
        "diagnostics": {k: _pick(summary, f"diagnostics.{k}") for k in DIAGNOSTICS},
    }  # fmt: skip
    rows = [r for r in history if num(r.get("eval/return_mean")) is not None]
    xs = [num(_pick(r, "step", "eval/step", "_step")) for r in rows]
    eps = [num(_pick(r, "episode", "eval/episode")) for r in rows]
    keep = [i for i, x in enumerate(xs) if x is not None]
    curve = {
        "step": tuple(float(xs[i] or 0.0) for i in keep),
        "episode": tuple(float(eps[i] or 0.0) for i in keep) if all(e is not None for e in eps) else (),
        "return_mean": tuple(float(rows[i]["eval/return_mean"]) for i in keep),
    }
    return _record(source, s, cfg, curve)


def read_wandb(path: str, sweep: bool) -> list[RunRecord | Problem]:
    """Fetch every run of a W&B project (ENTITY/PROJECT) or sweep (ENTITY/PROJECT/SWEEP_ID)."""
    import wandb  # lazy: only this source needs it

    api = wandb.Api()
    runs = api.sweep(path).runs if sweep else api.runs(path)
    out: list[RunRecord | Problem] = []
    for run in runs:
        src = "/".join(run.path)
        try:
            history = [dict(r) for r in run.scan_history()]
            out.append(
                run_record_from_wandb(
                    dict(run.config), dict(run.summary_metrics), str(run.state), history, source=src
                )
            )
        except ValueError as e:
            out.append(Problem(src, str(e)))
    return out


UNFINISHED = " (unfinished)"


def curve_panels(
    records: list[RunRecord], x: str, by: tuple[str, ...], unfinished: bool
) -> dict[str, dict[str, list[plots.Curve]]]:
    """env -> line label -> runs' (x, return) curves. Finished runs only, unless ``unfinished``: then runs
    still running or interrupted get their own lines, labelled "(unfinished)" (and drawn dashed)."""
    panels: dict[str, dict[str, list[plots.Curve]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        xs = np.array(r.steps if x == "step" else r.episodes, dtype=float)
        partial = unfinished and r.status in ("running", "interrupted")
        if (r.status == FINISHED or partial) and xs.size and xs.size == len(r.returns):
            label = " ".join([r.transform, *[f"{k}={by_value(r, k)}" for k in by]])
            panels[r.env][label + (UNFINISHED if partial else "")].append((xs, np.array(r.returns, float)))
    return {
        e: dict(sorted(panels[e].items(), key=lambda kv: cell_order(e, kv[0].split()[0], ())))
        for e in sorted(panels)
    }


def parse_args(argv: list[str] | None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    p = argparse.ArgumentParser(
        prog="python -m bounded_ddpg.report",
        description="Tables (text, Markdown, LaTeX, CSV) and learning curves from bounded_ddpg runs.",
    )
    p.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="run directories, or directories searched recursively for run directories",
    )
    p.add_argument("--wandb", metavar="ENTITY/PROJECT", help="also read every run of this W&B project")
    p.add_argument(
        "--wandb-sweep", metavar="ENTITY/PROJECT/SWEEP_ID", help="also read every run of this W&B sweep"
    )
    p.add_argument(
        "--by",
        action="append",
        default=[],
        metavar="KEY",
        help="extra grouping key: a dotted path into the run config, e.g. agent.lr_actor (repeatable)",
    )
    p.add_argument(
        "--baseline",
        default=None,
        help="transform that P(improvement) compares against (default: identity, if present)",
    )
    p.add_argument("--x", choices=["step", "episode"], default="step", help="x axis of the learning curves")
    p.add_argument("--reps", type=int, default=2000, help="bootstrap resamples (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap resampling (default 0)")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("report"),
        help="output directory for table.{md,tex,csv} and curves.{png,pdf} (default: ./report)",
    )
    p.add_argument(
        "--unfinished-curves",
        action="store_true",
        help="also draw runs still running or interrupted as dashed '(unfinished)' lines (never tabled)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 1, nothing written) if any run is malformed, not finished, or a seed is missing",
    )
    return p, p.parse_args(argv)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the report; returns the exit status (argparse errors exit 2 directly)."""
    parser, a = parse_args(argv)
    if not (a.paths or a.wandb or a.wandb_sweep):
        parser.error("give at least one run directory, or --wandb / --wandb-sweep")
    if a.reps < 1:
        parser.error(f"--reps must be positive, got {a.reps}")
    if missing := [str(p) for p in a.paths if not p.exists()]:
        parser.error(f"path does not exist: {', '.join(missing)}")
    found: list[RunRecord | Problem] = [read_run_dir(d) for p in a.paths for d in find_run_dirs(p)]
    found += read_wandb(a.wandb, sweep=False) if a.wandb else []
    found += read_wandb(a.wandb_sweep, sweep=True) if a.wandb_sweep else []
    if not found:
        parser.error(f"no run directories (holding summary.json, config.yaml or eval.csv) under: "
                     f"{', '.join(map(str, a.paths))}")  # fmt: skip
    records = [r for r in found if isinstance(r, RunRecord)]
    problems = [f"malformed, excluded: {p.source}: {p.reason}" for p in found if isinstance(p, Problem)]
    if not records:
        parser.error("no readable runs:\n" + "\n".join(problems))
    keys = sorted({k for r in records for k in leaf_paths(r.config)})
    if bad := [k for k in a.by if k not in keys]:
        parser.error(
            f"unknown --by key {', '.join(bad)}; valid keys: {', '.join(keys) or '(runs have no config)'}"
        )
    transforms = sorted({r.transform for r in records}, key=lambda t: cell_order("", t, ()))
    if a.baseline is not None and a.baseline not in transforms:
        parser.error(f"unknown --baseline {a.baseline!r}; transforms in these runs: {', '.join(transforms)}")
    baseline = a.baseline or ("identity" if "identity" in transforms else None)
    rows, notes = build_rows(records, tuple(a.by), baseline, a.reps, a.seed)
    notes = problems + notes
    if a.strict and notes:
        print("report --strict: refusing to write a report over incomplete results:", file=sys.stderr)
        print("\n".join(f"- {n}" for n in notes), file=sys.stderr)
        return 1
    info = TableInfo(tuple(a.by), baseline, a.reps, a.seed, any(r.p_goal is not None for r in records))
    print(tables.render_text(rows, info, notes), end="")
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "table.md").write_text(tables.render_markdown(rows, info, notes))
    (a.out / "table.tex").write_text(tables.render_latex(rows, info))
    (a.out / "table.csv").write_text(tables.render_csv(rows, info))
    ordered = curve_panels(records, a.x, tuple(a.by), a.unfinished_curves)
    plots.plot_curves(ordered, a.x, a.out, a.reps, a.seed)
    print(f"\nwrote {a.out}/table.md, table.tex, table.csv, curves.png, curves.pdf")
    return 0


if __name__ == "__main__":
    sys.exit(main())
