"""The typed schema behind Hydra's composition.

Every hyperparameter is declared and documented once, here (``--help`` shows these comments). The YAML
files under ``conf/`` only choose values; a key that is not declared here, or a value of the wrong type, is
rejected by Hydra with a message naming it; :func:`validate` checks the rest: every numeric key's range
(``RANGES``), string choices, keys appended with ``+``, conflicting command-line options, the device and
``out_dir``. It imports no agent, environment or transform: each checks its own section (agents.check,
envs.presets.check, transform_config).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "elu")
ACTOR_GRADS = ("chain", "direct")
STORE_ACTIONS = ("raw", "clipped")
WARMUPS = ("uniform", "policy")
LR_DECAYS = ("none", "linear")
NOISE_KINDS = ("gaussian", "ou", "none")
WANDB_MODES = ("disabled", "offline", "online")


@dataclass
class TransformConfig:
    """The action-gradient transform between dQ/da and the actor; one file per option in conf/transform/.

    Besides the two keys below, every key of a transform's file is a keyword parameter of its class,
    checked against the class's ``__init__`` signature (names, types, required ones) by
    bounded_ddpg.transform_config before anything is written; each class documents its parameters in its
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
    # Any gymnasium id: a registered one (InvertedPendulum-v5), gymnasium's `module:Id` form, which imports
    # your module so that it registers the id (mylab.envs:Reach-v0), or Platform, Goal, GoalXY. Set without
    # env=<preset>, the run takes the preset with that id, else its action family's generic defaults
    # (env=box, env=hybrid; bounded_ddpg/envs/presets.py). Supported spaces: bounded_ddpg/envs/spaces.py.
    id: str = MISSING
    # Keyword arguments for gymnasium.make: a mapping in a preset, `+env.kwargs.g=5.0` on the command line.
    kwargs: dict[str, Any] = field(default_factory=dict)
    # Whether the action is hybrid (a discrete choice with continuous parameters, flattened to one Box;
    # epsilon-greedy then acts on its K discrete scores). null: read from the action space.
    parameterised: bool | None = None
    # Hybrid actions with one shared parameter Box, Tuple(Discrete(K), Box(P)): which parameters each
    # discrete action uses, one list of indices per action, e.g. [[0], [1], []]. null: the environment's own
    # `param_map` attribute if it has one, else every action uses every parameter.
    param_map: list[list[int]] | None = None
    # The info key read at the end of each evaluation episode (gymnasium-robotics: is_success; Goal: goal);
    # the fraction of episodes where it is true is P(success): eval.csv's and summary.json's p_success.
    # null: no success rate.
    success_key: str | None = None
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
    # A protocol variant, none in every published protocol: linear scales both learning rates by the
    # fraction of the member's budget still left, 1 - max(step / budget.steps, episodes / budget.episodes),
    # so each member's steps shrink to 0 at its own end (an episode budget ends members at different steps).
    lr_decay: str = "none"  # none | linear
    gamma: float = 0.99
    tau: float = 0.005  # fraction of online weights mixed into the targets per target update
    # A protocol variant, off in every published protocol (ddpg and td3 only): greedy actions (evaluation)
    # come from a Polyak average of the actor, avg <- (1 - policy_average) avg + policy_average actor after
    # every actor step, started at the initial actor. Training (exploration, updates) is unchanged bit for
    # bit, so a run with it is paired, seed by seed, with the same run without it. null: off.
    policy_average: float | None = None
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
    # Compile the update with torch.compile (inductor; bounded_ddpg/compiled.py): each phase (critic step;
    # critic + actor + targets) traced through the same code and seam. Agrees with the eager update to float
    # rounding, not bit for bit. Costs ~20-100 s of compiling per member count before the first update
    # (more on a loaded machine; cached on disk for later runs), and needs a C++ compiler (else: a warning,
    # and eager). false (eager, bit for bit as before: tests/test_eager_pinned.py) is the default;
    # docs/benchmarks.md has the figures.
    compile: bool = False
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
    # dimension); each member writes its own run directory, as a single run with that seed would (the same
    # numbers for one member; statistically equivalent ones for several: docs/running.md). null: `seed`.
    seeds: list[int] | None = None
    # Batched transform ablation: one member per (transform, seed) pair, all in this process; member
    # (t, k) writes <env>/<t>/seed<k>/ as a single run with transform=t seed=k would. null: `transform`.
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
    # TensorBoard event files in <run dir>/tensorboard/ (our keys and CleanRL's; bounded_ddpg/tb_sink.py);
    # needs pip install 'bounded_ddpg[tensorboard]'.
    tensorboard: bool = False
    wandb: WandbConfig = field(default_factory=WandbConfig)


