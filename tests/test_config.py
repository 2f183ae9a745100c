"""Composition of the packaged configs (Hydra's compose API), the schema and validation."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_module
from hydra.errors import ConfigCompositionException
from omegaconf import DictConfig, OmegaConf

from bounded_ddpg import agents, transform_config
from bounded_ddpg import config as schema
from bounded_ddpg.envs.factory import make_env
from bounded_ddpg.replay import ReplayBuffer

ENVS = (
    "Platform",
    "Goal",
    "Pendulum",
    "MountainCarContinuous",
    "LunarLanderContinuous",
    "Hopper",
    "HalfCheetah",
)
TRANSFORMS = ("identity", "clip", "zero", "squash", "invert", "penalty")
REPO = Path(__file__).resolve().parents[1]

schema.register()


def make(*overrides: str) -> DictConfig:
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        return compose("config", overrides=list(overrides))


@pytest.mark.parametrize("env", ENVS)
def test_every_env_composes_validates_and_picks_its_agent_preset(env: str) -> None:
    cfg = make(f"env={env}")
    schema.validate(cfg)
    assert cfg.env.name == env
    expected = {"Platform": [256, 128], "Goal": [128, 64]}.get(env, [256, 256])
    assert list(cfg.agent.hidden_sizes) == expected
    assert make(f"env={env}", "agent=ddpg").agent.hidden_sizes == [256, 256]  # the command line wins
    paper = make(f"env={env}", "experiment=paper")
    assert paper.experiment == "paper" and (paper.budget, paper.eval) != (cfg.budget, cfg.eval)


@pytest.mark.parametrize("env", ENVS)
def test_td3_composes_with_every_env_and_trains_on_it(env: str) -> None:
    """`agent=td3 env=X` takes CleanRL's TD3 values and updates on X's real spaces (one step, two updates)."""
    cfg = make(f"env={env}", "agent=td3", "transform=invert")
    schema.validate(cfg)
    a = cfg.agent
    assert (a.name, a.lr_actor, a.lr_critic, a.batch_size, a.tau, a.gamma) == (
        "td3",
        3e-4,
        3e-4,
        256,
        0.005,
        0.99,
    )
    assert (a.policy_noise, a.noise_clip, a.policy_delay, a.noise.sigma) == (0.2, 0.5, 2, 0.1)
    env_ = make_env(cfg.env.id)
    space = env_.action_space
    agent_cfg = OmegaConf.to_object(a)
    assert isinstance(agent_cfg, schema.AgentConfig)
    agent_cfg.batch_size = 4
    learner = agents.make(env_.observation_space.shape[0], space.low, space.high, agent_cfg, "invert",  # type: ignore[attr-defined,index]
                          int(getattr(env_, "n_discrete", 0)))  # fmt: skip
    assert isinstance(learner, agents.TD3)
    obs = torch.as_tensor(env_.reset(seed=0)[0], dtype=torch.float32).unsqueeze(0)
    u = learner.act(obs, explore=True)
    next_obs, reward, terminated, truncated, _ = env_.step(np.clip(u[0].numpy(), space.low, space.high))  # type: ignore[attr-defined]
    replay = ReplayBuffer(8, obs.shape[1], u.shape[1], [0])
    replay.add(obs, u, torch.tensor([float(reward)]), torch.as_tensor(next_obs, dtype=torch.float32)[None],
               torch.tensor([terminated]), torch.tensor([truncated]))  # fmt: skip
    before = [p.clone() for p in learner.actor.parameters()]
    metrics = [learner.update(replay.sample(4)) for _ in range(2)]
    assert "actor_loss" not in metrics[0] and "actor_loss" in metrics[1]  # policy_delay 2
    assert any(not torch.equal(b, p) for b, p in zip(before, learner.actor.parameters()))
    env_.close()


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_every_transform_composes(transform: str) -> None:
    cfg = make(f"transform={transform}")
    schema.validate(cfg)
    assert cfg.transform.name == transform


def test_platform_preset_follows_the_reference_pa_ddpg() -> None:
    a = make("env=Platform").agent
    assert (a.batch_size, a.gamma, a.buffer_size, a.learning_starts) == (32, 0.9, 10000, 128)
    assert (a.lr_actor, a.lr_critic, a.tau, a.grad_clip) == (1e-4, 1e-3, 0.01, 10.0)
    assert (list(a.hidden_sizes), a.activation) == ([256, 128], "leaky_relu")
    assert (a.noise.epsilon_start, a.noise.epsilon_end, a.noise.epsilon_decay_episodes) == (1.0, 0.01, 1000)
    assert a.noise.sigma <= 1e-4
    # run 3 in [0, 30], hop 10 in [0, 720], leap 400 in [0, 430], mapped to [-1, 1]: 2 p / hi - 1
    expected = [0.0, 0.0, 0.0, 2 * 3 / 30 - 1, 2 * 10 / 720 - 1, 2 * 400 / 430 - 1]
    assert list(a.actor_bias_init) == pytest.approx(expected, abs=1e-5)


def test_paper_protocol_budgets() -> None:
    for env in ("Platform", "Goal"):
        cfg = make(f"env={env}", "experiment=paper")
        assert (cfg.budget.episodes, cfg.budget.steps, cfg.eval.final_episodes) == (20000, None, 1000)
    assert make("env=Hopper", "experiment=paper").budget.steps == 1_000_000
    assert make("env=Platform", "experiment=paper", "budget.episodes=7").budget.episodes == 7


def test_default_mission_budget_is_small() -> None:
    cfg = make("transform=invert", "env=Platform")
    assert cfg.budget.steps == 30000 and cfg.wandb.mode == "disabled" and cfg.torch_threads == 1


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ("agent.lr=0.1", "agent.lr"),
        ("seed=abc", "seed"),
        ("agent.hidden_sizes=[a]", "hidden_sizes"),
        ("agent.compile=maybe", "agent.compile"),
    ],
)
def test_schema_refuses_unknown_keys_and_wrong_types(override: str, needle: str) -> None:
    with pytest.raises(ConfigCompositionException, match=needle):
        make(override)


@pytest.mark.parametrize(
    ("override", "valid"),
    [
        ("agent.actor_grad=foo", "chain, direct"),
        ("agent.store_action=foo", "raw, clipped"),
        ("agent.activation=foo", "relu, leaky_relu"),
        ("agent.noise.kind=foo", "gaussian, ou, none"),
        ("wandb.mode=foo", "disabled, offline, online"),
        ("device=tpu", "cpu, cuda, cuda:N"),
    ],
)
def test_validate_names_the_key_and_the_valid_choices(override: str, valid: str) -> None:
    with pytest.raises(schema.ConfigError, match=override.split("=")[0].replace(".", r"\.")) as e:
        schema.validate(make(override))
    assert valid in str(e.value)


def test_an_unknown_transform_names_the_key_and_the_valid_choices() -> None:
    """Checked beside the transforms (transform_config), not by the schema; run.check lists both."""
    cfg = make("transform.name=foo")
    assert schema.problems(cfg) == []
    (line,) = transform_config.resolve(cfg)[1]
    assert line.startswith("transform.name='foo'")
    assert "clip, dqda_clip, dqda_norm_clip, identity, invert, penalty, squash, squash_invert, zero" in line


def test_validate_ranges() -> None:
    with pytest.raises(schema.ConfigError, match="both null"):
        schema.validate(make("budget.steps=null"))
    with pytest.raises(schema.ConfigError, match="distinct"):
        schema.validate(make("seeds=[1,1]"))


def test_unknown_key_message_lists_valid_keys_and_the_closest() -> None:
    msg = schema.unknown_key_message(["env=Goal", "agent.lr=0.1"])
    assert msg is not None and "'agent.lr'" in msg and "lr_actor" in msg and "lr_critic" in msg
    msg = schema.unknown_key_message(["budget.step=3"])
    assert msg is not None and "Did you mean 'budget.steps'" in msg
    assert schema.unknown_key_message(["seed=1", "hydra/launcher=joblib", "agent.noise.sigma=0.2"]) is None


def test_composes_from_a_built_wheel(tmp_path: Path) -> None:
    """The configs ship inside the package: compose from an unpacked wheel, away from the source tree."""
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = tmp_path.glob("bounded_ddpg-*.whl")
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    names = {
        p.relative_to(site / "bounded_ddpg" / "conf").as_posix()
        for p in (site / "bounded_ddpg" / "conf").rglob("*.yaml")
    }
    shipped = {
        p.relative_to(REPO / "src/bounded_ddpg/conf").as_posix()
        for p in (REPO / "src/bounded_ddpg/conf").rglob("*.yaml")
    }
    assert names == shipped and "env/Platform.yaml" in names and "transform/penalty.yaml" in names
    assert (site / "hydra_plugins" / "bounded_ddpg_searchpath" / "__init__.py").is_file()  # the search path
    assert not (site / "conf").exists()  # the repository's experiments are not package data
    (tmp_path / "conf" / "transform").mkdir(parents=True)  # a pip user's own conf/ in the working directory
    (tmp_path / "conf" / "transform" / "wheelmine.yaml").write_text(
        "name: wheelmine\n_target_: bounded_ddpg.transforms.Penalty\ncoef: 0.5\n"
    )
    code = (
        "import bounded_ddpg, sys\n"
        "assert bounded_ddpg.__file__.startswith(sys.argv[1]), bounded_ddpg.__file__\n"
        "import hydra_plugins.bounded_ddpg_searchpath as p\n"
        "assert p.__file__.startswith(sys.argv[1]), p.__file__\n"
        "from bounded_ddpg import config, transform_config; config.register()\n"
        "from hydra import compose, initialize_config_module\n"
        "with initialize_config_module('bounded_ddpg.conf', version_base='1.3'):\n"
        "    cfg = compose('config', overrides=['env=Goal', 'experiment=paper'])\n"
        "    mine = transform_config.specs(compose('config', overrides=['transform=wheelmine']))[0]\n"
        "print(cfg.env.id, cfg.agent.batch_size, cfg.budget.episodes, mine.label)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(site)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["bounded_ddpg/Goal-v0", "128", "20000", "wheelmine(coef=0.5)"]


def test_help_lists_the_groups_a_user_chooses_and_describes_every_key() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bounded_ddpg.run", "env=Goal", "--help"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    text = out.stdout
    groups = text.split("== Config groups")[1].split("== Keys")[0]
    assert "protocol" not in groups  # composed by experiment=paper, never chosen directly
    builtins = "clip, dqda_clip, dqda_norm_clip, identity, invert*, penalty, squash, squash_invert, zero"
    assert f"  transform: {builtins}\n" in groups
    assert "  env: CatchPoint, Goal*, GoalXY, HalfCheetah, HardGoal, HardMove," in groups
    assert "  hydra/launcher: basic*, joblib, slurm" in groups
    keys = text.split("== Keys")[1].split("== Composed config")[0]
    flat = " ".join(keys.split())
    assert (
        "agent.grad_clip: float | None = null max gradient L2 norm per network and member; None disables."
        in flat
    )
    assert "Valid: > 0 (a max gradient norm), or null: no clipping." in flat
    assert "agent.noise.epsilon_start: float = 1.0 Parameterised envs only:" in flat
    for prefix, cls in schema.SCHEMA_TYPES.items():
        for f in dataclasses.fields(cls):
            key = f"{prefix}.{f.name}" if prefix else f.name
            assert key in schema.SCHEMA_TYPES or f"  {key}: " in keys, key  # every key, with its type


def test_the_schema_imports_nothing_of_the_package() -> None:
    """config.py is the schema only (checks live beside what they check: agents, envs, transform_config)."""
    import ast

    source = Path(schema.__file__).read_text()
    imported = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    assert imported and not [m for m in imported if m and m.startswith("bounded_ddpg")], imported
