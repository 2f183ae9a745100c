"""The typed schema behind Hydra's composition.

Every hyperparameter is declared and documented once, here. The YAML files under ``conf/`` only choose
values; a key that is not declared here, or a value of the wrong type, is rejected by Hydra with a message
naming it.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, OmegaConf

from bounded_ddpg import transforms

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "elu")
ACTOR_GRADS = ("chain", "direct")
STORE_ACTIONS = ("raw", "clipped")
WARMUPS = ("uniform", "policy")
NOISE_KINDS = ("gaussian", "ou", "none")
WANDB_MODES = ("disabled", "offline", "online")


@dataclass
class TransformConfig:
    """The action-gradient transform between dQ/da and the actor; one file per option in conf/transform/.

    Besides the two keys below, every key of a transform's file is a keyword parameter of its class,
    checked against the class's ``__init__`` signature (names, types, required ones) by
    :func:`transform_specs` before anything is written; each class documents its parameters in its
    docstring (the built-ins in bounded_ddpg/transforms.py; penalty: coef, margin). Override one with
    ``transform.coef=0.1``. A run names a transform by its label: the name plus every parameter that
    differs from the class default, e.g. ``penalty(coef=0.1)`` (run directory ``penalty,coef=0.1``).
    """

    # The transform's name: a built-in's (identity clip zero squash invert penalty) or your own. Letters,
    # digits and _ . + - only; it names run directories and report rows.
    name: str = MISSING
    # Your own class, Hydra's convention: the dotted path of a subclass of
    # bounded_ddpg.transforms.ActionGradientTransform (e.g. mylab.transforms.Soft; docs/extending.md).
    # null: the built-in called `name`.
    _target_: str | None = None


@dataclass
class EnvConfig:
    # Short name used in run directories, W&B groups and report tables.
    name: str = MISSING
    # gymnasium id passed to bounded_ddpg.envs.make_env.
    id: str = MISSING
    # Parameterised (discrete choice + parameters) environments are flattened to one Box; epsilon-greedy
    # then acts on the first `n_discrete` outputs (set from the wrapper, not here).
    parameterised: bool = False
    # Scale applied to rewards before they are stored (e.g. 1/50 for Goal); evaluation reports raw returns.
    reward_scale: float = 1.0


@dataclass
class NoiseConfig:
    # Exploration noise added to the raw actor output u (in the units of the flat action space).
    kind: str = "gaussian"  # gaussian | ou | none
    sigma: float = 0.1  # std of the Gaussian, or the OU diffusion, in units of (high - low) / 2
    theta: float = 0.15  # OU mean-reversion rate
    # Parameterised envs only: probability of replacing the K discrete scores with uniform noise,
    # decayed linearly from epsilon_start to epsilon_end over the first epsilon_decay_episodes episodes.
    epsilon_start: float = 1.0
    epsilon_end: float = 0.01
    epsilon_decay_episodes: int = 1000


@dataclass
class AgentConfig:
    # Which agent (bounded_ddpg.agents.AGENTS): ddpg (DDPG; PA-DDPG on a parameterised env) | td3 |
    # pdqn (P-DQN) | mpdqn (MP-DQN); the last two need a parameterised env.
    name: str = "ddpg"
    hidden_sizes: list[int] = field(default_factory=lambda: [256, 256])  # both actor and critic
    activation: str = "relu"  # relu | leaky_relu | tanh | elu
    # Final-layer weights and biases ~ U(-final_init, final_init) as in Lillicrap et al.; 0 keeps torch's.
    # (ddpg and td3; pdqn and mpdqn initialise as their reference does: init_std_param, init_std_q.)
    final_init: float = 3e-3
    # Optional fixed initial bias of the actor's output layer, one value per action dimension (flat units);
    # PA-DDPG's Platform preset uses it to start near run 3, hop 10, leap 400.
    actor_bias_init: list[float] | None = None
    lr_actor: float = 1e-4
    lr_critic: float = 1e-3
    gamma: float = 0.99
    tau: float = 0.005  # fraction of online weights mixed into the targets per target update
    batch_size: int = 256
    buffer_size: int = 1_000_000
    learning_starts: int = 5_000  # transitions collected (see warmup) before updates begin
    # What acts before learning_starts: uniform (uniform random flat actions) | policy (the agent's own
    # exploring policy, as MP-DQN's P-DQN, whose initial_memory_threshold only delays the updates).
    warmup: str = "uniform"
    updates_per_step: int = 1  # critic updates per environment step
    policy_delay: int = 1  # actor and target updates every policy_delay critic updates (TD3/CleanRL: 2)
    # TD3 only (agents/td3.py): target policy smoothing noise N(0, policy_noise^2) clipped to +-noise_clip,
    # both in units of (high - low) / 2 of the action the critic sees (Fujimoto et al. 2018: 0.2, 0.5).
    policy_noise: float = 0.2
    noise_clip: float = 0.5
    # P-DQN and MP-DQN only (agents/pdqn.py). There the critic is the Q-network Q(s, x) (lr_critic, tau)
    # and the actor the action-parameter network x(s) (lr_actor, tau_param); MP-DQN's released names for
    # the four (github.com/cycraig/MP-DQN, agents/pdqn.py): learning_rate_actor, tau_actor,
    # learning_rate_actor_param, tau_actor_param.
    tau_param: float | None = None  # target rate of the action-parameter network; null: tau
    # Output-layer weights ~ N(0, init_std^2) with zero biases (the reference's output_layer_init_std);
    # 0: torch's default weights, zero biases. Hidden layers: Kaiming-normal weights, zero biases.
    init_std_param: float = 0.0  # the action-parameter network x(s)
    init_std_q: float = 0.0  # the Q-network
    # The fixed passthrough layer (never trained): x(s) = network(s) + passthrough_weight @ s +
    # passthrough_bias, in flat [-1, 1] parameter units. passthrough_weight: P rows of obs_dim numbers,
    # null: zeros; passthrough_bias: P numbers, null: zeros.
    passthrough_weight: list[list[float]] | None = None
    passthrough_bias: list[float] | None = None
    grad_clip: float | None = None  # max gradient L2 norm per network and member; None disables
    actor_grad: str = "chain"  # chain (explicit dQ/da, transform, surrogate) | direct (autograd.Function)
    store_action: str = "raw"  # raw: the actor's noisy output u; clipped: the action the env executed
    noise: NoiseConfig = field(default_factory=NoiseConfig)


@dataclass
class BudgetConfig:
    # Training stops at whichever limit is reached first; null means no limit on that axis.
    steps: int | None = 20_000
    episodes: int | None = None


@dataclass
class EvalConfig:
    every_steps: int = 5_000  # greedy evaluation cadence in environment steps (0: only at the end)
    episodes: int = 10  # episodes per periodic evaluation
    final_episodes: int = 100  # episodes of the final evaluation written to summary.json


@dataclass
class WandbConfig:
    mode: str = "disabled"  # disabled | offline | online; never left to W&B's own default
    project: str = "bounded_ddpg"
    entity: str | None = None
    tags: list[str] = field(default_factory=list)


@dataclass
class Config:
    # The transform node accepts keys beyond TransformConfig's (its class's parameters): see register().
    transform: TransformConfig = field(default_factory=TransformConfig)
    env: EnvConfig = MISSING
    agent: AgentConfig = MISSING
    seed: int = 0
    # Batched members: train one member per seed in this process (networks carry a leading member
    # dimension); each member writes its own run directory exactly as a single run with that seed would.
    # null: one member with `seed`.
    seeds: list[int] | None = None
    # Batched transform ablation: one member per (transform, seed) pair, all in this process; member
    # (t, k) writes <env>/<t>/seed<k>/ exactly as a single run with transform=t seed=k. null: `transform`.
    # An entry is an option of the transform group (a built-in's name, or a file of your conf/transform/,
    # composed on its own as transform=<entry> would be), or a mapping with a name and parameters:
    # [invert, mine, {name: penalty, coef: 0.1}] ({name: mine, temperature: 2.0} overrides mine.yaml's).
    transforms: list[Any] | None = None
    device: str = "cpu"  # cpu | cuda | cuda:N
    torch_threads: int = 1  # intra-op threads per process; more is slower on small shared machines
    # Flush float32 denormals to zero on the CPU (torch.set_flush_denormal). Dead ReLU units leave 11-22% of
    # Adam's moments denormal in long runs, which slows the fused Adam step several-fold; flushing left
    # every result of the runs we compared unchanged bit for bit (tests/test_speed.py pins one).
    flush_denormal: bool = True
    out_dir: str = "runs"  # runs land in <out_dir>/<env>/<transform>/seed<k>/<run id>/
    run_id: str | None = None  # null: a fresh timestamp + random suffix; set it to resume a run
    # Which protocol set the budget: the `experiment` group's choice (default: the env file's budget sized
    # for a few minutes on 2 cores; paper: the published budget, conf/protocol/paper/<env>.yaml).
    experiment: str = "default"
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    log_every_steps: int = 1_000  # metrics.csv row cadence (means of the update metrics since last row)
    # Write <run dir>/checkpoint.pt every this many agent steps (0: only on SIGTERM/SIGINT); rerunning the
    # same command with the same run_id resumes from it (docs/running.md, "Resume and preemption").
    checkpoint_every_steps: int = 0
    progress: bool = True  # tqdm progress bar on stderr
    wandb: WandbConfig = field(default_factory=WandbConfig)


def register() -> None:
    """Register the schema so that conf/config.yaml can name it in its defaults list."""
    # Only the primary schema: the group files are typed through it, and storing group entries would make
    # `schema` appear as a selectable option (transform=schema) in --help and in Hydra's error lists.
    node = OmegaConf.structured(Config)
    # A transform's parameters are its class's, not the schema's: the transform node takes keys beyond
    # name and _target_ (still typed), and transform_specs() checks them against the class's signature.
    OmegaConf.set_struct(node.transform, False)
    ConfigStore.instance().store(name="schema", node=node)


class ConfigError(ValueError):
    """A composed config that the schema's types accept but whose values make no sense."""


