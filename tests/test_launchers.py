"""Hydra launchers: the basic local grid, joblib processes, submitit's local executor, the SLURM config."""

from __future__ import annotations

from pathlib import Path

import yaml
from hydra import compose, initialize_config_module

from bounded_ddpg import config as schema
from conftest import TINY, Cli, run_dirs


def configs(out_dir: Path) -> list[tuple[str, int]]:
    found = []
    for run in run_dirs(out_dir):
        c = yaml.safe_load((run / "config.yaml").read_text())
        assert (run / "summary.json").exists()
        found.append((c["transform"]["name"], c["seed"]))
    return sorted(found)


def test_basic_launcher_local_grid(cli: Cli, tmp_path: Path) -> None:
    result = cli("-m", "transform=identity,invert", "seed=0,1", *TINY)
    assert result.returncode == 0, result.stderr
    assert configs(tmp_path / "runs") == [("identity", 0), ("identity", 1), ("invert", 0), ("invert", 1)]
    (sweep,) = (tmp_path / "runs" / ".hydra" / "multirun").iterdir()
    assert (sweep / "multirun.yaml").exists()


def test_joblib_launcher(cli: Cli, tmp_path: Path) -> None:
    result = cli("-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "seed=0,1", *TINY, timeout=180)
    assert result.returncode == 0, result.stderr
    assert configs(tmp_path / "runs") == [("invert", 0), ("invert", 1)]


def test_submitit_local_launcher(cli: Cli, tmp_path: Path) -> None:
    """submitit's local executor: the same pickling, job folders and result collection as on SLURM."""
    launcher = ("hydra/launcher=submitit_local", "hydra.launcher.timeout_min=5")
    result = cli("-m", *launcher, "transform=zero", *TINY, timeout=240)
    assert result.returncode == 0, result.stderr
    assert configs(tmp_path / "runs") == [("zero", 0)]
    assert list((tmp_path / "runs" / ".hydra" / "multirun").glob("*/.submitit/*"))


def test_slurm_launcher_config_composes() -> None:
    schema.register()
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        cfg = compose("config", overrides=["hydra/launcher=slurm"], return_hydra_config=True)
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("submitit_launcher.SlurmLauncher")
    assert (launcher.cpus_per_task, launcher.partition, launcher.timeout_min) == (1, "cpu", 240)
    assert launcher.mem_gb == 4 and launcher.array_parallelism == 64
