"""The mission command end to end: eager against ``agent.compile=true``, side by side in one run.

    python benchmarks/bench_mission.py                  # 2 interleaved repeats of README's first command
    python benchmarks/bench_mission.py --steps 3000 --repeats 1   # a smoke run (budget.steps=3000)
    python benchmarks/bench_mission.py --cold-cache     # each compile from an empty inductor cache

Runs ``python -m bounded_ddpg.run transform=invert env=Platform`` (README's first command: PA-DDPG on
Platform, one member, 30,000 steps, 50 evaluation episodes every 2,000 steps and 200 at the end) as
separate processes, one torch thread each, alternately with ``agent.compile=false`` and ``true``, each in a
fresh temporary directory. Timed: the whole process (start-up, compile, training, evaluations), and the
training loop alone as its last metrics.csv row's ``wall_s`` (the compile, made at the first update, is in
both; inductor caches compiled code on disk, so after a machine's first compiled run a compile takes
seconds: ``--cold-cache`` gives each compiled run an empty cache, as on a user's first run). The report
gives medians and the ratio eager / compiled of each.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MISSION = ("transform=invert", "env=Platform")


def run_once(compile: bool, steps: int | None, cold_cache: bool) -> tuple[float, float]:
    """(whole process seconds, training seconds from metrics.csv) of one mission run."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        if cold_cache:
            env["TORCHINDUCTOR_CACHE_DIR"] = f"{tmp}/inductor"
        args = [*MISSION, f"agent.compile={str(compile).lower()}", f"out_dir={tmp}/runs",
                f"hydra.run.dir={tmp}/hydra", "progress=false"]  # fmt: skip
        if steps is not None:
            args.append(f"budget.steps={steps}")
        start = time.perf_counter()
        cmd = [sys.executable, "-m", "bounded_ddpg.run", *args]
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        whole = time.perf_counter() - start
        (metrics,) = Path(tmp, "runs").glob("*/*/seed*/*/metrics.csv")
        with metrics.open() as f:
            last = list(csv.DictReader(f))[-1]
        return whole, float(last["wall_s"])


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--steps", type=int, default=None, help="budget.steps (default: the command's own)")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved pairs (default 2)")
    parser.add_argument("--cold-cache", action="store_true", help="an empty inductor cache per compiled run")
    args = parser.parse_args()
    times: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for i in range(args.repeats):
        for compile in (False, True) if i % 2 == 0 else (True, False):
            times[compile].append(run_once(compile, args.steps, args.cold_cache))
            whole, train = times[compile][-1]
            print(f"  agent.compile={str(compile).lower()}: {whole:.1f} s in all, {train:.1f} s training")
    medians = {c: [statistics.median(t[k] for t in times[c]) for k in (0, 1)] for c in times}
    cache = "an empty inductor cache per compiled run" if args.cold_cache else "inductor's cache as found"
    print(f"mission command ({' '.join(MISSION)}), {cache}, medians of {args.repeats}, seconds:")
    for k, what in enumerate(("whole process (compile included)", "training loop (metrics.csv wall_s)")):
        eager, compiled = medians[False][k], medians[True][k]
        ratio = eager / compiled
        print(f"  {what}: eager {eager:.1f}, compiled {compiled:.1f}, eager / compiled {ratio:.2f}x")


if __name__ == "__main__":
    main()
