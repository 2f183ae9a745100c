"""Bad input fails clearly, with a non-zero exit, and leaves existing run directories untouched.

Already covered elsewhere (not repeated here): unknown keys, wrong types and invalid choices at composition
(tests/test_config.py: test_schema_refuses_unknown_keys_and_wrong_types,
test_validate_names_the_key_and_the_valid_choices, test_validate_ranges) and through the CLI
(tests/test_run.py: test_bad_options_fail_cleanly_without_a_run_directory, including ``seed=abc``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
from pathlib import Path

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_module

from bounded_ddpg import checkpoint, run
from bounded_ddpg.envs import record
from bounded_ddpg.envs.factory import make_env
from conftest import Cli, run_dirs
from test_resume import RUN, start, wait_for

SEED_DIR = Path("runs/Pendulum/invert/seed0/x")


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory holding one run stopped by SIGTERM after its first periodic checkpoint."""
    work = tmp_path_factory.mktemp("interrupted")
    proc = start(work, "run_id=x")
    wait_for(proc, work / SEED_DIR / "checkpoint.pt")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 143
    return work


@pytest.fixture
def copy(interrupted: Path, tmp_path: Path) -> Path:
    """This test's own copy of the interrupted run directory."""
    shutil.copytree(interrupted / "runs", tmp_path / "runs")
    return tmp_path / SEED_DIR


def digest(run_dir: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(run_dir.iterdir()) if p.is_file()
    }


def resume_in_process(tmp_path: Path) -> None:
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        cfg = compose("config", overrides=[*RUN, "run_id=x", f"out_dir={tmp_path / 'runs'}"])
    run.train_from_config(cfg)


@pytest.mark.parametrize("damage", ["truncate", "garble"])
def test_damaged_checkpoint_is_named_and_nothing_is_overwritten(cli: Cli, copy: Path, damage: str) -> None:
    data = (copy / "checkpoint.pt").read_bytes()
    damaged = data[: len(data) // 3] if damage == "truncate" else data[:100] + bytes(len(data) - 100)
    (copy / "checkpoint.pt").write_bytes(damaged)
    before = digest(copy)
    result = cli(*RUN, "run_id=x")
    assert result.returncode == 2
    assert "cannot read checkpoint" in result.stderr and str(SEED_DIR / "checkpoint.pt") in result.stderr
    assert "weights_only" not in result.stderr and "Traceback" not in result.stderr
    assert digest(copy) == before


class Foreign:
    """Not a tensor, number or string: a weights-only load refuses it."""


@pytest.mark.parametrize("kind", ["foreign object", "random bytes", "empty", "truncated zip"])
def test_a_garbage_checkpoint_is_never_loaded_and_the_message_never_says_how_to(
    tmp_path: Path, kind: str
) -> None:
    """torch's own refusal advises ``weights_only=False`` (arbitrary code execution): never repeat that."""
    path = tmp_path / "checkpoint.pt"
    if kind == "foreign object":
        torch.save({"format": 1, "x": Foreign()}, path)
    else:
        torch.save({"format": 1}, tmp_path / "ok.pt")
        data = {"random bytes": bytes(range(256)) * 10, "empty": b""}.get(
            kind, (tmp_path / "ok.pt").read_bytes()[:60]
        )
        path.write_bytes(data)
    with pytest.raises(checkpoint.CheckpointError) as e:
        checkpoint.load(path)
    message = str(e.value)
    assert message.startswith(f"cannot read checkpoint {path} (") and "Move it away" in message
    assert "weights_only" not in message and "trust" not in message and "\n" not in message


def test_record_with_an_unknown_env_is_a_clean_error(capsys: pytest.CaptureFixture[str]) -> None:
    for env, message in [
        ("Nope", "unknown environment id 'Nope'; known ids: "),
        ("Pendulum-v1", "only Platform"),
    ]:
        with pytest.raises(SystemExit) as e:
            record.main(["--env", env, "--out", "never.gif"])
        assert e.value.code == 2 and message in capsys.readouterr().err
    assert not Path("never.gif").exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("summary.json", "{not json", "summary.json is not valid JSON"),
        ("summary.json", "[]", "summary.json has no status"),
        ("config.yaml", None, "has no config.yaml"),
        ("config.yaml", "a: [", "config.yaml is not readable YAML"),
        ("config.yaml", "- 1\n", "config.yaml does not hold a config mapping"),
    ],
)
def test_damaged_run_directory_is_refused_untouched(
    copy: Path, tmp_path: Path, name: str, content: str | None, message: str
) -> None:
    if content is None:
        (copy / name).unlink()
    else:
        (copy / name).write_text(content)
    before = digest(copy)
    with pytest.raises(run.schema.ConfigError, match=message):
        resume_in_process(tmp_path)
    assert digest(copy) == before


def test_a_different_command_cannot_resume_the_run(copy: Path, tmp_path: Path) -> None:
    config = (copy / "config.yaml").read_text()
    (copy / "config.yaml").write_text(config.replace("batch_size: 8", "batch_size: 9"))
    with pytest.raises(run.schema.ConfigError, match=r"differs from its config.yaml in agent\.batch_size"):
        resume_in_process(tmp_path)


def test_missing_summary_resumes_as_documented(copy: Path, tmp_path: Path) -> None:
    """No summary.json (killed before the first one was written): the run resumes from its checkpoint."""
    (copy / "summary.json").unlink()
    step = checkpoint.load(copy / "checkpoint.pt")["step"]
    resume_in_process(tmp_path)
    summary = json.loads((copy / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["steps"] == 800 > step
    assert [d.name for d in run_dirs(tmp_path / "runs")] == ["x"]


def test_invalid_environment_actions_raise() -> None:
    env = make_env("bounded_ddpg/Platform-v0")
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"action shape \(3,\) != \(6,\)"):
        env.step(np.zeros(3, dtype=np.float32))


@pytest.mark.parametrize(
    ("override", "needles"),
    [
        ("seeds=None", ["seeds", "None"]),  # a YAML null in a sweep file arrives as the string None
        ("budget.steps=1.5", ["budget.steps", "1.5"]),
        ("agent.lr_actor=fast", ["agent.lr_actor", "fast"]),
    ],
)
def test_sweep_values_of_the_wrong_type_fail_clearly(
    cli: Cli, tmp_path: Path, override: str, needles: list[str]
) -> None:
    """What `wandb agent` runs: `python -m bounded_ddpg.run env=Pendulum <key>=<value> ...`."""
    result = cli("env=Pendulum", override, "progress=false")
    assert result.returncode != 0
    assert all(n in result.stderr for n in needles), result.stderr
    assert run_dirs(tmp_path / "runs") == []
