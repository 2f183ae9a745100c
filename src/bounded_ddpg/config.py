"""The typed schema behind Hydra's composition.

Every hyperparameter is declared and documented once, here. The YAML files under ``conf/`` only choose
values; a key that is not declared here, or a value of the wrong type, is rejected by Hydra with a message
naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "elu")
ACTOR_GRADS = ("chain", "direct")
STORE_ACTIONS = ("raw", "clipped")
NOISE_KINDS = ("gaussian", "ou", "none")
WANDB_MODES = ("disabled", "offline", "online")


@dataclass
class TransformConfig:
    # Which action-gradient transform sits between dQ/da and the actor (bounded_ddpg.transforms.NAMES).
    name: str = MISSING


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
    hidden_sizes: list[int] = field(default_factory=lambda: [256, 256])  # both actor and critic
    activation: str = "relu"  # relu | leaky_relu | tanh | elu
    # Final-layer weights and biases ~ U(-final_init, final_init) as in Lillicrap et al.; 0 keeps torch's.
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
    learning_starts: int = 5_000  # transitions collected (uniform random actions) before updates begin
    updates_per_step: int = 1  # critic updates per environment step
    policy_delay: int = 1  # actor and target updates every policy_delay critic updates (TD3/CleanRL: 2)
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
    transform: TransformConfig = MISSING
    env: EnvConfig = MISSING
    agent: AgentConfig = MISSING
    seed: int = 0
    # Batched members: train one member per seed in this process (networks carry a leading member
    # dimension); each member writes its own run directory exactly as a single run with that seed would.
    # null: one member with `seed`.
    seeds: list[int] | None = None
    device: str = "cpu"  # cpu | cuda | cuda:N
    torch_threads: int = 1  # intra-op threads per process; more is slower on small shared machines
    out_dir: str = "runs"  # runs land in <out_dir>/<env>/<transform>/seed<k>/<run id>/
    run_id: str | None = None  # null: a fresh timestamp + random suffix; set it to resume a run
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    log_every_steps: int = 1_000  # metrics.csv row cadence (means of the update metrics since last row)
    checkpoint_every_steps: int = 0  # 0 disables periodic checkpoints
    progress: bool = True  # tqdm progress bar on stderr
    wandb: WandbConfig = field(default_factory=WandbConfig)


def register() -> None:
    """Register the schema so that conf/config.yaml can name it in its defaults list."""
    cs = ConfigStore.instance()
    cs.store(name="schema", node=Config)
    cs.store(group="transform", name="schema", node=TransformConfig)
    cs.store(group="env", name="schema", node=EnvConfig)
    cs.store(group="agent", name="schema", node=AgentConfig)
