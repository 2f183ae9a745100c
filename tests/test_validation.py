"""Bad values are refused before anything is created: every numeric key's range, list lengths, conflicts
between command-line options, keys the schema does not declare, devices that do not exist, and out_dirs that
cannot hold runs. Each error names the key, the value and what is valid; the command exits 2 and the
working directory stays empty (no run directory, no Hydra log)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_module
from omegaconf import DictConfig

from bounded_ddpg import config as schema
from bounded_ddpg import run
from conftest import TINY, Cli

schema.register()

ENVS = (
    "Platform",
    "Goal",
    "Pendulum",
    "MountainCarContinuous",
    "LunarLanderContinuous",
    "Hopper",
    "HalfCheetah",
)


def make(*overrides: str) -> DictConfig:
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        return compose("config", overrides=list(overrides))


def everything_under(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("agent", [None, "ddpg", "td3", "pa_ddpg", "pa_ddpg_goal"])
@pytest.mark.parametrize("experiment", ["default", "paper"])
def test_every_shipped_combination_is_valid(env: str, agent: str | None, experiment: str) -> None:
    """The ranges below refuse nothing that the packaged configs compose (e.g. learning_starts < budget)."""
    schema.validate(make(f"env={env}", f"experiment={experiment}", *([f"agent={agent}"] if agent else [])))


# (override, the value as the message shows it, a fragment of what is valid)
BAD = [
    ("agent.grad_clip=0", "agent.grad_clip=0.0", "> 0 (a max gradient norm), or null"),
    ("agent.grad_clip=-1", "agent.grad_clip=-1.0", "> 0 (a max gradient norm), or null"),
    ("agent.lr_actor=-1", "agent.lr_actor=-1.0", "> 0"),
    ("agent.lr_critic=0", "agent.lr_critic=0.0", "> 0"),
    ("agent.lr_actor=nan", "agent.lr_actor=nan", "finite"),
    ("agent.noise.sigma=-1", "agent.noise.sigma=-1.0", ">= 0"),
    ("agent.noise.theta=1.5", "agent.noise.theta=1.5", "0 <= theta <= 1"),
    ("agent.noise.epsilon_start=5", "agent.noise.epsilon_start=5.0", "0 <= epsilon_start <= 1"),
    ("agent.noise.epsilon_end=-0.1", "agent.noise.epsilon_end=-0.1", "0 <= epsilon_end"),
    ("agent.noise.epsilon_decay_episodes=-1", "agent.noise.epsilon_decay_episodes=-1", ">= 0"),
    ("agent.learning_starts=40000", "agent.learning_starts=40000", "below budget.steps (= 30000)"),
    ("agent.learning_starts=-1", "agent.learning_starts=-1", ">= 0"),
    ("agent.tau=0", "agent.tau=0.0", "0 < tau <= 1"),
    ("agent.tau=1.5", "agent.tau=1.5", "0 < tau <= 1"),
    ("agent.lr_decay=cosine", "agent.lr_decay='cosine'", "none, linear"),
    ("agent.policy_average=0", "agent.policy_average=0.0", "0 < policy_average <= 1"),
    ("agent.policy_average=1.5", "agent.policy_average=1.5", "null (off), or 0 < policy_average <= 1"),
    ("agent.gamma=1.01", "agent.gamma=1.01", "0 <= gamma <= 1"),
    ("agent.policy_noise=-0.2", "agent.policy_noise=-0.2", ">= 0"),
    ("agent.noise_clip=-0.5", "agent.noise_clip=-0.5", ">= 0"),
    ("agent.hidden_sizes=[64,0]", "agent.hidden_sizes=[64,0]", "integers >= 1"),
    ("agent.final_init=-0.1", "agent.final_init=-0.1", ">= 0"),
    ("agent.batch_size=0", "agent.batch_size=0", ">= 1"),
    ("agent.buffer_size=0", "agent.buffer_size=0", ">= 1"),
    ("agent.updates_per_step=0", "agent.updates_per_step=0", ">= 1"),
    ("agent.policy_delay=0", "agent.policy_delay=0", ">= 1"),
    ("agent.actor_bias_init=[0,inf,0,0,0,0]", "agent.actor_bias_init=[0.0,inf,", "finite"),
    ("env.reward_scale=0", "env.reward_scale=0.0", "> 0"),
    ("seed=-1", "seed=-1", "an integer >= 0"),
    ("seeds=[0,-2]", "seeds=[0,-2]", "integers >= 0"),
    ("budget.steps=0", "budget.steps=0", ">= 1, or null"),
    ("budget.episodes=-5", "budget.episodes=-5", ">= 1, or null"),
    ("eval.every_steps=-1", "eval.every_steps=-1", ">= 0"),
    ("eval.episodes=0", "eval.episodes=0", ">= 1"),
    ("eval.final_episodes=0", "eval.final_episodes=0", ">= 1"),
    ("torch_threads=0", "torch_threads=0", ">= 1"),
    ("log_every_steps=0", "log_every_steps=0", ">= 1"),
    ("checkpoint_every_steps=-100", "checkpoint_every_steps=-100", ">= 0"),
    ("run_id=../elsewhere", "run_id='../elsewhere'", "without '/'"),
    ("out_dir=", "out_dir=''", "a non-empty directory path"),
]


@pytest.mark.parametrize(("override", "shown", "valid"), BAD, ids=[b[0] for b in BAD])
def test_out_of_range_values_are_refused_naming_key_value_and_range(
    override: str, shown: str, valid: str
) -> None:
    with pytest.raises(schema.ConfigError) as e:
        schema.validate(make(override))
    line = next(line for line in str(e.value).splitlines() if shown in line)
    assert "valid" in line and valid in line, str(e.value)


def test_epsilon_end_must_not_exceed_epsilon_start() -> None:
    with pytest.raises(
        schema.ConfigError, match=r"epsilon_end=0\.5 is invalid; valid: .*epsilon_start \(= 0\.2"
    ):
        schema.validate(make("agent.noise.epsilon_start=0.2", "agent.noise.epsilon_end=0.5"))


def test_appended_keys_the_schema_does_not_declare_are_refused() -> None:
    with pytest.raises(
        schema.ConfigError, match=r"agent\.lrr=1 is invalid: the schema declares no key 'lrr'"
    ):
        schema.validate(make("+agent.lrr=1"))
    with pytest.raises(
        schema.ConfigError, match=r"agent\.noise\.sigmaa=0\.3 .*Did you mean 'agent\.noise\.sigma'"
    ):
        schema.validate(make("+agent.noise.sigmaa=0.3"))
    with pytest.raises(
        schema.ConfigError, match=r"lr=1 is invalid: the schema declares no key 'lr' in the top"
    ):
        schema.validate(make("+lr=1"))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            ["transform=invert", "transforms=[clip,zero]"],
            "transform=invert and transforms=[clip,zero] are both given",
        ),
        (
            ["transform.name=zero", "transforms=[clip]"],
            "transform.name=zero and transforms=[clip] are both given",
        ),
        (["seed=5", "seeds=[0,1]"], "seed=5 and seeds=[0,1] are both given"),
    ],
)
def test_conflicting_command_line_options_are_refused(overrides: list[str], message: str) -> None:
    with pytest.raises(schema.ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        schema.validate(make(*overrides), overrides)
    schema.validate(make(*overrides[1:]), overrides[1:])  # either one alone is fine
    schema.validate(make(overrides[0]), overrides[:1])


def test_a_cuda_device_that_does_not_exist_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(
        schema.ConfigError, match=r"device='cuda' is not available: .* no CUDA device; valid here: cpu"
    ):
        schema.validate(make("device=cuda"))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    with pytest.raises(schema.ConfigError, match=r"device='cuda:2' is not available: 2 CUDA device\(s\)"):
        schema.validate(make("device=cuda:2"))
    schema.validate(make("device=cuda:1"))


def test_actor_bias_init_must_match_the_action_dimension_before_anything_is_written(tmp_path: Path) -> None:
    cfg = make("env=Platform", "agent.actor_bias_init=[0,0]", f"out_dir={tmp_path / 'runs'}", *TINY)
    schema.validate(cfg)  # the length is only known once the environment is built
    with pytest.raises(
        schema.ConfigError, match=r"actor_bias_init=\[0\.0,0\.0\] has 2 values; valid: null, or 6"
    ):
        run.train_from_config(cfg, overrides=[])
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["agent.grad_clip=0"], ["agent.grad_clip=0.0 is invalid; valid: > 0"]),
        (
            ["transform=invert", "transforms=[clip,zero]", "seed=5", "seeds=[0,1]"],
            ["transform=invert and transforms=[clip,zero]", "seed=5 and seeds=[0,1] are both given"],
        ),
        (["+agent.lrr=1", "seed=-1"], ["agent.lrr=1 is invalid", "lr_actor", "seed=-1 is invalid"]),
        (["agent.actor_bias_init=[0,0]"], ["agent.actor_bias_init=[0.0,0.0] has 2 values"]),
        (
            ["agent=mpdqn", "agent.policy_average=0.01"],
            ["agent.policy_average=0.01 is available for agent=ddpg and agent=td3 only"],  # the agent's
        ),
        (["out_dir="], ["out_dir='' is invalid"]),
        (["-m", "out_dir=", "seed=0,1"], ["out_dir='' is invalid"]),  # before Hydra makes the sweep dir
    ],
)
def test_refused_commands_exit_2_and_leave_nothing_on_disk(
    cli: Cli, tmp_path: Path, args: list[str], needles: list[str]
) -> None:
    result = cli(*args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert all(n in result.stderr for n in needles), result.stderr
    assert everything_under(tmp_path) == []  # not even Hydra's .hydra/ log


def test_device_cuda_without_cuda_exits_2(cli: Cli, tmp_path: Path) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    result = cli("device=cuda")
    assert result.returncode == 2 and "device='cuda' is not available" in result.stderr, result.stderr
    assert everything_under(tmp_path) == []


def test_an_out_dir_that_cannot_hold_runs_is_one_line(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    for out_dir, message in [
        ("afile", "out_dir='afile' is invalid: it is a file, not a directory"),
        ("afile/runs", "is a file, not a directory"),
        ("/proc/bounded_ddpg_runs", "cannot create the run directory's parent /proc/bounded_ddpg_runs/"),
    ]:
        result = cli(f"out_dir={out_dir}", *TINY)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) <= 2, result.stderr  # "error: invalid config:" + 1
    assert everything_under(tmp_path) == ["afile"]
    if os.geteuid() != 0:  # root may write anywhere
        (tmp_path / "ro").mkdir(mode=0o500)
        result = cli(f"out_dir={tmp_path / 'ro' / 'runs'}", *TINY)
        assert result.returncode == 2 and "is not writable" in result.stderr, result.stderr
