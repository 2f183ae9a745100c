"""A researcher's own transforms and configs: specs, labels, validation, the working directory's conf/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
import torch
import yaml
from hydra import compose, initialize_config_module
from hydra._internal.utils import create_config_search_path
from omegaconf import DictConfig

from bounded_ddpg import config as schema
from bounded_ddpg import transform_config, transforms
from conftest import TINY, Cli, run_dirs

schema.register()
LOW, HIGH = [-1.0, 0.0], [1.0, 720.0]

SOFT = """
import torch
from torch import Tensor

from bounded_ddpg.transforms import ActionGradientTransform


class Soft(ActionGradientTransform):
    def __init__(self, low: Tensor, high: Tensor, keep: float = 0.1) -> None:
        super().__init__(low, high)
        if not 0.0 <= keep <= 1.0:
            raise ValueError(f"keep must be in [0, 1], got {keep}")
        self.keep = keep

    def backward(self, dq_da: Tensor, u: Tensor) -> Tensor:
        outward = ((u >= self.high) & (dq_da > 0)) | ((u <= self.low) & (dq_da < 0))
        return torch.where(outward, self.keep * dq_da, dq_da)
"""


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh working directory holding mylab/transforms.py and conf/transform/mine.yaml (as the docs')."""
    (tmp_path / "mylab").mkdir()
    (tmp_path / "mylab" / "transforms.py").write_text(SOFT)
    (tmp_path / "conf" / "transform").mkdir(parents=True)
    (tmp_path / "conf" / "transform" / "mine.yaml").write_text(
        "name: mine\n_target_: mylab.transforms.Soft\nkeep: 0.1\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    import sys

    for name in [m for m in sys.modules if m == "mylab" or m.startswith("mylab.")]:
        del sys.modules[name]


def specs(*overrides: str) -> list[transforms.Spec]:
    """transform_config.specs of a composition (in the compose context: files of conf/transform/ resolve)."""
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        cfg = compose("config", overrides=list(overrides))
        schema.validate(cfg)
        return transform_config.specs(cfg)


def problems(*overrides: str) -> str:
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        cfg: DictConfig = compose("config", overrides=list(overrides))
        with pytest.raises(schema.ConfigError) as e:
            transform_config.specs(cfg)
    return str(e.value)


# --- specs: a class, its parameters, its label ---------------------------------------------------------


class Tuned(transforms.ActionGradientTransform):
    def __init__(
        self,
        low: torch.Tensor,
        high: torch.Tensor,
        scale: float,
        steps: int = 3,
        mode: Literal["a", "b"] = "a",
        weights: list[float] | None = None,
        flag: bool = False,
    ) -> None:
        super().__init__(low, high)
        self.scale, self.steps, self.mode, self.weights, self.flag = scale, steps, mode, weights, flag


def test_label_shows_the_parameters_that_differ_from_the_class_defaults() -> None:
    assert transforms.spec("penalty").label == "penalty"
    assert transforms.spec("penalty", {"coef": 1}).label == "penalty"  # 1 == 1.0: the default
    p = transforms.spec("penalty", {"coef": 0.1, "margin": -0.05})
    assert (p.label, p.dir_name) == ("penalty(coef=0.1,margin=-0.05)", "penalty,coef=0.1,margin=-0.05")
    assert p.record() == {"name": "penalty", "coef": 0.1, "margin": -0.05}
    t = transforms.spec("tuned", {"scale": 2, "weights": [1, 2.5], "flag": True}, cls=Tuned, target="x.Tuned")
    assert t.label == "tuned(scale=2.0,weights=[1.0,2.5],flag=true)"  # a required parameter is always shown
    assert t.dir_name == "tuned,scale=2.0,weights=_1.0,2.5_,flag=true"  # [ and ] are shell globs
    assert t.record() == {
        "name": "tuned", "_target_": "x.Tuned", "scale": 2.0, "steps": 3, "mode": "a",
        "weights": [1.0, 2.5], "flag": True,
    }  # fmt: skip
    built = t.build(torch.tensor(LOW), torch.tensor(HIGH))
    assert isinstance(built, Tuned) and (built.scale, built.weights) == (2.0, [1.0, 2.5])
    long = transforms.spec("tuned", {"scale": 1.5, "weights": [0.123456789] * 20}, cls=Tuned)
    assert len(long.dir_name) == 93 and long.dir_name.startswith("tuned,scale=1.5,weights=_0.123456789")
    other = transforms.spec("tuned", {"scale": 1.5, "weights": [0.123456789] * 19 + [0.5]}, cls=Tuned)
    assert other.dir_name != long.dir_name  # the hash of the label tells cut names apart


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"scale": 1.0, "stepz": 2}, r"unknown parameter 'stepz' \(did you mean 'steps'\?\); valid "
         r"parameters: scale \(float, required\), steps \(int, default 3\), mode \(Literal\['a', 'b'\], "
         r"default a\)"),
        ({}, r"missing parameter 'scale'"),
        ({"scale": "big"}, r"parameter 'scale' must be float, got str 'big'"),
        ({"scale": True}, r"parameter 'scale' must be float, got bool True"),
        ({"scale": 1.0, "steps": 2.5}, r"parameter 'steps' must be int, got float 2.5"),
        ({"scale": 1.0, "mode": "c"}, r"parameter 'mode' must be Literal\['a', 'b'\], got str 'c'"),
        ({"scale": 1.0, "weights": [1, "x"]}, r"parameter 'weights' must be list\[float\] \| None"),
    ],
)  # fmt: skip
def test_parameters_are_checked_against_the_signature(params: dict[str, object], message: str) -> None:
    with pytest.raises(transforms.TransformError, match=message):
        transforms.spec("tuned", params, cls=Tuned)


