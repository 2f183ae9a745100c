"""The published ablation (docs/results.md) regenerates from the per-run files in results/."""

from __future__ import annotations

from pathlib import Path

import pytest

from bounded_ddpg import report

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