def _choice(errors: list[str], key: str, value: Any, valid: tuple[str, ...]) -> None:
    if value not in valid:
        errors.append(f"{key}={value!r} is not a valid choice; valid: {', '.join(valid)}")


def validate(cfg: DictConfig | Config) -> None:
    """Check string choices and ranges the types cannot express; ConfigError lists every problem."""
    from bounded_ddpg.agents import AGENTS  # lazy: keeps this module import-light (agents import it)
    from bounded_ddpg.envs.factory import KNOWN_IDS

    c: Any = cfg
    errors: list[str] = []
    errors += _transform_specs(c)[1]
    _choice(errors, "env.id", c.env.id, KNOWN_IDS)
    _choice(errors, "agent.name", c.agent.name, tuple(AGENTS))
    _choice(errors, "agent.activation", c.agent.activation, ACTIVATIONS)
    _choice(errors, "agent.actor_grad", c.agent.actor_grad, ACTOR_GRADS)
    _choice(errors, "agent.store_action", c.agent.store_action, STORE_ACTIONS)
    _choice(errors, "agent.noise.kind", c.agent.noise.kind, NOISE_KINDS)
    _choice(errors, "wandb.mode", c.wandb.mode, WANDB_MODES)
    if not re.fullmatch(r"cpu|cuda(:\d+)?", c.device):
        errors.append(f"device={c.device!r} is not a valid choice; valid: cpu, cuda, cuda:N")
    positive = {
        "agent.batch_size": c.agent.batch_size,
        "agent.buffer_size": c.agent.buffer_size,
        "agent.updates_per_step": c.agent.updates_per_step,
        "agent.policy_delay": c.agent.policy_delay,
        "torch_threads": c.torch_threads,
        "log_every_steps": c.log_every_steps,
        "eval.episodes": c.eval.episodes,
        "eval.final_episodes": c.eval.final_episodes,
    }
    errors += [f"{k}={v} must be positive" for k, v in positive.items() if v <= 0]
    if c.agent.learning_starts < 0 or c.eval.every_steps < 0 or c.checkpoint_every_steps < 0:
        errors.append("agent.learning_starts, eval.every_steps and checkpoint_every_steps must be >= 0")
    if not 0.0 < c.agent.tau <= 1.0 or not 0.0 <= c.agent.gamma <= 1.0:
        errors.append(f"need 0 < agent.tau <= 1, 0 <= agent.gamma <= 1; got {c.agent.tau}, {c.agent.gamma}")
    if c.budget.steps is None and c.budget.episodes is None:
        errors.append("budget.steps and budget.episodes are both null: set at least one limit")
    for k in ("steps", "episodes"):
        if (v := c.budget[k]) is not None and v <= 0:
            errors.append(f"budget.{k}={v} must be positive or null")
    if c.seeds is not None and (not c.seeds or len(set(c.seeds)) != len(c.seeds)):
        errors.append(f"seeds={list(c.seeds)} must be a non-empty list of distinct seeds (or null)")
    if errors:
        raise ConfigError("invalid config:\n  " + "\n  ".join(errors))