def test_only_transforms_with_names_of_their_own_are_accepted() -> None:
    with pytest.raises(
        transforms.TransformError, match=r"is class torch.nn.modules.linear.Linear, not a subclass"
    ):
        transforms.spec("lin", cls=torch.nn.Linear)  # type: ignore[arg-type]

    def make_transform(low: torch.Tensor, high: torch.Tensor) -> None:
        pass

    with pytest.raises(transforms.TransformError, match=r"is a function, not a subclass"):
        transforms.spec("fn", cls=make_transform)  # type: ignore[arg-type]
    with pytest.raises(transforms.TransformError, match=r"'invert': that name is taken by .*Invert"):
        transforms.spec("invert", {"scale": 1.0}, cls=Tuned)
    assert transforms.spec("penalty", cls=transforms.Penalty).label == "penalty"  # the same class is fine
    for bad in ("", "a b", "x/y", "p(q)", "a,b"):
        with pytest.raises(transforms.TransformError, match="letters, digits"):
            transforms.spec(bad, cls=Tuned)

    class NoSuper(transforms.ActionGradientTransform):
        def __init__(self, low: torch.Tensor, high: torch.Tensor) -> None:
            pass

    with pytest.raises(transforms.TransformError, match=r"must call super\(\).__init__\(low, high\)"):
        transforms.spec("nosuper", cls=NoSuper).build(torch.tensor(LOW), torch.tensor(HIGH))

    class NoBounds(transforms.ActionGradientTransform):
        def __init__(self, scale: float = 1.0) -> None:
            super().__init__(torch.zeros(1), torch.ones(1))

    with pytest.raises(transforms.TransformError, match=r"must take \(low, high, ...\) first"):
        transforms.spec("nobounds", cls=NoBounds)


# --- the config: transform=<file>, _target_, parameters, transforms=[...] ---------------------------------


def test_a_file_in_the_working_directory_names_the_users_class(lab: Path) -> None:
    (spec,) = specs("transform=mine")
    assert (spec.label, spec.target, spec.cls.__name__, dict(spec.params)) == (
        "mine", "mylab.transforms.Soft", "Soft", {"keep": 0.1},
    )  # fmt: skip
    (spec,) = specs("transform=mine", "transform.keep=0.5")
    assert spec.label == "mine(keep=0.5)"
    (spec,) = specs("transform=penalty", "transform.coef=2")
    assert (spec.label, dict(spec.params)) == ("penalty(coef=2.0)", {"coef": 2.0, "margin": 0.0})


def test_list_entries_are_group_options_or_mappings(lab: Path) -> None:
    entries = "transforms=[invert,mine,{name:mine,keep:0.5},{name:penalty,coef:0.1},{name:soft9,_target_:mylab.transforms.Soft,keep:0.9}]"  # noqa: E501
    labels = [s.label for s in specs(entries)]
    assert labels == ["invert", "mine", "mine(keep=0.5)", "penalty(coef=0.1)", "soft9(keep=0.9)"]