def register() -> None:
    """Register the schema so that conf/config.yaml can name it in its defaults list."""
    # Only the primary schema: the group files are typed through it, and storing group entries would make
    # `schema` appear as a selectable option (transform=schema) in --help and in Hydra's error lists.
    node = OmegaConf.structured(Config)
    # A transform's parameters are its class's, not the schema's: the transform node takes keys beyond
    # name and _target_ (still typed), and transform_config checks them against the class's signature.
    OmegaConf.set_struct(node.transform, False)
    ConfigStore.instance().store(name="schema", node=node)


class ConfigError(ValueError):
    """A composed config that the schema's types accept but whose values make no sense."""

    @classmethod
    def listing(cls, problems: Sequence[str]) -> ConfigError:
        """One error listing every problem, one per line."""
        return cls("invalid config:\n  " + "\n  ".join(problems))


def _finite(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _pos(v: Any) -> bool:
    return _finite(v) and v > 0


def _nonneg(v: Any) -> bool:
    return _finite(v) and v >= 0


def _unit(v: Any) -> bool:
    return _finite(v) and 0 <= v <= 1


def _seeds(v: Any) -> bool:
    return v is None or (len(v) > 0 and len(set(v)) == len(v) and all(_nonneg(s) for s in v))


def _run_id(v: Any) -> bool:
    return v is None or (v not in ("", ".", "..") and "/" not in v and "\\" not in v and v.strip() == v)


# The valid range of every numeric (and path-like) key, with the text that error messages and `--help`
# show; string choices are checked against the registries in validate(). A rule sees the composed value.
RANGES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "seed": (_nonneg, "an integer >= 0"),
    "seeds": (_seeds, "null, or a non-empty list of distinct integers >= 0"),
    "torch_threads": (_pos, ">= 1"),
    "out_dir": (lambda v: bool(v.strip()), "a non-empty directory path (default: runs)"),
    "run_id": (_run_id, "null, or a name without '/' (not '.' or '..')"),
    "log_every_steps": (_pos, ">= 1"),
    "checkpoint_every_steps": (_nonneg, ">= 0 (0: only on SIGTERM/SIGINT)"),
    "env.reward_scale": (_pos, "> 0 (a finite number)"),
    "agent.hidden_sizes": (lambda v: all(_pos(h) for h in v), "a list of integers >= 1"),
    "agent.final_init": (_nonneg, ">= 0 (0: torch's default init)"),
    "agent.actor_bias_init": (lambda v: v is None or all(_finite(b) for b in v),
                              "null, or one finite number per action dimension"),
    "agent.lr_actor": (_pos, "> 0 (a finite learning rate)"),
    "agent.lr_critic": (_pos, "> 0 (a finite learning rate)"),
    "agent.gamma": (_unit, "0 <= gamma <= 1"),
    "agent.tau": (lambda v: _finite(v) and 0 < v <= 1, "0 < tau <= 1"),
    "agent.policy_average": (lambda v: v is None or (_finite(v) and 0 < v <= 1),
                             "null (off), or 0 < policy_average <= 1"),
    "agent.batch_size": (_pos, ">= 1"),
    "agent.buffer_size": (_pos, ">= 1"),
    "agent.learning_starts": (_nonneg, ">= 0, and below budget.steps when that is set"),
    "agent.updates_per_step": (_pos, ">= 1"),
    "agent.policy_delay": (_pos, ">= 1"),
    "agent.policy_noise": (_nonneg, ">= 0"),
    "agent.noise_clip": (_nonneg, ">= 0"),
    "agent.grad_clip": (lambda v: v is None or _pos(v), "> 0 (a max gradient norm), or null: no clipping"),
    "agent.noise.sigma": (_nonneg, ">= 0"),
    "agent.noise.theta": (_unit, "0 <= theta <= 1"),
    "agent.noise.epsilon_start": (_unit, "0 <= epsilon_start <= 1"),
    "agent.noise.epsilon_end": (_unit, "0 <= epsilon_end <= epsilon_start"),
    "agent.noise.epsilon_decay_episodes": (_nonneg, ">= 0"),
    "budget.steps": (lambda v: v is None or _pos(v), ">= 1, or null: no step limit"),
    "budget.episodes": (lambda v: v is None or _pos(v), ">= 1, or null: no episode limit"),
    "eval.every_steps": (_nonneg, ">= 0 (0: only the final evaluation)"),
    "eval.episodes": (_pos, ">= 1"),
    "eval.final_episodes": (_pos, ">= 1"),
}  # fmt: skip
CHOICES_TEXT = {  # the choices of string keys, for `--help` (registries: see validate)
    "transform.name": "a registered transform (bounded_ddpg.transforms.names())",
    "env.id": "any gymnasium id, module:Id, or Platform | Goal | GoalXY (bounded_ddpg/envs/factory.py)",
    "agent.name": "a registered agent (bounded_ddpg.agents.AGENTS)",
    "agent.activation": " | ".join(ACTIVATIONS),
    "agent.actor_grad": " | ".join(ACTOR_GRADS),
    "agent.store_action": " | ".join(STORE_ACTIONS),
    "agent.lr_decay": " | ".join(LR_DECAYS),
    "agent.noise.kind": " | ".join(NOISE_KINDS),
    "wandb.mode": " | ".join(WANDB_MODES),
    "device": "cpu | cuda | cuda:N (CUDA must be available)",
}
# Keys that the command line may set but that a list key replaces: both given is a conflict.
CONFLICTS = (("transform", "transforms"), ("seed", "seeds"))


