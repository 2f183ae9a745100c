"""Your own environment (docs/extending.md, executed as written): any gymnasium id, both hybrid layouts,
the refusals, and MP-DQN computing the same numbers on the two layouts of one task."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces
from hydra import compose, initialize_config_module

from bounded_ddpg import checkpoint, run
from bounded_ddpg.envs.factory import make_env
from bounded_ddpg.envs.spaces import EnvError, SpaceError, action_layout
from conftest import run_dirs
from test_extending import blocks, shell, write_files

TITLE = "Your own environment"


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """tmp_path holding the section's mylab/envs.py and conf/env/*.yaml, as the working directory."""
    assert sorted(write_files(TITLE, tmp_path)) == [
        "conf/env/Reach.yaml",
        "conf/env/ReachShared.yaml",
        "mylab/envs.py",
    ]
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m == "mylab" or m.startswith("mylab.")]:
        del sys.modules[name]


@pytest.mark.slow
def test_your_own_environment_as_written(tmp_path: Path) -> None:
    assert sorted(write_files(TITLE, tmp_path)) == [
        "conf/env/Reach.yaml",
        "conf/env/ReachShared.yaml",
        "mylab/envs.py",
    ]
    commands = [ln for ln in blocks(TITLE, "bash")[0].splitlines() if ln.startswith("python -m bounded_ddpg")]
    assert len(commands) == 3
    for line in commands[:2]:
        result = shell(line, tmp_path, timeout=900)
        assert result.returncode == 0, result.stderr
    assert (
        "env.id=InvertedPendulum-v5 has no preset: the generic box defaults" in result.stdout + result.stderr
    )
    runs = run_dirs(tmp_path / "runs")
    seen = {}
    for d in runs:
        s = json.loads((d / "summary.json").read_text())
        assert s["status"] == "finished", d
        seen[(s["env"], s["config"]["agent"]["name"])] = s
    assert sorted(seen) == sorted(
        [(e, a) for e in ("Reach", "ReachShared") for a in ("ddpg", "pdqn", "mpdqn")]
        + [("InvertedPendulum", "ddpg"), ("InvertedPendulum", "td3")]
    )
    for (env, _agent), s in seen.items():
        if env.startswith("Reach"):
            assert 0.0 <= s["final_eval"]["p_success"] <= 1.0 and s["config"]["env"]["parameterised"] is True
            assert s["config"]["env"]["success_key"] == "reached"
        else:  # CleanRL's values from the generic Box preset (agent=td3: CleanRL's TD3)
            assert s["final_eval"]["p_success"] is None and s["config"]["env"]["parameterised"] is False
            assert (s["config"]["agent"]["lr_actor"], s["config"]["agent"]["policy_delay"]) == (3e-4, 2)
            assert s["env_id"] == "InvertedPendulum-v5" and s["steps"] == 300
    # MP-DQN on the two layouts of one task: the same run
    assert seen[("Reach", "mpdqn")]["final_eval"] == seen[("ReachShared", "mpdqn")]["final_eval"]
    report = shell(commands[2], tmp_path, timeout=300)
    assert report.returncode == 0, report.stderr
    table = (tmp_path / "report" / "table.md").read_text()
    for env in ("Reach", "ReachShared", "InvertedPendulum"):
        assert f"| {env} " in table, table
    assert "P(reached)" in table, table


def _train(overrides: list[str], out: Path) -> Path:
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        cfg = compose("config", overrides=overrides)
        (summary,) = run.train_from_config(cfg, overrides=overrides)
    assert summary["status"] == "finished"
    (run_dir,) = run_dirs(out)
    return run_dir


@pytest.mark.slow
def test_mpdqn_on_the_shared_layout_with_a_param_map_equals_the_per_action_layout(lab: Path) -> None:
    states = []
    for env_id in ("mylab.envs:Reach-v0", "mylab.envs:ReachShared-v0"):
        out = lab / env_id.replace(":", "_")
        overrides = [f"env.id={env_id}", "agent=mpdqn", "budget.steps=300", "agent.learning_starts=100",
                     "eval.every_steps=0", "eval.final_episodes=3", "checkpoint_every_steps=300",
                     "progress=false", f"out_dir={out}"]  # fmt: skip
        run_dir = _train(overrides, out)
        states.append(checkpoint.load(run_dir / "checkpoint.pt")["agent"])
    per_action, shared = states
    assert per_action.keys() == shared.keys()
    tensors = 0
    for key in per_action:
        for name, value in _tensors(per_action[key], key):
            other = dict(_tensors(shared[key], key))[name]
            assert torch.equal(value, other), name
            tensors += 1
    assert tensors > 10