@pytest.mark.parametrize(
    ("overrides", "needles"),
    [
        (["transform=mine", "transform.kep=0.5"],
         ["transform 'mine' (mylab.transforms.Soft): unknown parameter 'kep' (did you mean 'keep'?); "
          "valid parameters: keep (float, default 0.1)"]),
        (["transform=mine", "transform.keep=high"], ["parameter 'keep' must be float, got str 'high'"]),
        (["transform=mine", "transform._target_=mylab.transforms.Sofft"],
         ["'mylab.transforms' has no attribute 'Sofft'; transforms there: Soft"]),
        (["transform=mine", "transform._target_=torch.nn.Linear"],
         ["is class torch.nn.modules.linear.Linear, not a subclass of "
          "bounded_ddpg.transforms.ActionGradientTransform"]),
        (["transform=mine", "transform.name=invert"],
         ["that name is taken by bounded_ddpg.transforms.Invert; give mylab.transforms.Soft a name of its "
          "own"]),
        (["transform=mine", "transform._target_=nolab.transforms.Soft"],
         ["cannot import 'nolab' (No module named 'nolab'). The module must be importable"]),
        (["transforms=[mine,mine]"], ["two members would be the same run: 'mine' appears more than once"]),
        (["transforms=[mine,{name:mine,keep:0.1}]"], ["'mine' appears more than once"]),
        (["transforms=[invert,nothere]"],
         ["transforms[1]: unknown transform 'nothere'; options of the transform group: clip, dqda_clip, "
          "dqda_norm_clip, identity, invert, mine, penalty, squash, squash_invert, zero"]),
        (["transforms=[invert,{coef:1}]"], ["transforms[1]: 'name' is missing"]),
        (["transform.name=foo", "transforms=[tanh]"], ["transform.name='foo': unknown transform 'foo'",
                                                        "transforms[0]: unknown transform 'tanh'"]),
    ],
)  # fmt: skip
def test_mistakes_name_what_is_valid(lab: Path, overrides: list[str], needles: list[str]) -> None:
    message = problems(*overrides)
    for needle in needles:
        assert needle in message, message


def test_a_users_broken_module_is_a_config_error_naming_it(lab: Path) -> None:
    (lab / "mylab" / "broken.py").write_text("import numpy\nraise RuntimeError('oops')\n")
    message = problems("transform=mine", "transform._target_=mylab.broken.Soft")
    assert "importing 'mylab.broken' raised RuntimeError: oops" in message
    (lab / "mylab" / "needs.py").write_text("import not_installed_anywhere\n")
    message = problems("transform=mine", "transform._target_=mylab.needs.Soft")
    assert "No module named 'not_installed_anywhere'" in message


def test_transform_parameters_are_not_refused_as_unknown_keys() -> None:
    assert schema.unknown_key_message(["transform.coef=0.1", "transform.anything=1"]) is None
    assert schema.unknown_key_message(["transforms=[a,b]", "agent.lr=0.1"]) is not None


# --- the search path: the working directory's conf/, hydra.searchpath -----------------------------------


def test_search_path_adds_the_working_directory_conf_only_for_bounded_ddpg(lab: Path) -> None:
    ours = [(e.provider, e.path) for e in create_config_search_path("pkg://bounded_ddpg.conf").get_path()]
    wd = ("bounded_ddpg (working directory)", f"file://{lab.resolve() / 'conf'}")
    assert ours[1:3] == [("main", "pkg://bounded_ddpg.conf"), wd]
    other = create_config_search_path("pkg://some_other_app.conf").get_path()
    assert all(e.provider != "bounded_ddpg (working directory)" for e in other)


def test_no_conf_directory_no_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    paths = create_config_search_path("pkg://bounded_ddpg.conf").get_path()
    assert [e.provider for e in paths] == ["hydra", "main", "schema"]


