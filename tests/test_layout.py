"""The layout is the architecture: the report needs no training code; nothing below the loop imports it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "bounded_ddpg"
TRAINING = ("train", "agents", "actor_step", "replay", "noise", "networks", "run", "resume", "evaluation",
            "cuda_graph", "compiled", "traced_adam")  # fmt: skip


def imported_modules(path: Path) -> set[str]:
    """Every bounded_ddpg module a file imports (at any level, including TYPE_CHECKING blocks)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bounded_ddpg"):
            out |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("bounded_ddpg")}
    return out


def test_the_report_imports_no_training_code() -> None:
    code = (
        "import sys, bounded_ddpg.report\n"
        "print(' '.join(m for m in sys.modules if m.startswith('bounded_ddpg') or m == 'torch'))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    modules = loaded.split()
    assert "bounded_ddpg.report.cli" in modules
    assert not [m for m in modules if m == "torch" or (m.split(".")[1:2] and m.split(".")[1] in TRAINING)]
    for path in (PACKAGE / "report").glob("*.py"):
        assert not [m for m in imported_modules(path) if m.split(".")[1:2] and m.split(".")[1] in TRAINING]


def test_nothing_below_the_training_loop_imports_it() -> None:
    for path in PACKAGE.rglob("*.py"):
        if path.name in ("train.py", "run.py"):
            continue
        assert "bounded_ddpg.train" not in imported_modules(path), path
        assert "bounded_ddpg.run" not in imported_modules(path), path


def test_every_agent_takes_its_actor_gradient_from_the_one_seam() -> None:
    """No agent computes dQ/da or the surrogate itself: each imports actor_update and calls it."""
    agents = [p for p in (PACKAGE / "agents").glob("*.py") if p.name != "__init__.py"]
    assert len(agents) >= 2
    for path in agents:
        source = path.read_text()
        assert "autograd.grad" not in source, path
        if "def update_actor" in source:
            assert "actor_update(" in source and "bounded_ddpg.actor_step.actor_update" in imported_modules(
                path
            )
