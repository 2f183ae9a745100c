"""Duplicate runs are counted once and listed; missing seeds are counted per experiment only."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest

from bounded_ddpg.report import main
from test_report import write_run


def _cells(out: Path) -> dict[tuple[str, ...], dict[str, str]]:
    with (out / "table.csv").open() as f:
        return {(r["env"], r["transform"], r.get("budget.steps", "")): r for r in csv.DictReader(f)}


@pytest.fixture
def published(tmp_path: Path) -> Path:
    root = tmp_path / "published"
    for s, r in enumerate([0.2, 0.4, 0.6]):
        write_run(root, "Platform", "invert", s, r)
    return root


def test_a_copied_run_directory_is_counted_once(published: Path, tmp_path: Path, capsys: Any) -> None:
    copy = tmp_path / "copy" / "seed0"
    shutil.copytree(next(published.glob("Platform/invert/seed0/*")), copy)
    assert main([str(published), str(tmp_path / "copy"), "--out", str(tmp_path / "o"), "--reps", "50"]) == 0
    cell = _cells(tmp_path / "o")[("Platform", "invert", "")]
    assert cell["n"] == "3" and float(cell["mean"]) == pytest.approx(0.4)  # not 4 runs, not 0.35
    md = (tmp_path / "o" / "table.md").read_text()
    note = "DUPLICATE RUNS (identical summary.json: Platform invert seed 0), counted once: kept "
    assert note in md and f"not counted: {copy}" in md and "duplicate seeds" not in md
    assert main([str(published), str(tmp_path / "copy"), "--out", str(tmp_path / "s"), "--strict"]) == 1
    assert "DUPLICATE RUNS" in capsys.readouterr().err and not (tmp_path / "s").exists()


def test_the_same_config_and_seed_run_again_is_counted_once(published: Path, tmp_path: Path) -> None:
    """A rerun elsewhere (another run id, device and output folder, another result) is the same
    experiment and seed: counted once, the first source kept; another seed or config is not a duplicate."""
    rerun = write_run(
        tmp_path / "rerun", "Platform", "invert", 1, 0.9, variant={"device": "cuda", "run_id": "x"}
    )
    write_run(tmp_path / "rerun", "Platform", "invert", 7, 0.9)
    write_run(tmp_path / "rerun", "Platform", "invert", 2, 0.9, lr=0.5)  # another experiment
    args = [str(published), str(tmp_path / "rerun"), "--out", str(tmp_path / "o"), "--reps", "50"]
    assert main(args) == 0
    with (tmp_path / "o" / "table.csv").open() as f:
        rows = list(csv.DictReader(f))
    md = (tmp_path / "o" / "table.md").read_text()
    assert "DUPLICATE RUNS (same config and seed: Platform invert seed 1), counted once" in md
    assert f"not counted: {rerun}" in md and md.count("DUPLICATE RUNS") == 1
    by_lr = {r["agent.lr_actor"]: r["n"] for r in rows}
    assert by_lr == {"0.001": "4", "0.5": "1"}  # seeds 0, 1, 2, 7; the other experiment's seed 2 alone


def test_missing_seeds_are_those_of_the_same_experiment(published: Path, tmp_path: Path) -> None:
    """A short rerun (another budget) with seed 5 only: the published cell misses no seed because of it,
    and the rerun's cell misses none of the published seeds."""
    write_run(tmp_path / "short", "Platform", "invert", 5, 0.1, variant={"budget.steps": 300})
    write_run(published, "Platform", "clip", 0, 0.1)
    args = [str(published), str(tmp_path / "short"), "--out", str(tmp_path / "o"), "--reps", "50"]
    assert main(args) == 0
    md = (tmp_path / "o" / "table.md").read_text()
    assert (
        "missing seeds: Platform clip budget.steps=20000: 1, 2 (1 of 3 seeds in Platform budget.steps=20000)"
        in md
    )
    assert md.count("missing seeds") == 1