def test_every_group_takes_options_from_the_working_directory(lab: Path) -> None:
    (lab / "conf" / "env").mkdir()
    (lab / "conf" / "env" / "ShortPendulum.yaml").write_text(
        "# @package _global_\nenv: {name: ShortPendulum, id: Pendulum-v1}\nbudget: {steps: 777}\n"
    )
    (lab / "conf" / "experiment").mkdir()
    (lab / "conf" / "experiment" / "trio.yaml").write_text(
        "# @package _global_\ndefaults:\n  - override /env: ShortPendulum\n  - _self_\n"
        "transforms: [zero, mine, {name: penalty, coef: 0.5}]\nseeds: [0, 1]\n"
    )
    # a file named like a packaged option does not shadow it: the packaged configs come first
    (lab / "conf" / "transform" / "invert.yaml").write_text("name: invert\ncoef: 3.0\n")
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        cfg = compose("config", overrides=["experiment=trio"])
        assert (cfg.env.name, cfg.budget.steps, list(cfg.seeds)) == ("ShortPendulum", 777, [0, 1])
        assert [s.label for s in transform_config.specs(cfg)] == ["zero", "mine", "penalty(coef=0.5)"]
        assert "coef" not in compose("config", overrides=["transform=invert"]).transform


@pytest.mark.slow
def test_users_transforms_run_through_the_cli(cli: Cli, tmp_path: Path) -> None:
    """The docs' lab in a fresh directory: the user's class by agent=td3, in a batched ablation with an
    inline setting, in a Hydra multirun, from a hydra.searchpath directory; bad parameters exit 2 first."""
    (tmp_path / "mylab").mkdir()
    (tmp_path / "mylab" / "transforms.py").write_text(SOFT)
    elsewhere = tmp_path / "shared_conf" / "transform"
    elsewhere.mkdir(parents=True)
    (elsewhere / "mine.yaml").write_text("name: mine\n_target_: mylab.transforms.Soft\nkeep: 0.1\n")
    searchpath = f"hydra.searchpath=[file://{tmp_path / 'shared_conf'}]"
    env = ("env=Pendulum", "agent.learning_starts=20")

    bad = cli(searchpath, "transform=mine", "transform.keep=2", *env, *TINY)
    assert bad.returncode == 2 and "keep must be in [0, 1], got 2.0" in bad.stderr, bad.stderr
    assert run_dirs(tmp_path / "runs") == []

    td3 = cli(searchpath, "agent=td3", "transform=mine", *env, *TINY, "run_id=td3")
    assert td3.returncode == 0, td3.stderr
    (run,) = run_dirs(tmp_path / "runs")
    assert run.relative_to(tmp_path / "runs").parts[:3] == ("Pendulum", "mine", "seed0")
    config = yaml.safe_load((run / "config.yaml").read_text())
    assert config["transform"] == {"name": "mine", "_target_": "mylab.transforms.Soft", "keep": 0.1}

    batched = cli(searchpath, "transforms=[mine,{name:mine,keep:0.5},{name:penalty,coef:0.1}]", "seeds=[0,1]",
                  *env, *TINY, "run_id=abl")  # fmt: skip
    assert batched.returncode == 0, batched.stderr
    abl = [r for r in run_dirs(tmp_path / "runs") if r.name == "abl"]
    assert sorted(r.relative_to(tmp_path / "runs").parts[1:3] for r in abl) == [
        ("mine", "seed0"), ("mine", "seed1"), ("mine,keep=0.5", "seed0"), ("mine,keep=0.5", "seed1"),
        ("penalty,coef=0.1", "seed0"), ("penalty,coef=0.1", "seed1"),
    ]  # fmt: skip
    labels = {json.loads((r / "summary.json").read_text())["transform"] for r in abl}
    assert labels == {"mine", "mine(keep=0.5)", "penalty(coef=0.1)"}

    multi = cli("-m", searchpath, "transform=zero,mine", *env, *TINY, "run_id=multi")
    assert multi.returncode == 0, multi.stderr
    multi_dirs = [
        r.relative_to(tmp_path / "runs").parts[1] for r in run_dirs(tmp_path / "runs") if r.name == "multi"
    ]
    assert sorted(multi_dirs) == ["mine", "zero"]


def test_config_error_at_build_time_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    """A class refusing its parameters (penalty's own checks) is exit 2 before any run directory."""
    result = cli("transform=penalty", "transform.margin=0.7", *TINY)
    assert result.returncode == 2
    assert (
        "transform 'penalty(margin=0.7)' (bounded_ddpg.transforms.Penalty): margin must be" in result.stderr
    )
    assert run_dirs(tmp_path / "runs") == []
    result = cli("transform=penalty", "transform.coef=[1,2]", *TINY)
    assert result.returncode == 2 and "parameter 'coef' must be float, got list" in result.stderr
