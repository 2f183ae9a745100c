"""Reading runs: run directories (docs/run-directory.md) or a W&B project/sweep, into RunRecords.

A directory that cannot be read becomes a Problem (listed in the report's footer, never averaged in).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from bounded_ddpg.report.stats import FINISHED, RunRecord, get_dotted, num

DIAGNOSTICS = ("frac_at_bounds", "frac_out_of_bounds")


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
    legacy = fe.get("p_success") is None and fe.get("p_goal") is not None  # written before success_key
    try:
        success_key: Any = get_dotted(config, "env.success_key")
    except (KeyError, TypeError):
        success_key = None
    return RunRecord(
        source, s["env"], s["transform"], seed, s["status"], config, ret, num(_success(fe)),
        num(diag.get("frac_at_bounds")), num(diag.get("frac_out_of_bounds")),
        curve.get("step", ()), curve.get("episode", ()), curve.get("return_mean", ()),
        curve.get("p_success", ()), num(s.get("steps")), num(s.get("episodes")),
        "goal" if legacy else success_key if isinstance(success_key, str) else None,
        "p_goal" if legacy else "p_success",
    )  # fmt: skip


def _success(final_eval: dict[str, Any]) -> Any:
    """P(success): final_eval.p_success (env.success_key), or p_goal as runs before success_key wrote it."""
    value = final_eval.get("p_success")
    return value if value is not None else final_eval.get("p_goal")


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
        raw = pd.read_csv(path / "eval.csv")
        cols = ["step", "episode", "return_mean"]
        if missing := [c for c in cols if c not in raw.columns]:
            raise ValueError(f"columns {missing} missing")
        ev = raw[cols].apply(pd.to_numeric, errors="raise").astype(float)
        if summary.get("status") == FINISHED and ev.empty:
            raise ValueError("no evaluation rows")
        steps = ev["step"].tolist()
        if bad := next((i for i in range(1, len(steps)) if steps[i] <= steps[i - 1]), None):
            raise ValueError(
                f"steps not strictly increasing (row {bad + 1}: step {steps[bad]:g} after "
                f"{steps[bad - 1]:g}): two processes wrote this run, or the file was edited"
            )
        curve = {c: tuple(ev[c].tolist()) for c in cols}
        column = next((c for c in ("p_success", "p_goal") if c in raw.columns), None)  # p_goal: older runs
        goal = pd.to_numeric(raw[column], errors="coerce") if column else None
        if goal is not None and goal.notna().all():  # optional (success_key); a curve only when complete
            curve["p_success"] = tuple(goal.astype(float).tolist())
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
    The curve is `eval/return_mean` (and `eval/p_success`, or `eval/p_goal`, when every row has it) against
    `step` (or `_step`), the last row logged at each step (a resumed run logs the rows after its last
    checkpoint twice). Raises ValueError when unusable.
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
        "final_eval": {k: _pick(summary, f"final_eval.{k}") for k in ("return_mean", "p_success", "p_goal")},
        "diagnostics": {k: _pick(summary, f"diagnostics.{k}") for k in DIAGNOSTICS},
        "steps": summary.get("steps"), "episodes": summary.get("episodes"),
    }  # fmt: skip
    rows = [r for r in history if num(r.get("eval/return_mean")) is not None]
    xs = [num(_pick(r, "step", "eval/step", "_step")) for r in rows]
    eps = [num(_pick(r, "episode", "eval/episode")) for r in rows]
    # A resumed run logs the rows after its last checkpoint again: keep the last row of each step.
    last = {x: i for i, x in enumerate(xs) if x is not None}
    keep = sorted(last.values(), key=lambda i: xs[i] or 0.0)
    curve = {
        "step": tuple(float(xs[i] or 0.0) for i in keep),
        "episode": tuple(float(eps[i] or 0.0) for i in keep) if all(e is not None for e in eps) else (),
        "return_mean": tuple(float(rows[i]["eval/return_mean"]) for i in keep),
    }
    goals = [num(_pick(rows[i], "eval/p_success", "eval/p_goal")) for i in keep]
    if goals and all(g is not None for g in goals):
        curve["p_success"] = tuple(float(g or 0.0) for g in goals)
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


def no_finished_run(records: list[RunRecord]) -> str | None:
    """None when some run finished, else the message that replaces a blank table and figure."""
    if any(r.status == FINISHED for r in records):
        return None
    counts = Counter(r.status for r in records)
    seen = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    return (f"report: no run finished ({seen}): no table or figure to make. Report again when runs finish; "
            "the ordinary report's --unfinished-curves draws runs still running or interrupted.")  # fmt: skip