def transform_specs(cfg: DictConfig | Config) -> list[transforms.Spec]:
    """One Spec per member transform: each entry of ``transforms``, or ``[transform]`` when it is null.

    A string entry is an option of the transform group: a built-in's name, else a file of a conf/transform/
    on Hydra's search path (composed as ``transform=<entry>`` would be, so it needs a running Hydra app or
    an initialised compose API). A mapping entry gives a name and parameters; without ``_target_`` and for
    a name that is not a built-in's, its parameters override that option's file. Raises ConfigError that
    lists every problem (unknown names, classes that are not transforms, unknown or mistyped parameters,
    two members with the same label or run directory).
    """
    specs, errors = _transform_specs(cfg)
    if errors:
        raise ConfigError("invalid config:\n  " + "\n  ".join(errors))
    return specs


def _transform_specs(cfg: Any) -> tuple[list[transforms.Spec], list[str]]:
    errors: list[str] = []

    def resolve(where: str, entry: Any, compose_names: bool) -> transforms.Spec | None:
        try:
            return _spec_of(where, entry, compose_names)
        except (ConfigError, transforms.TransformError) as e:
            msg = str(e)  # a TransformError names the transform itself: "transform 'x' (...): ..."
            named = msg.startswith(where) or (where == "transform" and msg.startswith("transform "))
            errors.append(msg if named else f"{where}: {msg}")
            return None

    single = resolve("transform", cfg.transform, compose_names=False)
    if cfg.transforms is None:
        return ([single] if single else []), errors
    entries = list(cfg.transforms)
    if not entries:
        errors.append("transforms=[] must be a non-empty list (or null)")
    specs = [resolve(f"transforms[{i}]", e, compose_names=True) for i, e in enumerate(entries)]
    found = [s for s in specs if s is not None]
    labels, dirs = [s.label for s in found], [s.dir_name for s in found]
    if dupes := sorted({k for k in labels if labels.count(k) > 1}):
        errors.append(
            f"transforms: two members would be the same run: {', '.join(map(repr, dupes))} appears more "
            f"than once (members: {', '.join(labels)})"
        )
    elif dupes := sorted({k for k in dirs if dirs.count(k) > 1}):  # labels differ only in unsafe characters
        errors.append(
            f"transforms: two members would share the run directory {', '.join(map(repr, dupes))} "
            f"(members: {', '.join(labels)})"
        )
    return found, errors


