"""The training progress bar: its return is the training return, and its episode count is exact."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from bounded_ddpg.progress import RECENT, TrainingBar, training_postfix
from conftest import TINY, Cli, run_dirs


def test_postfix_names_the_training_return_and_is_computed_at_every_draw() -> None:
    assert training_postfix(0, []) == f"episodes=0, training return (last {RECENT} episodes)=-"
    assert training_postfix(7, [1.0, 2.0]) == f"episodes=7, training return (last {RECENT} episodes)=1.5"
    state = {"episodes": 0}
    out = io.StringIO()
    bar = TrainingBar(lambda: training_postfix(state["episodes"], []), total=10, file=out, mininterval=0)
    for k in range(10):
        state["episodes"] = k + 1
        bar.update(1)
    bar.close()
    draws = re.findall(r"episodes=(\d+)", out.getvalue())
    assert draws[-1] == "10"  # the closing line, drawn after the last update without any set_postfix


def test_the_bar_of_a_run_ends_with_its_exact_episode_count(cli: Cli, tmp_path: Path) -> None:
    """Two members batched: the closing line counts every training episode of both, as summary.json does."""
    result = cli("env=Platform", *TINY, "progress=true", "transforms=[identity,invert]")
    assert result.returncode == 0, result.stderr
    summaries = [json.loads((d / "summary.json").read_text()) for d in run_dirs(tmp_path / "runs")]
    assert len(summaries) == 2
    drawn = [ln for ln in result.stderr.replace("\r", "\n").splitlines() if "episodes=" in ln]
    match = re.search(r"episodes=(\d+), training return \(last 20 episodes\)=-?[\d.e+-]+", drawn[-1])
    assert match is not None, drawn[-1]
    assert int(match.group(1)) == sum(s["episodes"] for s in summaries)
    assert " ret=" not in result.stderr  # the old, unlabelled return
