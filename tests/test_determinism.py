"""The same seed twice gives the same run on CPU: evaluation returns, training metrics, final summary."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from conftest import TINY, Cli, run_dirs


def without_wall(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return [{k: v for k, v in row.items() if k != "wall_s"} for row in csv.DictReader(f)]


def test_same_seed_same_results(cli: Cli, tmp_path: Path) -> None:
    for run_id in ("a", "b"):
        result = cli("env=Platform", "seed=5", f"run_id={run_id}", *TINY)
        assert result.returncode == 0, result.stderr
    a, b = run_dirs(tmp_path / "runs")
    evals = without_wall(a / "eval.csv")
    assert len(evals) == 3 and evals == without_wall(b / "eval.csv")
    assert without_wall(a / "metrics.csv") == without_wall(b / "metrics.csv")
    sa, sb = (json.loads((d / "summary.json").read_text()) for d in (a, b))
    assert sa["final_eval"] == sb["final_eval"] and sa["diagnostics"] == sb["diagnostics"]
    assert sa["episodes"] == sb["episodes"]