def _spec_of(where: str, entry: Any, compose_names: bool) -> transforms.Spec:
    """The Spec that one transform node (the ``transform`` group's) or one ``transforms`` entry names.

    ``compose_names``: a name that is no built-in's may name a file of the transform group (list entries).
    """
    if isinstance(entry, DictConfig):
        if OmegaConf.is_missing(entry, "name"):
            raise ConfigError("'name' is missing: a transform's file sets `name: <its name>`")
        entry = OmegaConf.to_container(entry, resolve=True)
    if isinstance(entry, str):
        if entry in transforms.names() or not compose_names:
            return transforms.spec(entry)
        return _spec_of(where, _compose_transform_option(entry), compose_names=False)
    if not isinstance(entry, dict):
        raise ConfigError(
            f"{entry!r} is neither a transform's name (an option of the transform group) nor a mapping "
            "{name: ..., <parameter>: ...}"
        )
    node = {str(k): v for k, v in entry.items()}
    name, target = node.pop("name", None), node.pop("_target_", None)
    if not isinstance(name, str):
        raise ConfigError(f"'name' is missing or not a string in {entry!r}")
    if target is None and name not in transforms.names() and compose_names:
        base = _compose_transform_option(name)  # {name: mine, temperature: 2.0} overrides mine.yaml
        return _spec_of(where, {**base, **node, "name": name}, compose_names=False)
    if target is None:
        if name not in transforms.names():  # say which key holds the unknown name
            key = f"{where}.name" if isinstance(entry, dict) and where == "transform" else where
            try:
                transforms.spec(name)
            except transforms.TransformError as e:
                raise ConfigError(f"{key}={name!r}: {e}") from None
        return transforms.spec(name, node)
    return transforms.spec(name, node, cls=_locate(target), target=target)


