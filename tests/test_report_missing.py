"""`report --missing-commands`: the printed lines parse with Hydra's own override parser and compose
exactly the configs the missing runs of their cell would have recorded (checked on results/' real runs)."""

from __future__ import annotations

import contextlib
import io
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override

from bounded_ddpg.report import main
from bounded_ddpg.report.missing_commands import RUN, SLURM, compose_config
from bounded_ddpg.report.stats import get_dotted, leaf_paths, per_run_key

ROOT = Path(__file__).resolve().parents[1]
# results/ cells copied with seeds left out: (folder, transform, seeds copied)
COPIED = [
    ("lunarlander_small", "zero", (0, 1, 2)),  # a CPU-sized protocol: overrides beyond experiment=paper
    ("lunarlander_small_penalty", "penalty", (0, 2)),  # a transform with parameters; seed 1 missing
    ("pdqn_goal", "zero", (0, 1, 2)),  # agent=pdqn: another preset than Goal's default
    ("pdqn_goal", "invert", (0,)),
]


def _flat(config: dict[str, Any]) -> dict[str, Any]:
    return {k: get_dotted(config, k) for k in leaf_paths(config) if not per_run_key(k)}


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    root = tmp_path_factory.mktemp("runs")
    for folder, transform, seeds in COPIED:
        for s in seeds:
            shutil.copytree(
                ROOT / "results" / folder / transform / f"seed{s}", root / folder / transform / f"seed{s}"
            )
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([str(root), "--missing-commands"]) == 0
    return out.getvalue().splitlines()


def _parse(line: str, prefix: str) -> list[Override]:
    assert line.startswith(prefix + " ")
    return OverridesParser.create().parse_overrides(shlex.split(line.removeprefix(prefix + " ")))


@pytest.mark.slow
def test_printed_lines_parse_and_compose_the_missing_runs_configs(printed: list[str]) -> None:
    comments = [ln for ln in printed if ln.startswith("#")]
    assert comments == [
        "# Goal invert: 1 finished runs; missing seeds 1, 2",  # zero has seeds 0, 1, 2: a sweep seed=1,2
        "# LunarLanderContinuous penalty: 2 finished runs; missing seeds 1",  # zero has 0, 1, 2
    ]
    runs = [ln for ln in printed if not ln.startswith("#")]
    assert len(runs) == 2 * len(comments) and runs[0].endswith(" seed=1,2")
    assert "'agent.hidden_sizes=[64,64]'" in runs[2]  # LunarLander's CPU-sized protocol, shell-quoted
    assert "\n".join([comments[0], *runs[:2]]) in (ROOT / "docs" / "report.md").read_text()  # its example
    for multirun, slurm in zip(runs[::2], runs[1::2], strict=True):
        overrides = _parse(multirun, RUN)
        assert [o.input_line for o in _parse(slurm, f"{RUN} {SLURM}")] == [o.input_line for o in overrides]
        (seed_override,) = [o for o in overrides if o.key_or_group == "seed"]
        sweep = seed_override.is_sweep_override()
        seeds = [int(s) for s in seed_override.sweep_string_iterator()] if sweep else [seed_override.value()]
        fixed = [str(o.input_line) for o in overrides if o.key_or_group != "seed"]
        env = next(o.value() for o in overrides if o.key_or_group == "env")
        transform = next(o.value() for o in overrides if o.key_or_group == "transform")
        folder = {"Goal": "pdqn_goal", "LunarLanderContinuous": "lunarlander_small_penalty"}[str(env)]
        for seed in seeds:  # what the run would record is what the published run of that seed recorded
            (recorded,) = (ROOT / "results" / folder / str(transform) / f"seed{seed}").glob("*/config.yaml")
            ours = _flat(compose_config([*fixed, f"seed={seed}"]))
            theirs = _flat(yaml.safe_load(recorded.read_text()))
            assert {k: v for k, v in ours.items() if k in theirs} == theirs, recorded


def test_nothing_missing_says_so(tmp_path: Path, capsys: Any) -> None:
    from test_report import write_run

    write_run(tmp_path, "Platform", "invert", 0, 0.5)
    write_run(tmp_path, "Platform", "zero", 0, 0.5)
    assert main([str(tmp_path), "--missing-commands"]) == 0
    assert "nothing to run" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        main([str(tmp_path), "--missing-commands", "--main"])
    assert e.value.code == 2
