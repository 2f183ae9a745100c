"""Learning, end to end through the real command: DDPG and TD3 swing Pendulum-v1 up in a CI-sized budget.

Random and untrained policies score about -1200 to -1500 on Pendulum; a swing-up policy scores above -200.
With small networks the invert and identity agents reach about -150 after 6000-8000 steps (about 15-25 s on
one core; TD3 + invert, seed 0, evaluated every 2000 steps: -1406 at step 0, -824 at 6000, -143 at 8000), so
the bound -400 on the 10-episode final evaluation leaves a margin and still fails for a broken update.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FAST_DDPG = [
    "env=Pendulum",
    "seed=0",
    "budget.steps=8000",
    "agent.hidden_sizes=[64,64]",
    "agent.batch_size=64",
    "agent.lr_actor=1e-3",
    "agent.learning_starts=1000",
    "eval.every_steps=4000",
    "eval.episodes=5",
    "eval.final_episodes=10",
    "progress=false",
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("agent", "transform", "extra"),
    [("ddpg", "invert", []), ("ddpg", "identity", []), ("td3", "invert", ["agent.lr_critic=1e-3"])],
)
def test_agent_swings_pendulum_up(tmp_path: Path, agent: str, transform: str, extra: list[str]) -> None:
    cmd = [
        sys.executable,
        "-m",
        "bounded_ddpg.run",
        f"agent={agent}",
        f"transform={transform}",
        f"out_dir={tmp_path}",
        *FAST_DDPG,
        *extra,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    (summary_path,) = tmp_path.glob(f"Pendulum/{transform}/seed0/*/summary.json")
    summary = json.loads(summary_path.read_text())
    assert summary["status"] == "finished" and summary["final_eval"]["n_episodes"] == 10
    first_eval = float((summary_path.parent / "eval.csv").read_text().splitlines()[1].split(",")[3])
    assert first_eval < -500  # the untrained policy (step-0 evaluation) does not swing up
    assert summary["final_eval"]["return_mean"] > -400
