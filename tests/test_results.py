"""The published Platform ablation (docs/results.md) regenerates from the per-run files in results/."""

from __future__ import annotations

from pathlib import Path

import pytest

from bounded_ddpg import report

ROOT = Path(__file__).resolve().parents[1]


def test_published_table_regenerates_from_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the table's notes name runs by the path given, as in docs/results.md
    assert len(list(Path("results/platform").glob("*/seed*/*/summary.json"))) == 35
    args = ["results/platform", "--out", str(tmp_path), "--x", "episode", "--unfinished-curves"]
    assert report.main([*args, "--baseline", "zero"]) == 0
    published = ROOT / "docs" / "results" / "platform" / "table.md"
    assert (tmp_path / "table.md").read_text() == published.read_text()
    assert (tmp_path / "curves.png").stat().st_size > 10_000
