"""report/reference.py: the released MP-DQN code's output files become run directories the report tables."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from bounded_ddpg.report import main_table, reference
from bounded_ddpg.report.runs import read_run_dir
from bounded_ddpg.report.stats import RunRecord, iqm


def fake_reference_output(root: Path, seed: int, episodes: int = 250, evaluations: int = 40) -> dict:
    """The three files cycraig/MP-DQN's run_platform_pdqn.py writes (np.save and gym's Monitor record)."""
    rng = np.random.default_rng(seed)
    train = rng.uniform(0, 1, episodes)
    lengths = rng.integers(1, 12, episodes)
    evaluation = rng.uniform(0.5, 1, evaluations)
    (root / "PDDQN" / str(seed)).mkdir(parents=True)
    np.save(root / "PDDQN" / f"PDDQN{seed}", train.tolist())  # the script saves a list of floats
    np.save(root / "PDDQN" / f"PDDQN{seed}e", evaluation)
    stamps = 1000.0 + np.cumsum(lengths) * 0.01
    monitor = {
        "initial_reset_timestamp": 1000.0, "timestamps": stamps.tolist(),
        "episode_lengths": lengths.tolist(), "episode_rewards": train.tolist(),
        "episode_types": ["t"] * episodes,
    }  # fmt: skip
    (root / "PDDQN" / str(seed) / "openaigym.episode_batch.0.123.stats.json").write_text(json.dumps(monitor))
    return {"train": train, "lengths": lengths, "evaluation": evaluation, "wall_s": stamps[-1] - 1000.0}


def convert(save_dir: Path, out: Path, seeds: list[int]) -> int:
    return reference.main(
        [str(save_dir), "--seeds", *map(str, seeds), "--agent", "mpdqn", "--code", "cycraig/MP-DQN",
         "--commit", "eec13eb", "--command", "python run_platform_pdqn.py --seed {seed}", "--out", str(out)]
    )  # fmt: skip


def test_a_converted_seed_reads_back_with_the_reference_numbers(tmp_path: Path) -> None:
    data = fake_reference_output(tmp_path / "ref", seed=3)
    assert convert(tmp_path / "ref", tmp_path / "out", [3]) == 0
    run = tmp_path / "out" / "seed3" / "reference"
    record = read_run_dir(run)
    assert isinstance(record, RunRecord), record
    assert record.final_return == pytest.approx(data["evaluation"].mean(), abs=1e-12)
    assert record.total_steps == int(data["lengths"].sum())
    assert record.total_episodes == 250 and record.seed == 3 and record.transform == "invert"
    summary = json.loads((run / "summary.json").read_text())
    assert summary["final_eval"]["return_iqm"] == pytest.approx(float(iqm(data["evaluation"])))
    assert summary["wall_clock_s"] == pytest.approx(data["wall_s"], abs=1e-3)
    assert (
        summary["config"]["agent"]["command"] == "python run_platform_pdqn.py --seed {seed}"
    )  # one experiment for all seeds
    # train.csv: one row per 100 episodes (the last 50 do not fill a block), the block's mean return
    rows = np.loadtxt(run / "train.csv", delimiter=",", skiprows=1)
    assert rows.shape == (2, 3)
    assert rows[1, 0] == 200 and rows[1, 1] == data["lengths"][:200].sum()
    assert rows[1, 2] == pytest.approx(data["train"][100:200].mean(), abs=1e-12)


def test_the_main_table_labels_the_reference_row_beside_ours() -> None:
    assert main_table.agent_label("mpdqn_reference") == "MP-DQN, reference code run here"
    assert main_table.agent_label("ddpg_reference") == "PA-DDPG, reference code run here"
    order = sorted(["td3", "mpdqn_reference", "ddpg", "mpdqn", "pdqn", "mine"], key=main_table.agent_rank)
    assert order == ["ddpg", "td3", "pdqn", "mpdqn", "mpdqn_reference", "mine"]


def test_a_monitor_record_that_disagrees_with_the_returns_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_reference_output(tmp_path / "ref", seed=0)
    np.save(tmp_path / "ref" / "PDDQN" / "PDDQN0", np.zeros(250))
    assert convert(tmp_path / "ref", tmp_path / "out", [0]) == 1
    assert "do not match PDDQN0.npy" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_missing_seed_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake_reference_output(tmp_path / "ref", seed=0)
    assert convert(tmp_path / "ref", tmp_path / "out", [0, 1]) == 1
    assert "PDDQN1.npy missing" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing written: seed 0 is not converted alone


def test_results_md_quotes_the_released_codes_runs_as_recorded() -> None:
    """docs/results.md's per-seed final returns of the released MP-DQN code are those of results/."""
    root = Path(__file__).resolve().parents[1]
    runs = sorted((root / "results" / "mpdqn_platform_reference" / "invert").glob("seed*/reference"))
    records = [read_run_dir(r) for r in runs]
    assert runs and all(isinstance(r, RunRecord) and r.final_return is not None for r in records)
    assert [r.seed for r in records if isinstance(r, RunRecord)] == list(range(10))
    quoted = ", ".join(f"{r.final_return:.3f}" for r in records if isinstance(r, RunRecord))
    text = " ".join((root / "docs" / "results.md").read_text().split())
    assert f"Final evaluation return per seed (0-9): {quoted}." in text
    assert all(isinstance(r, RunRecord) and r.total_episodes == 20000 for r in records)
    # the comparison quoted is the note the regenerated MP-DQN Platform table carries (test_results.py)
    table = (root / "docs" / "results" / "mpdqn_platform" / "table.md").read_text()
    (note,) = (line[2:] for line in table.splitlines() if "released code run here" in line)
    assert f"> {note}" in (root / "docs" / "results.md").read_text().splitlines()


SCRIPT = Path(__file__).parents[1] / "reference" / "platform.sh"


@pytest.mark.parametrize(
    ("args", "message"),
    [((), "ALGO WORKDIR OUT SEED"), (("mpdqn", "w", "o", "x1"), "seed 'x1' is not a non-negative integer"),
     (("pdqn", "w", "o", "--", "--episodes", "5"), "no seed given"),
     (("dqn", "w", "o", "1"), "ALGO 'dqn' is not one of mpdqn, pdqn, paddpg")],
)  # fmt: skip
def test_the_reference_script_refuses_bad_arguments_before_any_work(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    proc = subprocess.run(["bash", str(SCRIPT), *args], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert not any(tmp_path.iterdir())  # nothing created
