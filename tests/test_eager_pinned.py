"""Compile off, the numbers stay bit for bit: eager updates and short runs against recorded sha256 digests.

agent.compile (compiled.py) and whatever speeds up the update later must leave the eager path, which made
every published result, unchanged. These tests pin it: for every agent (DDPG, TD3, P-DQN, MP-DQN), one
member and a batch carrying every built-in transform, 20 eager updates from fixed batches end in exactly the
parameters, targets and Adam state recorded in tests/golden/eager_digests.json; and two short command-line
runs (the mission's, and MP-DQN's) write exactly the evaluation and training metrics recorded there.

Float results depend on the torch build and on which SIMD kernels the CPU runs, so each recording holds
only for the torch version and CPU capability it was made with (kept beside its digests); where no
recording matches, the tests skip, naming what is recorded. Set UPDATE_GOLDEN=1 to record (or replace) the
digests of the machine at hand, and say why in the commit: a change of these digests is a change of every
eager result.

Recorded with torch 2.13.0+cpu on AVX2 (2026-12-03) and on AVX512 (2026-12-04). For both, the code of
824898a, the last commit before agent.compile existed, gives the same digests (this file and
test_compile.py's agent and batch builders run against it), so the compiled update's work left eager bit
for bit as it was.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import platform
from pathlib import Path
from typing import Any

import pytest
import torch

from conftest import TINY, Cli, run_dirs
from test_compile import ALL, batches, make_agent, tensors

GOLDEN = Path(__file__).parent / "golden" / "eager_digests.json"
N_UPDATES = 20
# The short runs: the mission's command, and MP-DQN (the parameterised path: K passes, discrete head).
RUNS = {
    "mission": ("transform=invert", "env=Platform"),
    "mpdqn": ("agent=mpdqn", "env=Platform", "transform=zero"),
}


def where() -> dict[str, str]:
    """What the digests depend on besides the code."""
    return {
        "torch": torch.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "machine": platform.machine(),
    }


def recorded() -> list[dict[str, Any]]:
    """The recordings: one per (torch, CPU capability, machine), each {"recorded_with", "digests"}."""
    return json.loads(GOLDEN.read_text())["recordings"] if GOLDEN.is_file() else []


def check(key: str, digest: str) -> None:
    """Compare with the digest recorded for this machine (or record it, with UPDATE_GOLDEN=1)."""
    recordings, here = recorded(), where()
    mine = next((r for r in recordings if r["recorded_with"] == here), None)
    if os.environ.get("UPDATE_GOLDEN"):
        if mine is None:
            mine = {"recorded_with": here, "digests": {}}
            recordings.append(mine)
        mine["digests"][key] = digest
        recordings.sort(key=lambda r: json.dumps(r["recorded_with"], sort_keys=True))
        GOLDEN.write_text(json.dumps({"recordings": recordings}, indent=1, sort_keys=True) + "\n")
        return
    if mine is None:
        pytest.skip(f"digests recorded with {[r['recorded_with'] for r in recordings]}; here {here}")
    assert digest == mine["digests"][key], f"{key}: the eager numbers changed"


def sha(parts: list[bytes]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "little") + part)
    return h.hexdigest()


@pytest.mark.parametrize("members", [1, len(ALL)])
@pytest.mark.parametrize("name", ["ddpg", "td3", "pdqn", "mpdqn"])
def test_eager_updates_are_bit_for_bit_as_recorded(name: str, members: int) -> None:
    agent = make_agent(name, list(range(members)))
    data = batches(members, N_UPDATES)
    metrics = [agent.update(b) for b in data]
    state = tensors(agent)
    assert len(state) > 10 and agent.num_updates == N_UPDATES
    # the digest would not notice an update that does nothing: every trained actor weight moved (P-DQN's
    # passthrough layer is fixed)
    fresh = tensors(make_agent(name, list(range(members))))
    trained = [k for k in state if k.startswith("actor.") and k.endswith("weight") and "passthrough" not in k]
    assert len(trained) >= 2 and all(not torch.equal(state[k], fresh[k]) for k in trained)
    parts = [k.encode() + state[k].detach().contiguous().numpy().tobytes() for k in sorted(state)]
    parts += [repr(sorted((k, float(v.sum())) for k, v in m.items())).encode() for m in metrics]
    check(f"update/{name}/M={members}", sha(parts))


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return [{k: v for k, v in row.items() if k != "wall_s"} for row in csv.DictReader(f)]


@pytest.mark.parametrize("run", sorted(RUNS))
def test_short_runs_are_bit_for_bit_as_recorded(cli: Cli, tmp_path: Path, run: str) -> None:
    result = cli(*RUNS[run], "seed=3", *TINY)
    assert result.returncode == 0, result.stderr
    (run_dir,) = run_dirs(tmp_path / "runs")
    evals, metrics = _rows(run_dir / "eval.csv"), _rows(run_dir / "metrics.csv")
    assert len(evals) == 3 and len(metrics) > 0
    summary = json.loads((run_dir / "summary.json").read_text())
    parts = [
        json.dumps(evals).encode(),
        json.dumps(metrics).encode(),
        json.dumps(summary["final_eval"]).encode(),
    ]
    check(f"run/{run}", sha(parts))
