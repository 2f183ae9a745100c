"""Numbers quoted in the docs are what their commands produce (runs are deterministic on one kind of CPU)."""

from __future__ import annotations

import csv
import re
import shlex
from pathlib import Path

import pytest
import torch

from conftest import Cli, run_dirs

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_running_md_example_trajectory(cli: Cli, tmp_path: Path) -> None:
    """docs/running.md's example run: its first five evaluations, bit for bit as the row of this CPU kind
    (AVX2 or AVX512: MKL's kernels, and so the trajectory, differ between them)."""
    text = (ROOT / "docs" / "running.md").read_text()
    table = text.split("<!-- numbers checked by tests/test_docs.py::test_running_md_example_trajectory -->")[
        1
    ]
    head, _, *rows = _table_lines(table)
    steps = [int(c.split()[0]) for c in head.strip("|").split("|")[1:]]
    recorded = {}
    for row in rows:
        label, *cells = [c.strip() for c in row.strip("|").split("|")]
        recorded[label.removeprefix("return (").removesuffix(")")] = [float(c) for c in cells]
    assert set(recorded) == {"AVX2", "AVX512"} and all(len(r) == len(steps) for r in recorded.values())
    capability = torch.backends.cpu.get_cpu_capability()
    if capability not in recorded:
        pytest.skip(f"trajectories recorded on {sorted(recorded)} CPUs; this one is {capability}")
    (command,) = re.findall(
        r"```bash\n(python -m bounded_ddpg\.run [^\n]*budget\.steps=(\d+)[^\n]*)\n```", table
    )
    args, budget = shlex.split(command[0])[3:], int(command[1])
    result = cli(*args, "progress=false", timeout=600)
    assert result.returncode == 0, result.stderr
    (run_dir,) = run_dirs(tmp_path / "runs")
    with open(run_dir / "eval.csv", newline="") as f:
        got = [(int(r["step"]), round(float(r["return_mean"]), 2)) for r in csv.DictReader(f)]
    quoted = [(s, r) for s, r in zip(steps, recorded[capability]) if s <= budget]
    assert len(quoted) == 5 and got == quoted


def _table_lines(text: str) -> list[str]:
    """The first Markdown table in `text` (its consecutive lines starting with '|')."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return lines[start:end]


@pytest.mark.parametrize("doc", ["README.md", "docs/results.md"])
def test_main_table_in_the_docs_is_the_report_s(doc: str) -> None:
    """README's and docs/results.md's main table is docs/results/main/main.md's (which test_results.py
    regenerates from results/), line for line."""
    main = _table_lines((ROOT / "docs/results/main/main.md").read_text())
    text = (ROOT / doc).read_text()
    marker = "<!-- the main table: docs/results/main/main.md -->"
    assert marker in text, f"{doc} lacks {marker}"
    assert _table_lines(text.split(marker, 1)[1]) == main


def test_readme_test_command_is_the_one_ci_runs() -> None:
    """README's two commands stay: install-and-run, and the test command that .ci/run runs verbatim."""
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)\n```", readme, flags=re.S)
    main_job = "bounded_ddpg.run transform=invert env=Platform"
    assert any("pip install -e ." in b and main_job in b for b in blocks)
    tests = readme.split("\n## Tests\n", 1)[1]
    (command,) = re.findall(r"```bash\n(.*?)\n```", tests.split("\n## ", 1)[0], flags=re.S)
    ci = (ROOT / ".ci" / "run").read_text().split("# --- the README's test command", 1)[1].splitlines()[1]
    assert command.endswith(ci.replace("pip install -q ", "pip install ")), (command, ci)  # CI's pip is quiet
