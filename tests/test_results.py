"""The published ablation (docs/results.md) regenerates from the per-run files in results/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hydra import compose, initialize_config_module

from bounded_ddpg import config as schema
from bounded_ddpg import report, run

ROOT = Path(__file__).resolve().parents[1]

# results/<env>: (runs there, extra report arguments); the commands are the ones docs/results.md gives.
ZERO = ["--baseline", "zero"]
PUBLISHED = {
    "platform": (50, ["--x", "episode", "--unfinished-curves", *ZERO]),
    "platform_buffer100k": (10, ["--x", "episode"]),
    "goal": (50, ["--x", "episode", *ZERO]),
    "pendulum": (50, ZERO),
    "lunarlandercontinuous": (50, ["--unfinished-curves", *ZERO]),
    "lunarlander_small": (50, ZERO),
    "pdqn_platform": (10, ["--x", "episode"]),
    "mpdqn_platform": (10, ["--x", "episode"]),
}


@pytest.mark.parametrize("env", sorted(PUBLISHED))
def test_published_table_regenerates_from_results(
    env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # the table's notes name runs by the path given, as in docs/results.md
    runs, extra = PUBLISHED[env]
    assert len(list(Path(f"results/{env}").glob("*/seed*/*/summary.json"))) == runs
    assert report.main([f"results/{env}", "--out", str(tmp_path), *extra]) == 0
    published = ROOT / "docs" / "results" / env / "table.md"
    assert (tmp_path / "table.md").read_text() == published.read_text()
    assert (tmp_path / "curves.png").stat().st_size > 10_000


MACHINE_KEYS = ("device", "out_dir", "run_id", "progress")  # where and how a run ran, not what it ran


def _flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict) and k != "transform":
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_the_repository_experiment_file_composes_what_its_runs_recorded(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """conf/experiment/<name>.yaml (found as the working directory's conf/) gives every member of
    results/<name> exactly the config.yaml it recorded, besides where and how it ran."""
    monkeypatch.chdir(ROOT)
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        cfg = compose("config", overrides=[f"experiment={name}"])
        schema.validate(cfg)
        specs, seeds = run._members(cfg)
    members = {(c["transform"]["name"], c["seed"]): _flat(c) for c in run._member_configs(cfg, specs, seeds)}
    recorded = sorted(Path(f"results/{name}").glob("*/seed*/*/config.yaml"))
    assert len(recorded) == len(members) == PUBLISHED[name][0]
    for path in recorded:
        rec = _flat(yaml.safe_load(path.read_text()))
        ours = members.pop((rec["transform"]["name"], rec["seed"]))
        differ = {
            k: (v, ours.get(k, "<absent>"))
            for k, v in rec.items()
            if k not in MACHINE_KEYS and ours.get(k, "<absent>") != v
        }
        assert not differ, f"{path}: recorded vs composed {differ}"
    assert not members
