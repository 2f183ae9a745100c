"""docs/extending.md, executed as written: a user's transform in a fresh directory, and the gymnasium ids."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import warnings
from pathlib import Path

import gymnasium as gym
import pytest
import yaml
from gymnasium.utils.env_checker import check_env

import bounded_ddpg.envs
from conftest import child_env, run_dirs

DOC = Path(__file__).resolve().parents[1] / "docs" / "extending.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
FILE_HEADER = re.compile(r"(?:# @package \S+\n)?# ([\w/]+\.(?:py|yaml))\n")  # a package header comes first


def section(title: str) -> str:
    text = DOC.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def blocks(title: str, lang: str) -> list[str]:
    return [body for kind, body in FENCE.findall(section(title)) if kind == lang]


def write_files(title: str, root: Path) -> list[str]:
    """Every block of the section that starts with `# <relative path>`, written there."""
    written = []
    for lang in ("python", "yaml"):
        for body in blocks(title, lang):
            if m := FILE_HEADER.match(body):
                (root / m.group(1)).parent.mkdir(parents=True, exist_ok=True)
                (root / m.group(1)).write_text(body)
                written.append(m.group(1))
    return written


def user_env() -> dict[str, str]:
    env = child_env()
    for key in ("PYTHONPATH", "PYTHONSAFEPATH"):
        env.pop(key, None)  # the user's module must be found from the working directory alone
    return env


def shell(line: str, cwd: Path, timeout: float = 400) -> subprocess.CompletedProcess[str]:
    argv = shlex.split(line)
    assert argv[0] == "python", line
    return subprocess.run(
        [sys.executable, *argv[1:]], cwd=cwd, env=user_env(), capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip


@pytest.mark.slow
def test_your_own_transform_in_five_minutes(tmp_path: Path) -> None:
    title = "Your own transform in five minutes"
    assert sorted(write_files(title, tmp_path)) == ["conf/transform/mine.yaml", "mylab/transforms.py"]
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == [
        "conf/transform/mine.yaml", "mylab/transforms.py",
    ]  # fmt: skip
    commands = [ln for ln in blocks(title, "bash")[0].splitlines() if ln.startswith("python -m bounded_ddpg")]
    assert [c.split()[2] for c in commands] == ["bounded_ddpg.run", "bounded_ddpg.report"]
    assert "transform=mine env=Pendulum budget.steps=2000" in commands[0]

    train = shell(commands[0], tmp_path)
    assert train.returncode == 0, train.stderr
    (run,) = run_dirs(tmp_path / "runs")
    assert run.relative_to(tmp_path / "runs").parts[:3] == ("Pendulum", "mine", "seed0")
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["transform"] == {"name": "mine", "_target_": "mylab.transforms.Soft", "keep": 0.1}
    summary = json.loads((run / "summary.json").read_text())
    assert (summary["transform"], summary["status"]) == ("mine", "finished")
    metrics = (run / "metrics.csv").read_text().splitlines()
    header, last = metrics[0].split(","), metrics[-1].split(",")
    assert float(last[header.index("g_u_norm")]) > 0  # the actor was updated through the user's class

    report = shell(commands[1], tmp_path, timeout=200)
    assert report.returncode == 0, report.stderr
    assert re.search(r"^Pendulum\s+mine\s+1\s+0\s", report.stdout, re.M), report.stdout
    assert "| Pendulum | mine      |   1 |" in (tmp_path / "report" / "table.md").read_text()

    # the experiment file of "Your own configs" composes in the same directory
    assert write_files("Your own configs: `conf/` in the working directory", tmp_path) == [
        "conf/experiment/mine_vs_zero.yaml"
    ]
    composed = shell("python -m bounded_ddpg.run experiment=mine_vs_zero --cfg job", tmp_path, timeout=120)
    assert composed.returncode == 0, composed.stderr
    job = yaml.safe_load(composed.stdout)
    assert job["transforms"] == ["zero", "mine", {"name": "mine", "keep": 0.5}]
    assert (job["env"]["name"], job["seeds"], job["experiment"], job["budget"]["steps"]) == (
        "Pendulum", [0, 1, 2, 3, 4], "paper", 20000,
    )  # fmt: skip


def test_box_learner_snippet_trains_on_a_flat_view_in_a_fresh_interpreter(tmp_path: Path) -> None:
    (snippet,) = [b for b in blocks("The environments from any gymnasium learner", "python") if "hill" in b]
    assert "import bounded_ddpg" not in snippet  # the id alone brings the package in
    out = subprocess.run(
        [sys.executable, "-c", snippet], cwd=tmp_path, env=user_env(), capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    first, best = map(float, re.fullmatch(r"mean return (\S+) -> (\S+)\n", out.stdout).groups())  # type: ignore[union-attr]
    assert best > first  # the hill climber found a better linear policy through the flat Box


def test_ids_in_a_fresh_interpreter(tmp_path: Path) -> None:
    """gymnasium 1.x has no plugin loader: the module-prefixed id works alone, the plain id after import."""
    code = (
        "import gymnasium as gym, sys\n"
        "try:\n"
        "    gym.make('bounded_ddpg/Platform-v0')\n"
        "except gym.error.NamespaceNotFound:\n"
        "    print('plain id needs the import')\n"
        "assert 'bounded_ddpg' not in sys.modules\n"
        "for i in ('Platform-v0', 'Goal-v0', 'PlatformFlat-v0', 'GoalFlat-v0'):\n"
        "    e = gym.make(f'bounded_ddpg:bounded_ddpg/{i}')\n"
        "    e.reset(seed=0)\n"
        "    print(e.spec.id, e.action_space)\n"
        "import bounded_ddpg\n"
        "print(gym.make('bounded_ddpg/Goal-v0').spec.id)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=user_env(), capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "plain id needs the import"
    assert lines[3:5] == [
        "bounded_ddpg/PlatformFlat-v0 Box(-1.0, 1.0, (6,), float32)",
        "bounded_ddpg/GoalFlat-v0 Box(-1.0, 1.0, (7,), float32)",
    ]
    assert (
        lines[1].startswith("bounded_ddpg/Platform-v0 Tuple(Discrete(3)")
        and lines[5] == "bounded_ddpg/Goal-v0"
    )


@pytest.mark.parametrize("env_id", [bounded_ddpg.envs.PLATFORM_FLAT_ID, bounded_ddpg.envs.GOAL_FLAT_ID])
def test_flat_views_pass_the_env_checker_without_a_warning(env_id: str) -> None:
    env = gym.make(env_id)
    assert env.get_wrapper_attr("n_discrete") == 3 and env.action_space.shape[0] > 3  # type: ignore[index]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # check_env's own remark about any wrapped env (gym.make always wraps): not about the flat view
        warnings.filterwarnings("ignore", message=".*different from the unwrapped version.*")
        check_env(env, skip_render_check=True)


@pytest.mark.parametrize("env_id", [bounded_ddpg.envs.PLATFORM_ID, bounded_ddpg.envs.GOAL_ID])
def test_native_envs_pass_the_env_checker(env_id: str) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(unwrapped|symmetric and normalized).*")
        check_env(gym.make(env_id), skip_render_check=True)