def _tensors(value: Any, prefix: str) -> list[tuple[str, torch.Tensor]]:
    if isinstance(value, torch.Tensor):
        return [(prefix, value)]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _tensors(v, f"{prefix}.{k}")]
    if isinstance(value, list | tuple):
        return [t for i, v in enumerate(value) for t in _tensors(v, f"{prefix}[{i}]")]
    return []


def test_the_two_layouts_have_one_flat_view(lab: Path) -> None:
    per_action, shared = (
        make_env("mylab.envs:Reach-v0"),
        make_env("mylab.envs:ReachShared-v0", param_map=[[0], [1], []]),
    )
    for env in (per_action, shared):
        assert env.action_space.shape == (5,) and env.get_wrapper_attr("param_map") == ((0,), (1,), ())
    assert per_action.get_wrapper_attr("param_slices") == [slice(3, 4), slice(4, 5), slice(5, 5)]
    flat = np.array([0.1, 0.9, -0.5, 0.5, -0.2])  # jump (k = 1) to -0.2; walk by 0.15 (unused)
    k, params = per_action.get_wrapper_attr("action")(flat)
    k2, shared_params = shared.get_wrapper_attr("action")(flat)
    assert k == k2 == 1 and params[2].shape == (0,)
    np.testing.assert_allclose(params[1], [-0.2])
    np.testing.assert_allclose(shared_params, [0.15, -0.2], rtol=1e-6)
    a, b = per_action.reset(seed=3)[0], shared.reset(seed=3)[0]
    for _ in range(15):
        a, ra, ta, _, _ = per_action.step(flat)
        b, rb, tb, _, _ = shared.step(flat)
        assert np.array_equal(a, b) and (ra, ta) == (rb, tb)


def test_a_shared_layout_without_a_map_uses_every_parameter(lab: Path) -> None:
    env = make_env("mylab.envs:ReachShared-v0")
    assert env.get_wrapper_attr("param_map") == ((0, 1), (0, 1), (0, 1))


def test_an_environment_may_declare_its_param_map(lab: Path) -> None:
    """What a native shared-layout task does: a param_map attribute; a config's env.param_map wins."""
    from mylab.envs import Reach

    class Declared(Reach):
        param_map = ((0,), (1,), ())

    if "test_own_env/Declared-v0" not in gym.registry:
        gym.register("test_own_env/Declared-v0", entry_point=Declared, kwargs={"shared": True})
    assert make_env("test_own_env/Declared-v0").get_wrapper_attr("param_map") == ((0,), (1,), ())
    overridden = make_env("test_own_env/Declared-v0", param_map=[[0, 1], [1], []])
    assert overridden.get_wrapper_attr("param_map") == ((0, 1), (1,), ())


class _Spaces(gym.Env[Any, Any]):
    def __init__(self, action: spaces.Space[Any], observation: spaces.Space[Any] | None = None) -> None:
        self.action_space = action
        self.observation_space = observation or spaces.Box(-1.0, 1.0, (2,), np.float32)


BOX = spaces.Box(-1.0, 1.0, (1,), np.float32)
REFUSED = [
    (spaces.Discrete(3), None, "a Discrete action alone has no continuous part"),
    (spaces.MultiDiscrete([2, 3]), None, "MultiDiscrete actions have no continuous part"),
    (spaces.Dict({"a": BOX}), None, "Dict actions are not a layout these agents know"),
    (spaces.Tuple((spaces.Discrete(2), spaces.Tuple((BOX, spaces.Tuple((BOX,)))))), None, "nested deeper"),
    (spaces.Box(-np.inf, np.inf, (2,), np.float32), None, "has an infinite bound"),
    (spaces.Box(0, 3, (2,), np.int64), None, "integer dtype"),
    (
        spaces.Tuple((spaces.Discrete(3), spaces.Tuple((BOX, BOX)))),
        None,
        "3 discrete actions but 2 parameter Boxes",
    ),
    (BOX, spaces.Box(0, 255, (64, 64, 3), np.uint8), "image observations"),
    (BOX, spaces.Tuple((BOX, spaces.MultiBinary(3))), "neither a Box nor a Discrete"),
]