def _locate(target: Any) -> Any:
    """The object a dotted ``_target_`` path names (module.Class, or module.Outer.Inner)."""
    import importlib
    import os

    if not isinstance(target, str) or not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+", target):
        raise ConfigError(
            f"_target_ {target!r} must be a dotted path module.Class (e.g. mylab.transforms.Soft)"
        )
    parts = target.split(".")
    for n in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:n])
        try:
            obj: Any = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name is not None and (module_name == e.name or module_name.startswith(e.name + ".")):
                if n > 1:
                    continue  # maybe a class inside a shorter module path
                raise ConfigError(
                    f"_target_ {target!r}: cannot import {module_name!r} ({e}). The module must be "
                    f"importable: `python -m bounded_ddpg.run` puts the working directory ({os.getcwd()}) "
                    "on sys.path; "
                    "otherwise set PYTHONPATH or pip install -e your package (docs/extending.md)"
                ) from e
            raise ConfigError(f"_target_ {target!r}: importing {module_name!r} raised {e!r}") from e
        except Exception as e:  # the user's module itself is broken: say where, keep the cause
            raise ConfigError(
                f"_target_ {target!r}: importing {module_name!r} raised {type(e).__name__}: {e} "
                f"(python -c 'import {module_name}' shows the traceback)"
            ) from e
        for attr in parts[n:]:
            if not hasattr(obj, attr):
                found = sorted(
                    k for k, v in vars(obj).items()
                    if isinstance(v, type) and issubclass(v, transforms.ActionGradientTransform)
                    and v not in (transforms.ActionGradientTransform, transforms.PerMember)
                )  # fmt: skip
                have = f"; transforms there: {', '.join(found)}" if found else ""
                raise ConfigError(f"_target_ {target!r}: {obj.__name__!r} has no attribute {attr!r}{have}")
            obj = getattr(obj, attr)
        return obj
    raise AssertionError("unreachable")  # pragma: no cover


def _compose_transform_option(option: str) -> dict[str, Any]:
    """The ``transform`` node that ``transform=<option>`` composes (packaged configs, then the user's)."""
    from hydra import compose
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig
    from hydra.errors import MissingConfigException

    builtin = ", ".join(sorted(transforms.names()))
    if not GlobalHydra.instance().is_initialized():
        raise ConfigError(
            f"unknown transform {option!r}; built-in transforms: {builtin}. A file of the transform group "
            "(conf/transform/<name>.yaml) is found through Hydra's search path: run python -m "
            "bounded_ddpg.run, or compose inside hydra.initialize*(...)"
        )
    overrides, config_name = [f"transform={option}"], "config"
    if HydraConfig.initialized():  # inside the app: the same search path as the command line's
        hc = HydraConfig.get()
        overrides += [o for o in hc.overrides.hydra if o.startswith("hydra.searchpath=")]
        config_name = hc.job.config_name or config_name
    try:
        composed = compose(config_name=config_name, overrides=overrides)
    except MissingConfigException:
        options = GlobalHydra.instance().config_loader().get_group_options("transform")
        raise ConfigError(
            f"unknown transform {option!r}; options of the transform group: {', '.join(options)} "
            "(built-ins, then conf/transform/*.yaml on Hydra's search path)"
        ) from None
    except Exception as e:  # a broken file: Hydra's message names it
        raise ConfigError(f"composing transform={option} failed: {e}") from e
    node = OmegaConf.to_container(composed.transform, resolve=True)
    assert isinstance(node, dict)
    return {str(k): v for k, v in node.items() if not (k == "_target_" and v is None)}


# `transform` is left out: its keys beyond name and _target_ are its class's parameters, checked after
# composition by transform_specs() (which names the valid ones).
SCHEMA_TYPES: dict[str, type] = {
    "": Config,
    "env": EnvConfig,
    "agent": AgentConfig,
    "agent.noise": NoiseConfig,
    "budget": BudgetConfig,
    "eval": EvalConfig,
    "wandb": WandbConfig,
}


def unknown_key_message(overrides: list[str]) -> str | None:
    """A message for the first command-line override whose key the schema does not declare, else None.

    Hydra rejects such keys too, but without naming the valid ones; this names them (and the closest).
    Group choices (``env=Goal``), Hydra's own keys and appends (``+key=...``) are left to Hydra.
    """
    for override in overrides:
        key = override.split("=", 1)[0].lstrip("~")
        if "=" not in override or key.startswith(("+", "hydra")) or "/" in key or "@" in key:
            continue
        parent, _, leaf = key.rpartition(".")
        if parent not in SCHEMA_TYPES:
            top = parent.split(".")[0]
            if parent and top not in {f.name for f in dataclasses.fields(Config)}:
                leaf, parent = top, ""
            else:
                continue
        names = sorted(f.name for f in dataclasses.fields(SCHEMA_TYPES[parent]))
        if leaf not in names:
            where = f"'{parent}'" if parent else "the top level"
            close = difflib.get_close_matches(leaf, names, n=1)
            hint = f" Did you mean '{f'{parent}.' if parent else ''}{close[0]}'?" if close else ""
            return f"unknown key '{key}' in {where}.{hint} Valid keys: {', '.join(names)}"
    return None


def to_plain(cfg: DictConfig) -> dict[str, Any]:
    """The resolved config as plain Python containers (for YAML, JSON and W&B)."""
    out = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
    assert isinstance(out, dict)
    return {str(k): v for k, v in out.items()}
