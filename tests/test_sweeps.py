"""W&B sweep files: schema-valid, suggesting offline, and launchable by W&B's own agent code."""

from __future__ import annotations

import functools
import importlib
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml
from hydra import compose, initialize_config_module

from bounded_ddpg import config
from bounded_ddpg.run import check
from conftest import TINY, run_dirs

REPO = Path(__file__).resolve().parents[1]
TRANSFORMS = ("identity", "clip", "zero", "squash", "invert", "penalty")
config.register()  # the schema Hydra composes against
SWEEPS = sorted((REPO / "sweeps").glob("*.yaml"))

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # sweeps 0.2.0 uses pydantic v1 config names
    # W&B's sweep engine; untyped (and to mypy the name is also this repository's sweeps/ folder)
    sweeps: Any = importlib.import_module("sweeps")


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((REPO / "sweeps" / name).read_text())


def test_the_sweep_files_exist() -> None:
    names = ["ablation.yaml", "ablation_pdqn.yaml", "ablation_td3.yaml", "lr_search.yaml"]
    assert [p.name for p in SWEEPS] == names


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.name)
def test_sweep_file_is_valid_and_suggests_hydra_overrides(path: Path) -> None:
    config = yaml.safe_load(path.read_text())
    assert sweeps.schema_violations_from_proposed_config(config) == []
    assert config["command"] == ["${env}", "${interpreter}", "-m", "bounded_ddpg.run", "${args_no_hyphens}"]
    run = sweeps.next_run(sweeps.SweepConfig(config), [])
    assert run is not None and set(run.config) == set(config["parameters"])
    broken = {k: v for k, v in config.items() if k != "method"}
    assert sweeps.schema_violations_from_proposed_config(broken) != []  # the check has teeth


@functools.cache
def grid(name: str) -> list[dict[str, Any]]:
    """Every run a grid sweep file suggests, as {key: value}, in the order W&B's own sweep code gives them."""
    sweep = sweeps.SweepConfig(load(name))
    suggested: list[Any] = []  # sweeps.SweepRun
    while (run := sweeps.next_run(sweep, suggested)) is not None:
        suggested.append(sweeps.SweepRun(config=run.config, state=sweeps.RunState.finished))
    return [{k: v["value"] for k, v in r.config.items()} for r in suggested]


# file: its number of runs (agents x transforms x envs x seeds)
ABLATIONS = {
    "ablation.yaml": 6 * 4 * 10,
    "ablation_pdqn.yaml": 2 * 6 * 2 * 10,
    "ablation_td3.yaml": 6 * 2 * 10,
}


def test_the_ablation_grids_cover_the_main_table_once_each_under_the_published_protocol() -> None:
    """The three grids are every agent x transform x env cell of docs/results.md's main table x seeds 0-9,
    each (agent, env, transform, seed) once; a run without `agent` takes its env's preset (PA-DDPG / DDPG)."""
    ENVS = ("Platform", "Goal", "Pendulum", "LunarLanderContinuous")  # the main table's tasks

    cells: list[tuple[str, str, str, int]] = []
    for name, size in ABLATIONS.items():
        runs = grid(name)
        assert len(runs) == size, name
        assert {(r["experiment"], r["wandb.mode"]) for r in runs} == {("paper", "online")}, name
        cells += [(r.get("agent", "ddpg"), r["env"], r["transform"], r["seed"]) for r in runs]
    assert len(set(cells)) == len(cells)  # no run twice, within or across files
    parameterised, box = ENVS[:2], ENVS[2:]
    expected = {
        (agent, env, t, seed)
        for agent, envs in {"ddpg": ENVS, "pdqn": parameterised, "mpdqn": parameterised, "td3": box}.items()
        for env in envs
        for t in TRANSFORMS
        for seed in range(10)
    }
    assert set(cells) == expected


@pytest.mark.parametrize("name", ABLATIONS)
def test_every_cell_of_an_ablation_grid_composes_and_validates(name: str) -> None:
    """Each (agent, env, transform) a grid suggests composes with real Hydra as the sweep agent would run it
    and passes the run's checks (a cell that would exit 2 on a cluster fails here); the agent is the
    released one: PA-DDPG's presets on Platform and Goal, CleanRL's values on the Box tasks."""
    presets = {"Platform": [256, 128], "Goal": [128, 64]}
    combos = {tuple((k, r[k]) for k in ("agent", "env", "transform") if k in r) for r in grid(name)}
    for combo in sorted(combos):
        overrides = [f"{k}={v}" for k, v in combo] + ["experiment=paper", "seed=0"]
        with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
            cfg = compose("config", overrides=overrides)
        check(cfg, overrides)  # what a run checks before it builds anything
        env, agent, transform = cfg.env.name, dict(combo).get("agent", "ddpg"), dict(combo)["transform"]
        assert (cfg.experiment, cfg.transform.name, cfg.agent.name) == ("paper", transform, agent)
        if agent == "ddpg":
            assert list(cfg.agent.hidden_sizes) == presets.get(env, [256, 256]), combo
        assert cfg.budget.episodes == (20000 if env in presets else None), combo


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