@pytest.mark.parametrize(("action", "observation", "why"), REFUSED, ids=[r[2][:24] for r in REFUSED])
def test_every_refused_space_names_itself_and_the_supported_ones(
    action: spaces.Space[Any], observation: spaces.Space[Any] | None, why: str
) -> None:
    env_id = f"test_own_env/Refused{[r[2] for r in REFUSED].index(why)}-v0"
    if env_id not in gym.registry:
        gym.register(env_id, entry_point=lambda: _Spaces(action, observation))  # type: ignore[arg-type]
    with pytest.raises(SpaceError) as e:
        make_env(env_id)
    message = str(e.value)
    assert why in message and "Supported: " in message and str(observation or action) in message


def test_a_param_map_that_does_not_fit_names_the_mismatch(lab: Path) -> None:
    for param_map, needle in [
        ([[0], [1]], "has 2 entries; the action space has 3 discrete actions"),
        ([[0], [2], []], "action 1 names [2]; valid indices: 0 to 1"),
        ([[0, 0], [1], []], "action 0 names a parameter twice"),
    ]:
        with pytest.raises(SpaceError, match=re_escape(needle)):
            make_env("mylab.envs:ReachShared-v0", param_map=param_map)
    with pytest.raises(SpaceError, match="its per-action layout already maps the parameters as"):
        make_env("mylab.envs:Reach-v0", param_map=[[1], [0], []])
    with pytest.raises(SpaceError, match=r"env.param_map=.* is for hybrid actions"):
        action_layout(BOX, [[0]])


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


def test_unknown_ids_and_broken_modules_are_named(lab: Path) -> None:
    with pytest.raises(
        EnvError, match=r"unknown environment id 'InvertedPendulm-v5'; known ids: InvertedPendulum-v5"
    ):
        make_env("InvertedPendulm-v5")
    with pytest.raises(
        EnvError, match=r"known ids: Reach-v0.*importing 'mylab.envs' registered no id 'Rech-v0'"
    ):
        make_env("mylab.envs:Rech-v0")
    (lab / "mylab" / "broken.py").write_text("import numpy\nraise RuntimeError('my bug on line 2')\n")
    with pytest.raises(EnvError, match=r"importing 'mylab.broken' raised RuntimeError: my bug on line 2"):
        make_env("mylab.broken:X-v0")
    with pytest.raises(EnvError, match=r"importing 'mylab.nothere' raised ModuleNotFoundError"):
        make_env("mylab.nothere:X-v0")


@pytest.mark.slow
def test_refusals_exit_2_before_anything_is_written(lab: Path) -> None:
    """Through the command line: a broken module, an unknown id, a param_map that does not fit, a Box agent
    on a hybrid task's opposite; each exits 2 naming the problem, with nothing on disk."""
    (lab / "mylab" / "broken.py").write_text("raise RuntimeError('my bug')\n")
    (lab / "mylab" / "bad.py").write_text(
        "import gymnasium as gym\n"
        "from gymnasium.envs.classic_control import CartPoleEnv\n"
        "gym.register('Bad-v0', entry_point=CartPoleEnv)\n"  # Discrete(2) actions
    )
    cases = [
        ("env.id=mylab.bad:Bad-v0", "unsupported action space Discrete(2): a Discrete action alone"),
        ("env.id=mylab.broken:X-v0", "importing 'mylab.broken' raised RuntimeError: my bug"),
        ("env.id=Nope-v0", "unknown environment id 'Nope-v0'; known ids: "),
        ("env=ReachShared 'env.param_map=[[0],[5],[]]'", "action 1 names [5]; valid indices: 0 to 1"),
        ("env.id=Pendulum-v1 agent=mpdqn", "agent=mpdqn needs a parameterised env"),
    ]
    for args, needle in cases:
        result = shell(f"python -m bounded_ddpg.run {args} out_dir={lab / 'runs'}", lab, timeout=120)
        assert result.returncode == 2 and needle in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert not (lab / "runs").exists()


