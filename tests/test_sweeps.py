"""W&B sweep files: schema-valid, suggesting offline, and launchable by W&B's own agent code."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import TINY, run_dirs

REPO = Path(__file__).resolve().parents[1]
SWEEPS = sorted((REPO / "sweeps").glob("*.yaml"))

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # sweeps 0.2.0 uses pydantic v1 config names
    import sweeps


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((REPO / "sweeps" / name).read_text())


def test_both_sweep_files_exist() -> None:
    assert [p.name for p in SWEEPS] == ["ablation.yaml", "lr_search.yaml"]


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.name)
def test_sweep_file_is_valid_and_suggests_hydra_overrides(path: Path) -> None:
    config = yaml.safe_load(path.read_text())
    assert sweeps.schema_violations_from_proposed_config(config) == []
    assert config["command"] == ["${env}", "${interpreter}", "-m", "bounded_ddpg.run", "${args_no_hyphens}"]
    run = sweeps.next_run(sweeps.SweepConfig(config), [])
    assert run is not None and set(run.config) == set(config["parameters"])
    broken = {k: v for k, v in config.items() if k != "method"}
    assert sweeps.schema_violations_from_proposed_config(broken) != []  # the check has teeth


def test_ablation_grid_covers_transforms_envs_and_seeds() -> None:
    config = load("ablation.yaml")
    sweep = sweeps.SweepConfig(config)
    suggested: list[sweeps.SweepRun] = []
    while (run := sweeps.next_run(sweep, suggested)) is not None:
        suggested.append(sweeps.SweepRun(config=run.config, state=sweeps.RunState.finished))
    cells = {
        (r.config["transform"]["value"], r.config["env"]["value"], r.config["seed"]["value"])
        for r in suggested
    }
    assert len(suggested) == len(cells) == 5 * 4 * 10
    assert {r.config["experiment"]["value"] for r in suggested} == {"paper"}  # the published protocol


def test_lr_search_suggests_learning_rates_in_range() -> None:
    run = sweeps.next_run(sweeps.SweepConfig(load("lr_search.yaml")), [])
    assert run is not None
    assert 1e-5 <= run.config["agent.lr_actor"]["value"] <= 1e-3
    assert 1e-4 <= run.config["agent.lr_critic"]["value"] <= 1e-2


def test_wandbs_own_agent_launches_a_suggestion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """wandb's Agent._command_run expands ${args_no_hyphens} and starts the process, as `wandb agent` does."""
    from wandb import wandb_agent

    config = load("lr_search.yaml")
    run = sweeps.next_run(sweeps.SweepConfig(config), [])
    assert run is not None
    # what the server would send: JSON numbers (the local suggestion holds numpy floats)
    args = {
        k: {"value": getattr(v["value"], "item", lambda v=v: v["value"])()} for k, v in run.config.items()
    }
    args["wandb.mode"] = {"value": "disabled"}  # no server here; the sweep file asks for online
    args |= {k: {"value": yaml.safe_load(v)} for k, v in (o.split("=", 1) for o in TINY)}
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    for key in ("WANDB_DIR", "WANDB_SWEEP_ID", "WANDB_RUN_ID", "WANDB_SWEEP_PARAM_PATH"):
        monkeypatch.setenv(key, str(tmp_path) if key == "WANDB_DIR" else "x")
    monkeypatch.setenv("WANDB_SWEEP_ID", "offline0")
    agent = wandb_agent.Agent(api=None, queue=None, sweep_id="offline0")
    agent._sweep_command = config["command"]
    agent._command_run({"run_id": "abc123", "program": config["program"], "args": args})
    assert agent._run_processes["abc123"].wait(timeout=120) == 0
    (run_dir,) = run_dirs(tmp_path / "runs")
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert saved["agent"]["lr_actor"] == pytest.approx(args["agent.lr_actor"]["value"])
    assert saved["agent"]["lr_critic"] == pytest.approx(args["agent.lr_critic"]["value"])
    assert (saved["seed"], saved["env"]["name"], saved["transform"]["name"]) == (
        args["seed"]["value"], "Platform", "invert",
    )  # fmt: skip
    assert saved["budget"]["steps"] == 120 and saved["agent"]["hidden_sizes"] == [16, 16]