def _choice(errors: list[str], key: str, value: Any, valid: tuple[str, ...]) -> None:
    if value not in valid:
        errors.append(f"{key}={value!r} is not a valid choice; valid: {', '.join(valid)}")


def _get(c: Any, key: str) -> Any:
    for part in key.split("."):
        c = c[part] if isinstance(c, dict) else getattr(c, part)
    return c


def _show(v: Any) -> str:
    if isinstance(v, DictConfig | ListConfig):
        v = OmegaConf.to_container(v)
    return repr(v) if isinstance(v, str) else "null" if v is None else str(v).replace(" ", "")


def override_key(override: str) -> str:
    """The key an override sets: ``+agent.x=1`` -> ``agent.x``, ``transform=invert`` -> ``transform``."""
    return override.split("=", 1)[0].lstrip("+~").split("@", 1)[0]


def _undeclared(node: Any, prefix: str = "") -> list[str]:
    """Keys present in the composed config that the schema does not declare (e.g. from ``+agent.lrr=1``)."""
    if not isinstance(node, DictConfig) or prefix not in SCHEMA_TYPES:
        return []
    declared = {f.name for f in dataclasses.fields(SCHEMA_TYPES[prefix])}
    out = []
    for key in map(str, node):
        path = f"{prefix}.{key}" if prefix else key
        if key not in declared:
            close = difflib.get_close_matches(key, declared, n=1)
            hint = f" Did you mean '{prefix + '.' if prefix else ''}{close[0]}'?" if close else ""
            out.append(f"{path}={_show(node[key])} is invalid: the schema declares no key {key!r} in "
                       f"{repr(prefix) if prefix else 'the top level'}.{hint} Valid keys: "
                       f"{', '.join(sorted(declared))}")  # fmt: skip
        elif path in SCHEMA_TYPES:
            out += _undeclared(node[key], path)
    return out


def validate(cfg: DictConfig | Config, overrides: Sequence[str] = ()) -> None:
    """ConfigError listing every one of :func:`problems`, if there is any."""
    if errors := problems(cfg, overrides):
        raise ConfigError.listing(errors)