def test_the_generic_presets_and_the_preset_found_by_id(lab: Path) -> None:
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        found, note = run.presets.resolve(
            compose("config", ["env.id=mylab.envs:ReachShared-v0"]), ["env.id=mylab.envs:ReachShared-v0"]
        )
        box, box_note = run.presets.resolve(
            compose("config", ["env.id=InvertedPendulum-v5"]), ["env.id=InvertedPendulum-v5"]
        )
        named = compose("config", ["env=hybrid", "env.id=mylab.envs:ReachShared-v0", "env.name=R"])
    assert note == "env.id=mylab.envs:ReachShared-v0: the preset env=ReachShared"
    assert box_note == (
        "env.id=InvertedPendulum-v5 has no preset: the generic box defaults (env=box, docs/extending.md)"
    )
    assert (found.env.name, found.env.param_map, found.budget.steps) == ("ReachShared", [[0], [1], []], 3000)
    assert (box.env.name, box.agent.lr_critic, box.agent.final_init, box.budget.steps) == (
        "InvertedPendulum",
        3e-4,
        0.0,
        100000,
    )
    assert (named.env.name, named.agent.actor_bias_init, named.agent.gamma) == ("R", None, 0.9)  # PA-DDPG's


def test_config_imports_no_agent_and_no_environment() -> None:
    code = "import bounded_ddpg.config, sys; print(sorted(m for m in sys.modules if 'bounded_ddpg' in m))"

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert not any(
        m in out for m in ("bounded_ddpg.agents", "envs.factory", "envs.presets", "envs.spaces")
    ), out


class _Grid(gym.Env[Any, Any]):
    """A Box action of shape (2, 2) and a Dict observation of a Box and a Discrete part."""

    def __init__(self) -> None:
        self.action_space = spaces.Box(-2.0, 2.0, (2, 2), np.float32)
        self.observation_space = spaces.Dict({"pos": spaces.Box(-1.0, 1.0, (3,)), "mode": spaces.Discrete(2)})
        self.last: np.ndarray | None = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict]:
        super().reset(seed=seed)
        return {"pos": np.zeros(3, np.float32), "mode": 1}, {}

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        self.last = action
        return {"pos": np.ones(3, np.float32), "mode": 0}, 0.0, False, False, {}


def test_multi_axis_box_actions_and_dict_observations_are_flattened() -> None:
    if "test_own_env/Grid-v0" not in gym.registry:
        gym.register("test_own_env/Grid-v0", entry_point=_Grid)  # type: ignore[arg-type]
    env = make_env("test_own_env/Grid-v0")
    assert env.action_space.shape == (4,) and env.observation_space.shape == (5,)  # 3 + one-hot of 2
    obs, _ = env.reset(seed=0)
    np.testing.assert_array_equal(obs, [0, 1, 0, 0, 0])  # gymnasium's order: sorted keys, mode then pos
    env.step(np.array([1.0, 2.0, -1.0, 0.5], np.float32))
    np.testing.assert_array_equal(env.unwrapped.last, [[1.0, 2.0], [-1.0, 0.5]])  # type: ignore[attr-defined]


def test_env_kwargs_reach_gymnasium_make() -> None:
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        cfg = compose("config", ["env=Pendulum", "+env.kwargs.g=5.0"])
    env = run.presets.build(cfg.env)
    assert env.unwrapped.g == 5.0  # type: ignore[attr-defined]
    with pytest.raises(
        EnvError, match=r"gymnasium.make\('Pendulum-v1', \*\*\{'gravity': 5.0\}\) raised TypeError"
    ):
        make_env("Pendulum-v1", gravity=5.0)


def test_a_missing_extra_names_the_pip_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from bounded_ddpg.envs import factory

    assert (factory.required_extra("Hopper-v5"), factory.required_extra("LunarLanderContinuous-v3")) == (
        "mujoco",
        "box2d",
    )
    assert factory.required_extra("Pendulum-v1") is None

    def no_mujoco() -> None:
        raise ImportError("No module named 'mujoco'")

    monkeypatch.setattr(factory, "redirect_mujoco_log", no_mujoco)  # as on a machine without the extra
    with pytest.raises(
        EnvError, match=r"InvertedPendulum-v5 needs MuJoCo: pip install 'gymnasium\[mujoco\]'"
    ):
        make_env("InvertedPendulum-v5")
