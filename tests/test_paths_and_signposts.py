"""Hostile paths and what a pip user meets: an out_dir nobody can reach, a unicode out_dir, `--help | head`,
an experiment that only the repository has, the per-member log line, a refused multirun job.

Real commands in subprocesses (the `cli` fixture: `python -m bounded_ddpg.run` in tmp_path).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import TINY, Cli, child_env, run_dirs

REPO_CONF = Path(__file__).resolve().parents[1] / "conf"


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory every user may enter (tmp_path is private to its owner), removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="bounded-ddpg-paths-"))
    root.chmod(0o755)
    yield root
    for path in (root, *root.rglob("*")):
        path.chmod(0o755)
    shutil.rmtree(root)


def test_an_out_dir_below_an_unsearchable_directory_is_a_clean_exit_2(shared_dir: Path) -> None:
    """chmod 000 on a parent of out_dir. Root ignores permissions, so as root the command runs as `nobody`
    (setpriv); as any other user it runs as that user. Either way it is a real unsearchable directory
    and the real permission check of the kernel."""
    locked = shared_dir / "locked"
    locked.mkdir()
    locked.chmod(0o000)
    command = [sys.executable, "-m", "bounded_ddpg.run", f"out_dir={locked}/runs", *TINY]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("as root, the check needs setpriv to run as an unprivileged user")
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        probe = [*as_nobody, sys.executable, "-c", "import bounded_ddpg"]
        if subprocess.run(probe, cwd=shared_dir, env=child_env(), capture_output=True).returncode != 0:
            pytest.skip("the unprivileged user cannot import bounded_ddpg from this checkout or venv (e.g. a "
                        "checkout below a directory private to root, as mktemp -d makes)")  # fmt: skip
        command = [*as_nobody, *command]
    result = subprocess.run(
        command, cwd=shared_dir, env=child_env(), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"error: invalid config:\n  out_dir='{locked}/runs' is invalid: {locked} cannot be searched by this "
        f"user (no execute permission), so nothing below it can be reached\n"
    )
    assert sorted(p.name for p in shared_dir.iterdir()) == ["locked"]  # nothing else created


def test_a_unicode_out_dir_works_unquoted_and_quoted(cli: Cli, tmp_path: Path) -> None:
    short = (*TINY, "budget.steps=40", "eval.every_steps=0")
    for arg in ("out_dir=ünïcödé", 'out_dir="ünïcödé"'):
        result = cli(arg, *short)
        assert result.returncode == 0, result.stderr
    assert len(run_dirs(tmp_path / "ünïcödé")) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ünïcödé"]


def test_help_piped_into_a_reader_that_stops_early_ends_quietly(tmp_path: Path) -> None:
    """`bounded-ddpg --help | head`: the reader closes the pipe after a few bytes."""
    for _ in range(3):  # the race between Python's writes and the reader's exit goes either way
        proc = subprocess.Popen(
            [sys.executable, "-m", "bounded_ddpg.run", "--help"],
            cwd=tmp_path, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.read(40).startswith(b"== bounded_ddpg")
        proc.stdout.close()
        stderr = proc.stderr.read().decode()
        assert proc.wait(timeout=60) in (0, 141) and stderr == ""


def test_help_points_to_docs_in_the_repository(cli: Cli) -> None:
    result = cli("--help")
    assert result.returncode == 0
    assert "Full reference: docs/running.md in the repository" in result.stdout


def test_an_experiment_only_the_repository_has_gets_a_hint(cli: Cli) -> None:
    """tmp_path has no conf/: an installed package's situation. The hint's --config-dir works."""
    result = cli("experiment=platform_invert_lrdecay")
    assert result.returncode == 1
    assert "hint: experiment=platform_invert_lrdecay is not one this installation ships" in result.stderr
    assert "--config-dir <checkout>/conf" in result.stderr
    found = cli("--config-dir", str(REPO_CONF), "experiment=platform_invert_lrdecay", "--cfg", "job")
    assert found.returncode == 0, found.stderr
    assert "lr_decay: linear" in found.stdout and "run_id: lrdecay" in found.stdout
    shipped = cli("experiment=paper", "--cfg", "job")
    assert shipped.returncode == 0 and "hint" not in shipped.stderr


def test_the_member_log_line_names_the_transform_and_a_refused_multirun_job_is_named(cli: Cli) -> None:
    short = ("env=Pendulum", *TINY, "budget.steps=40", "eval.every_steps=0")
    result = cli(*short, "transform=clip")
    assert result.returncode == 0, result.stderr
    assert "Pendulum clip seed 0: finished, final eval return" in result.stdout
    refused = cli("-m", *short, "agent.learning_starts=10,100")  # job 1: learning never starts
    assert refused.returncode == 2
    (line,) = [x for x in refused.stderr.splitlines() if x.startswith("error: multirun job 1 (")]
    assert "agent.learning_starts=100" in line and line.endswith("): invalid config:")
