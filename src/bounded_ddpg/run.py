"""`python -m bounded_ddpg.run [KEY=VALUE ...]`: compose the config, build, train, evaluate, write.

The configs ship inside the package (``bounded_ddpg/conf``, docs/running.md has the reference); a ``conf/``
in the working directory, and any directory on ``hydra.searchpath``, is searched after them
(hydra_plugins/bounded_ddpg_searchpath), so a researcher's own transforms, envs and experiments are
selectable by name (docs/extending.md). Composition and validation come first; only then are run
directories created, one per member (every pair of ``cfg.transforms`` x ``cfg.seeds``; by default one
member, ``cfg.transform`` with ``cfg.seed``): ``<out_dir>/<env>/<transform>/seed<k>/<run id>/``, the
transform's directory name being its label made filesystem-safe (docs/run-directory.md), each locked
(lock.py) for the life of the process. A single run's log goes to ``<out_dir>/.hydra/<time>/run.log``,
created with the run directories (a config that fails validation leaves nothing on disk); under ``-m``,
Hydra's sweep directory ``<out_dir>/.hydra/multirun/`` holds the jobs' logs. Nothing goes into the working
directory.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

os.environ.setdefault("WANDB_ERROR_REPORTING", "false")  # before anything can import wandb

import hydra
import numpy as np
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from bounded_ddpg import agents, checkpoint, find_run, lock, resume, schema_help, transform_config, transforms
from bounded_ddpg import config as schema
from bounded_ddpg.checkpoint import CheckpointError
from bounded_ddpg.envs import presets
from bounded_ddpg.envs.spaces import EnvError
from bounded_ddpg.logger import (
    RunLogger,
    WriteError,
    git_commit,
    new_run_id,
    run_dir_for,
    versions,
    wandb_login_problem,
)
from bounded_ddpg.replay import ReplayBuffer
from bounded_ddpg.train import FINISHED, RUNNING, Member, Stopped, Trainer

schema.register()
schema_help.register_resolvers()  # --help's groups and keys
log = logging.getLogger("bounded_ddpg")
# Exit statuses (docs/running.md): 0 finished (or diverged, or already ended), 2 bad config, a run
# directory that cannot be resumed or that another process holds, 74 a write failure, 130 SIGINT (128 + 2),
# 143 SIGTERM/preemption (128 + 15, what a shell reports for a process killed by SIGTERM); both after
# writing a checkpoint.
EXIT_INTERRUPTED, EXIT_PREEMPTED = 130, 143
EXIT_WRITE_FAILED = 74  # a file of the run could not be written (sysexits.h's EX_IOERR): full disk, ...


def _members(
    cfg: DictConfig, specs: list[transforms.Spec] | None = None
) -> tuple[list[transforms.Spec], list[int]]:
    """(transform, seed) of every member: the product of ``transforms`` (or ``transform``) and ``seeds``;
    ``specs``: the transforms already resolved from ``cfg`` (by default resolved here)."""
    if specs is None:  # built-ins by name, the user's by _target_, with their parameters
        specs = transform_config.specs(cfg)
    seeds = list(cfg.seeds) if cfg.seeds is not None else [cfg.seed]
    pairs = [(t, s) for t in specs for s in seeds]
    return [t for t, _ in pairs], [s for _, s in pairs]


def _member_configs(cfg: DictConfig, specs: list[transforms.Spec], seeds: list[int]) -> list[dict[str, Any]]:
    plain = schema.to_plain(cfg)
    return [  # exactly what a single run records: the transform's name, _target_ if any, every parameter
        {**plain, "transform": t.record(), "transforms": None, "seed": s, "seeds": None}
        for t, s in zip(specs, seeds)
    ]


def _task_overrides() -> list[str]:
    return list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []


def check(
    cfg: DictConfig, overrides: Sequence[str]
) -> tuple[DictConfig, list[transforms.Spec], list[int], str | None]:
    """The config's own checks, before anything is built or written: the env preset for a bare ``env.id``
    (envs/presets.py), the schema (with the command line's ``overrides``, for conflicts), one member per run
    under a W&B sweep agent, the env section against the environment it names and the agent section
    against its agent (the environment built once, then closed). Returns the config (recomposed with the
    preset where one applies), the members' (transform, seed) lists and the line saying which preset."""
    try:
        cfg, note = presets.resolve(cfg, overrides)
        specs, transform_problems = transform_config.resolve(cfg)
        if errors := schema.problems(cfg, overrides) + transform_problems:
            raise schema.ConfigError.listing(errors)
        names, seeds = _members(cfg, specs)
        if cfg.wandb.mode != "disabled" and len(seeds) > 1 and os.environ.get("WANDB_SWEEP_ID"):
            raise schema.ConfigError(
                "under a W&B sweep agent a run has one member: use seed=... and transform=..., not "
                "seeds=[...] or transforms=[...]"
            )
        probe, problems = presets.check(cfg)
    except EnvError as e:
        raise schema.ConfigError(str(e)) from e
    dim = int(np.prod(probe.action_space.shape or (0,)))
    problems += agents.check(cfg.agent, dim, int(getattr(probe, "n_discrete", 0)), cfg.env.name)
    probe.close()
    if problems:
        raise schema.ConfigError.listing(problems)
    return cfg, names, seeds, note


def train_from_config(
    cfg: DictConfig, overrides: Sequence[str] | None = None, on_ready: Callable[[str], None] | None = None
) -> list[dict[str, Any]]:
    """Train (or resume) every member of ``cfg`` and return their summaries (status, final_eval, ...).

    Everything is checked before anything is written: the config (with the command line's ``overrides``,
    by default Hydra's task overrides, for conflicts), the config against the built environment, W&B's
    login and server, the run directories' locks, for a resume the run directories themselves, and the
    agent (which may refuse the config). ``on_ready(run_id)`` is called then, once, before the first write.
    """
    cfg, names, seeds, note = check(cfg, _task_overrides() if overrides is None else overrides)
    if note is not None:  # in the run's log too: after on_ready, which creates the log file
        on_ready = _then_log(on_ready, note)
    if problem := wandb_login_problem(cfg.wandb.mode):
        raise schema.ConfigError(problem)
    torch.set_num_threads(cfg.torch_threads)
    torch.set_flush_denormal(cfg.flush_denormal)
    configs = _member_configs(cfg, names, seeds)

    def dirs_for(run_id: str) -> list[Path]:
        return [run_dir_for(cfg.out_dir, cfg.env.name, t.dir_name, s, run_id) for t, s in zip(names, seeds)]

    run_id = cfg.run_id or find_run.unfinished_run([d.parent for d in dirs_for("_")], configs)
    if run_id and not cfg.run_id:
        print(f"resuming run_id={run_id}, the newest unfinished run of this config in {cfg.out_dir} (started "
              f"without run_id; docs/running.md, 'Resume and preemption')", file=sys.stderr)  # fmt: skip
    run_id = run_id or new_run_id(find_run.slurm_job())
    dirs = dirs_for(run_id)
    summaries: list[dict[str, Any] | None] = [None] * len(seeds)
    states = None
    with lock.locked(dirs):  # one process per run directory, from before its first read
        exists = [d.exists() for d in dirs]  # resume: everything is read and checked before any write
        if any(exists) and not all(exists):
            missing = ", ".join(str(d) for d, e in zip(dirs, exists) if not e)
            raise resume.ResumeError(f"cannot resume run_id={run_id}: no run directory {missing}")
        if all(exists):
            summaries = resume.read_run_dirs(dirs, configs)
        ended = [s is not None and s["status"] in resume.ENDED for s in summaries]
        if all(exists) and not all(ended):
            states, ended = resume.resume_states(dirs, seeds, summaries, ended)
        for d, s, e in zip(dirs, summaries, ended):
            if e:  # an ended member is not re-run: only the others are built and resumed
                print(f"{d}: already {s['status']} (summary.json); nothing to do", file=sys.stderr)  # type: ignore[index]
        if all(ended):
            return summaries  # type: ignore[return-value]
        live = [i for i, e in enumerate(ended) if not e]

        def pick(values: list[Any]) -> list[Any]:
            return [values[i] for i in live]

        # a member re-run after it ended (resume.ended_after) starts without its ended summary
        to_run = [None if s is not None and s["status"] in resume.ENDED else s for s in pick(summaries)]
        try:
            with _stop_signals() as received:  # from here on, a SIGTERM ends in a checkpoint
                members = pick(names), pick(seeds), pick(dirs), pick(configs), to_run
                trainer = _build(cfg, *members, states, on_ready)
                trainer.stop_signals = received
                trained = iter(_train(trainer))
        except WriteError as e:
            hint = (f"Training stopped (run_id={run_id}); summary.json says interrupted where it could still "
                    f"be written, and the last checkpoint written is kept. Free space (or fix the path) "
                    f"before resuming")  # fmt: skip
            raise WriteError(e.path, e.error, hint) from e
    return [s if e else next(trained) for s, e in zip(summaries, ended)]  # type: ignore[misc]


def _then_log(on_ready: Callable[[str], None] | None, line: str) -> Callable[[str], None]:
    def ready(run_id: str) -> None:
        if on_ready is not None:
            on_ready(run_id)
        log.info(line)

    return ready


def _build(
    cfg: DictConfig,
    specs: list[transforms.Spec],
    seeds: list[int],
    dirs: list[Path],
    configs: list[dict[str, Any]],
    summaries: list[dict[str, Any] | None],
    states: list[dict[str, Any]] | None,
    on_ready: Callable[[str], None] | None = None,
) -> Trainer:
    """Agent, replay, environments and loggers of the members to train (new or resumed), restored.
    ``on_ready(run_id)`` is called once the agent accepts the config, before the first write."""
    envs = [
        (presets.build(cfg.env), presets.build(cfg.env)) for _ in seeds
    ]  # seeded by tapes and evaluations
    env = envs[0][0]
    obs_dim, low, high = env.observation_space.shape[0], env.action_space.low, env.action_space.high  # type: ignore[attr-defined,index]
    n_discrete = int(getattr(env, "n_discrete", 0))
    agent_cfg = OmegaConf.to_object(cfg.agent)
    assert isinstance(agent_cfg, schema.AgentConfig)
    labels = [t.label for t in specs]
    transform = specs[0] if len(set(labels)) == 1 else specs  # one transform, or one per member
    try:  # a class that refuses its parameters or these bounds: a config error, before anything is written
        agent = agents.make(obs_dim, low, high, agent_cfg, transform, n_discrete, seeds, cfg.device,
                            param_map=getattr(env, "param_map", None))  # fmt: skip
    except transforms.TransformError as e:
        raise schema.ConfigError(str(e)) from e
    capacity = min(agent_cfg.buffer_size, cfg.budget.steps or agent_cfg.buffer_size)  # never wraps: same
    replay = ReplayBuffer(capacity, obs_dim, low.size, seeds, cfg.device)
    members = [Member(spec.label, seed, *pair) for spec, seed, pair in zip(specs, seeds, envs)]
    trainer = Trainer(cfg, agent, replay, members)
    if states:
        checkpoint.restore(trainer, states, summaries, dirs)
    if on_ready is not None:
        on_ready(dirs[0].name)
    meta = {"versions": versions(), "git_commit": git_commit()}
    for m, (spec, member, run_dir) in enumerate(zip(specs, members, dirs)):
        mode = "resume" if run_dir.exists() else "new"
        offsets = states[m]["logger_offsets"] if states else None
        member.logger = RunLogger(run_dir, configs[m], cfg.env.success_key, meta, mode, offsets, spec.label)
        log.info("run directory: %s (%s)", run_dir, mode)
    if states:
        log.info("resumed at step %d", trainer.step)
    for m, member in enumerate(members):
        if member.status == RUNNING:
            member.logger.write_summary(trainer.summary(m))  # "running" until the final one replaces it
    return trainer


@contextlib.contextmanager
def _stop_signals() -> Iterator[list[int]]:
    """SIGTERM and SIGINT append to the yielded list (the loop checkpoints and stops at its next step
    boundary); a second SIGINT raises KeyboardInterrupt at once. Previous handlers come back afterwards."""
    received: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if received and signum == signal.SIGINT:
            raise KeyboardInterrupt
        received.append(signum)

    handlers = {}
    if threading.current_thread() is threading.main_thread():
        handlers = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield received
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def _train(trainer: Trainer) -> list[dict[str, Any]]:
    """Run the loop; every member's final summary, in the order of ``trainer.all_members``."""
    try:
        trainer.run()
    except (KeyboardInterrupt, Stopped, WriteError):
        for m, member in enumerate(trainer.members):  # those that ended have left; the rest are interrupted
            if not member.logger.closed:  # interrupted now, or ended but its summary could not be written
                try:
                    trainer.close(m)
                except WriteError as e:
                    log.error("%s: summary.json could not be updated: %s", member.logger.run_dir, e)
        raise
    finally:
        for member in trainer.all_members:
            member.env.close()
            member.eval_env.close()
    summaries = [member.summary for member in trainer.all_members]
    assert all(s is not None for s in summaries), "the loop ended with a member that never ended"
    for s, member in zip(summaries, trainer.all_members):
        assert s is not None
        fe = s["final_eval"]
        extra = f", P(success) {fe['p_success']:.3f}" if fe.get("p_success") is not None else ""
        log.info("%s %s seed %d: %s, final eval return %s%s (%s)", s["env"], s["transform"], s["seed"],
                 s["status"], rounded(fe.get("return_mean")), extra, member.logger.run_dir)  # fmt: skip
    return summaries  # type: ignore[return-value]


def rounded(x: float | None) -> str:
    """A return for a log line: 3 decimals below 10, 2 below 100, 1 below 1000, else none (as the report)."""
    if x is None or not math.isfinite(x):
        return "n/a"
    d = 3 if abs(x) < 10 else 2 if abs(x) < 100 else 1 if abs(x) < 1000 else 0
    return f"{x:.{d}f}"


LOG_FORMAT = "[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"  # Hydra's default job log format


def _log_file(cfg: DictConfig) -> Path:
    """Where this job's log goes: Hydra's job directory when Hydra made one (multirun, or a hydra.run.dir
    set by the user), else <out_dir>/.hydra/<time>/run.log (created only once every check has passed)."""
    hydra_dir = Path(HydraConfig.get().runtime.output_dir)
    if hydra_dir.resolve() != Path.cwd().resolve():
        return hydra_dir / "run.log"
    return Path(cfg.out_dir) / ".hydra" / datetime.now().strftime("%Y%m%d-%H%M%S-%f") / "run.log"


def _resume_command(run_id: str | None) -> str:
    """The command that resumes this job's run: how it was started, its overrides, ``run_id=<run_id>``."""
    hydra = HydraConfig.get()
    searchpath = [o for o in hydra.overrides.hydra if o.split("=", 1)[0].lstrip("+") == "hydra.searchpath"]
    program = "bounded-ddpg" if Path(sys.argv[0]).name == "bounded-ddpg" else "python -m bounded_ddpg.run"
    return find_run.resume_command(program, sys.argv[1:], [*hydra.overrides.task, *searchpath], run_id)


def _job_name() -> str:
    """Under -m, ``job <n> (<its overrides>): `` naming the job a message is about; else nothing."""
    hydra = HydraConfig.get()
    if hydra.mode != RunMode.MULTIRUN:
        return ""
    return f"multirun job {hydra.job.num} ({' '.join(hydra.overrides.task)}): "


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def hydra_main(cfg: DictConfig) -> float | None:
    """Hydra's task function; returns the first member's final evaluation return (for Hydra sweepers)."""
    overrides = list(HydraConfig.get().overrides.task)
    handlers: list[logging.Handler] = []
    run_ids: list[str] = []

    def on_ready(run_id: str) -> None:  # every check passed: the log file may be created now
        run_ids.append(run_id)
        path = _log_file(cfg)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.FileHandler(path, encoding="utf-8")
        except OSError as e:
            raise WriteError(path, e) from e
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        logging.getLogger().addHandler(handler)
        handlers.append(handler)
        log.info("overrides: %s", " ".join(overrides) or "(none)")

    def resume_with() -> str:
        return f"To resume:\n  {_resume_command(run_ids[0] if run_ids else None)}"

    try:
        summaries = train_from_config(cfg, overrides, on_ready)
    except (schema.ConfigError, CheckpointError) as e:
        print(f"error: {_job_name()}{e}", file=sys.stderr)
        sys.exit(2)
    except WriteError as e:
        print(f"error: {e}. {resume_with()}", file=sys.stderr)
        sys.exit(EXIT_WRITE_FAILED)
    except Stopped as e:
        preempted = e.signum == signal.SIGTERM
        what = "interrupted (preempted)" if preempted else "interrupted"
        print(f"{e}: checkpoint written, summary.json says {what}. {resume_with()}", file=sys.stderr)
        sys.exit(EXIT_PREEMPTED if preempted else EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        print(f"interrupted (a second Ctrl-C: no checkpoint at this step): summary.json says status "
              f"interrupted. {resume_with()}", file=sys.stderr)  # fmt: skip
        sys.exit(EXIT_INTERRUPTED)
    finally:
        for handler in handlers:
            logging.getLogger().removeHandler(handler)
            handler.close()
    first = summaries[0]
    return first["final_eval"]["return_mean"] if first["status"] == FINISHED else None


HYDRA_SYNTAX = frozenset(",[]{}()'\"\\=$ \t")  # what a value quoted by _for_hydra must not hold


def _for_hydra(arg: str) -> str:
    """``key=value`` as Hydra's override lexer reads it: a plain value with non-ASCII letters
    (``out_dir=ünïcödé``), which the lexer refuses unquoted, in double quotes; anything else unchanged."""
    key, eq, value = arg.partition("=")
    if arg.startswith("-") or not eq or value.isascii() or HYDRA_SYNTAX & set(value):
        return arg
    return f'{key}="{value}"'


def main() -> None:
    """Console entry point: what must be refused before Hydra composes (and, under -m, creates the sweep
    directory): unknown keys, named with the valid ones, and an out_dir that cannot hold runs. A reader
    that stops early (``bounded-ddpg --help | head``) ends the output quietly."""
    sys.argv[1:] = [_for_hydra(a) for a in sys.argv[1:]]
    args = [a for a in sys.argv[1:] if "=" in a and not a.startswith("-")]
    if message := schema.unknown_key_message(args):
        print(f"error: {message}", file=sys.stderr)
        sys.exit(2)
    for arg in args:
        key, _, value = arg.partition("=")
        if key.lstrip("+") == "out_dir" and "," not in value and (problems := schema.out_dir_problems(value)):
            print(f"error: invalid config:\n  {problems[0]}", file=sys.stderr)
            sys.exit(2)
    try:
        hydra_main()
    except SystemExit as e:  # Hydra's composition error (exit 1) for an experiment it did not find
        if e.code == 1 and (hint := schema_help.missing_experiment_hint(sys.argv[1:])):
            print(hint, file=sys.stderr)
        raise
    except BrokenPipeError:
        sys.exit(141)  # 128 + SIGPIPE: what a shell reports for a writer whose reader went away
    finally:
        try:
            sys.stdout.flush()
        except BrokenPipeError:  # what is left is for nobody: no second error at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    main()
