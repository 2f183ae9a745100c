"""The reference code's runs as run directories, so that the report tables them beside ours.

MP-DQN's released code (Bester, James & Konidaris 2019, github.com/cycraig/MP-DQN; its
``run_platform_pdqn.py`` runs P-DQN, or MP-DQN with ``--multipass True``, the default, and
``run_platform_paddpg.py`` PA-DDPG) writes, for a run with ``--seed S --save-dir D`` and output prefix
``--title T`` (``PDDQN`` or ``PADDPG`` by default):

* ``D/T/T<S>.npy``: the return of every training episode (20,000 by default);
* ``D/T/T<S>e.npy``: the return of every greedy evaluation episode after training (1,000 by default);
* ``D/T/<S>/openaigym.episode_batch.*.stats.json``: gym's Monitor record of the training episodes
  (``episode_lengths``, ``episode_rewards``, ``timestamps``, ``initial_reset_timestamp``).

:func:`convert` reads those three files and writes one run directory (docs/run-directory.md):
``summary.json`` (status finished, the final evaluation's mean, standard deviation and IQM over its
episodes, steps = the training episodes' summed lengths, wall-clock from the Monitor's timestamps),
``eval.csv`` (one row: the final evaluation; the reference evaluates only once, after training),
``train.csv`` (the training return averaged over each block of ``block`` episodes, for curves) and
``config.yaml`` (agent ``<agent>_reference``, the code, commit and command that produced the run). The
report labels such an agent "<agent>, reference code run here" (main_table.AGENTS), so its row sits
beside ours and is never pooled with it.

Usage: ``python -m bounded_ddpg.report.reference D --title PDDQN --seeds 0 1 2 --agent mpdqn
--code cycraig/MP-DQN --commit eec13eb --command "python run_platform_pdqn.py --seed {seed}" --out
results/mpdqn_platform_reference``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bounded_ddpg.report.main_table import REFERENCE
from bounded_ddpg.report.stats import iqm


class ReferenceError(ValueError):
    """The reference's output files for a seed are missing or do not agree with each other."""


def _load_returns(path: Path) -> np.ndarray:
    if not path.is_file():
        raise ReferenceError(f"{path} missing")
    x = np.load(path, allow_pickle=False).astype(np.float64).reshape(-1)
    if x.size == 0 or not np.isfinite(x).all():
        raise ReferenceError(f"{path}: empty or not finite")
    return x


def read_seed(root: Path, title: str, seed: int) -> dict[str, Any]:
    """The training returns, evaluation returns and Monitor record of one seed; ReferenceError if unusable."""
    train = _load_returns(root / title / f"{title}{seed}.npy")
    evaluation = _load_returns(root / title / f"{title}{seed}e.npy")
    stats_files = sorted((root / title / str(seed)).glob("openaigym.episode_batch.*.stats.json"))
    if len(stats_files) != 1:
        raise ReferenceError(
            f"{root / title / str(seed)}: expected one Monitor stats file, found {len(stats_files)}"
        )
    monitor = json.loads(stats_files[0].read_text())
    lengths = np.asarray(monitor["episode_lengths"][: train.size], dtype=np.int64)
    rewards = np.asarray(monitor["episode_rewards"][: train.size], dtype=np.float64)
    if lengths.size != train.size or not np.allclose(rewards, train):
        raise ReferenceError(
            f"{stats_files[0]}: the Monitor's first {train.size} episodes do not match {title}{seed}.npy"
        )
    wall_s = float(monitor["timestamps"][train.size - 1]) - float(monitor["initial_reset_timestamp"])
    return {"train": train, "lengths": lengths, "evaluation": evaluation, "wall_s": wall_s}


def write_run(
    out: Path, seed: int, data: dict[str, Any], agent: str, source: dict[str, str], block: int
) -> Path:
    """Write ``out/seed<seed>/reference/``: summary.json, eval.csv, train.csv and config.yaml."""
    run = out / f"seed{seed}" / "reference"
    run.mkdir(parents=True, exist_ok=True)
    train, lengths, evaluation = data["train"], data["lengths"], data["evaluation"]
    steps, episodes = int(lengths.sum()), int(train.size)
    final = {
        "return_mean": float(evaluation.mean()),
        "return_std": float(evaluation.std()),
        "return_iqm": float(iqm(evaluation)),
        "n_episodes": int(evaluation.size),
        "p_success": None,
    }
    env_id = "Platform-v0 (cycraig/gym-platform)"
    config: dict[str, Any] = {
        "transform": {"name": "invert"},  # the released code's inverting gradients (always on)
        "env": {"name": "Platform", "id": env_id, "parameterised": True},
        "agent": {"name": f"{agent}{REFERENCE}", **source},
        "seed": seed,
        "experiment": "paper",
        "budget": {"episodes": episodes},
        "eval": {"final_episodes": int(evaluation.size)},
    }
    summary = {
        "schema": 1, "env": "Platform", "env_id": env_id, "transform": "invert", "seed": seed,
        "status": "finished", "steps": steps, "episodes": episodes, "final_eval": final,
        "wall_clock_s": round(data["wall_s"], 3), "git_commit": None, "config": config,
    }  # fmt: skip
    (run / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (run / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    row = [steps, episodes, round(data["wall_s"], 3), *(final[k] for k in ("return_mean", "return_std"))]
    row += [final["return_iqm"], final["n_episodes"]]
    header = "step,episode,wall_s,return_mean,return_std,return_iqm,n_episodes\n"
    (run / "eval.csv").write_text(header + ",".join(map(str, row)) + "\n")
    ends = np.cumsum(lengths)
    lines = ["episode,step,return_mean"]
    for start in range(0, episodes - block + 1, block):
        stop = start + block
        lines.append(f"{stop},{int(ends[stop - 1])},{float(train[start:stop].mean())!r}")
    (run / "train.csv").write_text("\n".join(lines) + "\n")
    return run


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bounded_ddpg.report.reference",
        description="Turn the reference MP-DQN code's output files into run directories the report reads.",
    )
    p.add_argument("save_dir", type=Path, help="the reference's --save-dir")
    p.add_argument("--title", default="PDDQN", help="the reference's --title (output prefix)")
    p.add_argument("--seeds", type=int, nargs="+", required=True)
    p.add_argument("--agent", choices=["ddpg", "pdqn", "mpdqn"], required=True, help="what the code ran")
    p.add_argument("--code", required=True, help="the public repository, e.g. cycraig/MP-DQN")
    p.add_argument("--commit", required=True, help="its commit")
    p.add_argument(
        "--command",
        required=True,
        help="the command run, {seed} standing for the seed (so recorded: one experiment for all seeds)",
    )
    p.add_argument("--block", type=int, default=100, help="episodes per train.csv row (default 100)")
    p.add_argument("--out", type=Path, required=True, help="results folder to write seed<k>/reference/ in")
    a = p.parse_args(argv)
    read: dict[int, dict[str, Any]] = {}
    for seed in a.seeds:  # every seed read before anything is written
        try:
            read[seed] = read_seed(a.save_dir, a.title, seed)
        except (ReferenceError, OSError, KeyError, ValueError) as e:
            print(f"seed {seed}: {e}", file=sys.stderr)
            return 1
    for seed, data in read.items():
        source = {"code": a.code, "commit": a.commit, "command": a.command}
        run = write_run(a.out, seed, data, a.agent, source, a.block)
        print(f"seed {seed}: final evaluation {data['evaluation'].mean():.4f} -> {run}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