def problems(cfg: DictConfig | Config, overrides: Sequence[str] = ()) -> list[str]:
    """Every key the types cannot check: string choices, numeric ranges (RANGES), keys the schema does not
    declare, and conflicts between command-line ``overrides``; each problem names the key, its value and
    what is valid. Also whether a requested CUDA device exists. The rest is checked beside what it checks:
    the transforms against their classes (bounded_ddpg.transform_config), the env section against its
    environment (bounded_ddpg.envs.presets), the agent section by its agent (bounded_ddpg.agents.check)."""
    c: Any = cfg
    errors: list[str] = _undeclared(cfg)
    _choice(errors, "agent.activation", c.agent.activation, ACTIVATIONS)
    _choice(errors, "agent.actor_grad", c.agent.actor_grad, ACTOR_GRADS)
    _choice(errors, "agent.store_action", c.agent.store_action, STORE_ACTIONS)
    _choice(errors, "agent.lr_decay", c.agent.lr_decay, LR_DECAYS)
    _choice(errors, "agent.noise.kind", c.agent.noise.kind, NOISE_KINDS)
    _choice(errors, "wandb.mode", c.wandb.mode, WANDB_MODES)
    for key, (ok, valid) in RANGES.items():
        if not ok(value := _get(c, key)):
            errors.append(f"{key}={_show(value)} is invalid; valid: {valid}")
    noise, steps = c.agent.noise, c.budget.steps
    if _unit(noise.epsilon_start) and _unit(noise.epsilon_end) and noise.epsilon_end > noise.epsilon_start:
        errors.append(f"agent.noise.epsilon_end={noise.epsilon_end} is invalid; valid: 0 <= epsilon_end "
                      f"<= epsilon_start (= {noise.epsilon_start}; epsilon decays)")  # fmt: skip
    if steps is not None and _pos(steps) and c.agent.learning_starts >= steps:
        errors.append(f"agent.learning_starts={c.agent.learning_starts} is invalid; valid: below "
                      f"budget.steps (= {steps}), or the agent would never update")  # fmt: skip
    if c.budget.steps is None and c.budget.episodes is None:
        errors.append("budget.steps and budget.episodes are both null: set at least one limit")
    given = {override_key(o): o for o in overrides}
    for single, many in CONFLICTS:
        one = given.get(single) or given.get(f"{single}.name")
        if one and many in given and _get(c, many) is not None:
            errors.append(f"{one} and {given[many]} are both given: {many}=[...] replaces {single} (one "
                          f"member per listed value); give only one of them")  # fmt: skip
    return errors + _device_problems(c.device) + (out_dir_problems(c.out_dir) if c.out_dir.strip() else [])


# `transform` is left out: its keys beyond name and _target_ are its class's parameters, checked after
# composition by bounded_ddpg.transform_config (which names the valid ones).


def _device_problems(device: str) -> list[str]:
    if not re.fullmatch(r"cpu|cuda(:\d+)?", device):
        return [f"device={device!r} is not a valid choice; valid: cpu, cuda, cuda:N"]
    if device == "cpu":
        return []
    import torch

    if not torch.cuda.is_available():
        return [f"device={device!r} is not available: this torch ({torch.__version__}) sees no CUDA device; "
                "valid here: cpu"]  # fmt: skip
    index, count = int(device.partition(":")[2] or 0), torch.cuda.device_count()
    if index >= count:
        return [f"device={device!r} is not available: {count} CUDA device(s) visible; valid: cpu, cuda, "
                f"cuda:0 to cuda:{count - 1}"]  # fmt: skip
    return []


def out_dir_problems(out_dir: str) -> list[str]:
    """Why ``out_dir`` cannot hold runs (read-only checks; nothing is created), or nothing."""
    if not out_dir.strip():
        return [f"out_dir={out_dir!r} is invalid; valid: {RANGES['out_dir'][1]}"]
    path = Path(out_dir).absolute()
    for ancestor in reversed(path.parents):  # from / down: each is reached through a searchable one
        if ancestor.is_dir() and not os.access(ancestor, os.X_OK):
            return [f"out_dir={out_dir!r} is invalid: {ancestor} cannot be searched by this user (no execute "
                    f"permission), so nothing below it can be reached"]  # fmt: skip
    if path.exists() and not path.is_dir():
        return [f"out_dir={out_dir!r} is invalid: it is a file, not a directory"]
    parent = next(p for p in (path, *path.parents) if p.exists())
    if not parent.is_dir():
        return [f"out_dir={out_dir!r} is invalid: {parent} is a file, not a directory"]
    if not os.access(parent, os.W_OK | os.X_OK):
        return [f"out_dir={out_dir!r} is invalid: {parent} is not writable"]
    return []


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
