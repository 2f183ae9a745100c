"""Wall-clock of a 5-transform x N-seed Platform grid: separate processes vs batched members of one.

    python benchmarks/bench_grid.py                       # 5 transforms x 3 seeds, 300 episodes each
    python benchmarks/bench_grid.py --seeds 2 --episodes 50   # a smoke run

(a) one `python -m bounded_ddpg.run` per (transform, seed), one after another (what a basic-launcher grid
    does on one core; joblib with n_jobs=k divides this by at most k);
(b) one process with `transforms=[...] seeds=[...]`: all 5N members batched.
Both use the reference PA-DDPG settings (agent=pa_ddpg) with a small evaluation; the printed ratio is the
speedup of batching on one core. Member results are identical in (a) and (b) (tests/test_run.py).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time

TRANSFORMS = ("identity", "clip", "zero", "squash", "invert")


def run(args: list[str], out: str) -> float:
    start = time.perf_counter()
    cmd = [
        sys.executable,
        "-m",
        "bounded_ddpg.run",
        "env=Platform",
        "progress=false",
        f"out_dir={out}",
        *args,
    ]
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=3, help="seeds per transform (default 3)")
    parser.add_argument(
        "--episodes", type=int, default=300, help="training episodes per member (default 300)"
    )
    args = parser.parse_args()
    common = [
        f"budget.episodes={args.episodes}", "budget.steps=null", "eval.every_steps=0",
        "eval.final_episodes=10", "log_every_steps=1000",
    ]  # fmt: skip
    seeds = list(range(args.seeds))
    with tempfile.TemporaryDirectory() as out:
        separate = sum(run([f"transform={t}", f"seed={s}", *common], out) for t in TRANSFORMS for s in seeds)
        batched = run([f"transforms=[{','.join(TRANSFORMS)}]", f"seeds={seeds}", *common], out)
    n = len(TRANSFORMS) * args.seeds
    print(
        f"Platform grid: 5 transforms x {args.seeds} seeds = {n} runs of {args.episodes} episodes, 1 thread"
    )
    print(f"  {n} separate processes, one after another: {separate:8.1f} s")
    print(f"  one process, {n} batched members:        {batched:8.1f} s")
    print(f"  speedup of batching: {separate / batched:.2f}x")


if __name__ == "__main__":
    main()
