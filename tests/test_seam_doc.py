"""docs/seam.md: its Python snippets run as written, and its diff is what the CleanRL examples contain."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "seam.md").read_text()


@pytest.mark.slow
def test_the_python_snippets_run_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```python\n(.*?)\n```", DOC, flags=re.S)
    assert len(blocks) == 4
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "docs/seam.md", "exec"), namespace)
    actor, model = namespace["actor"], namespace["model"]
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in actor.parameters())  # type: ignore[attr-defined]
    assert type(model).__name__ == "TD3" and model.num_timesteps == 100  # type: ignore[attr-defined]


@pytest.mark.parametrize("example", ["cleanrl_ddpg", "cleanrl_td3"])
def test_the_diff_against_cleanrl_is_what_the_examples_contain(example: str) -> None:
    (diff,) = re.findall(r"```diff\n(.*?)\n```", DOC, flags=re.S)
    source = (ROOT / "examples" / f"{example}.py").read_text()
    added = [line[1:].split("  #")[0].strip() for line in diff.splitlines() if line.startswith("+")]
    removed = [line[1:].strip() for line in diff.splitlines() if line.startswith("-")]
    assert len(added) == 4 and len(removed) == 2
    for line in added:
        assert line in source, line
    for line in removed:
        assert line not in source, line
    assert "torch.tanh" not in source
