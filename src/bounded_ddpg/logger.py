"""What a run writes: its run directory (docs/run-directory.md) and, optionally, a W&B run.

Local files are the store of record. Every file is either written atomically (``config.yaml``,
``summary.json``: temp file, flush, fsync, rename) or append-only with one whole, flushed line per row
(``metrics.csv``, ``eval.csv``), so a process killed at any moment never leaves a truncated file. W&B is an
extra sink: imported lazily and only when ``wandb.mode`` is not ``disabled``, always given an explicit mode,
never allowed to wait for a login. The agent never sees any of this; the training loop hands it numbers.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import secrets
import subprocess
import time
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

import yaml

from bounded_ddpg.tb_sink import TensorBoardSink, cleanrl_aliases

METRIC_KEYS = (
    "critic_loss",
    "q_mean",
    "actor_loss",
    "frac_out_of_bounds",
    "frac_at_bounds",
    "mean_excess",
    "dq_da_norm",
    "g_u_norm",
)
DIAGNOSTIC_KEYS = METRIC_KEYS[3:]
EVAL_KEYS = ("return_mean", "return_std", "return_iqm", "n_episodes")
SUMMARY_SCHEMA = 1
CSV_FILES = ("metrics.csv", "eval.csv")
WANDB_ID_FILE = "wandb-run-id"


def new_run_id(slurm_job: str | None = None) -> str:
    """``YYYYmmdd-HHMMSS-<6 hex>``: readable, sortable, and unique even for runs started in one second;
    in a SLURM job ``YYYYmmdd-HHMMSS-slurm<job>-<6 hex>``, so that its requeue finds it."""
    job = f"slurm{slurm_job}-" if slurm_job else ""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + job + secrets.token_hex(3)


def run_dir_for(out_dir: str | Path, env: str, transform: str, seed: int, run_id: str) -> Path:
    return Path(out_dir) / env / transform / f"seed{seed}" / run_id


class WriteError(RuntimeError):
    """A file of the run that could not be written (full disk, unwritable path): names the path."""

    def __init__(self, path: Path, error: OSError, hint: str = "") -> None:
        self.path, self.error, self.hint = path, error, hint
        super().__init__(f"cannot write {path}: {error.strerror or error}" + (f". {hint}" if hint else ""))


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: old or new, never half.

    A failure raises WriteError naming ``path`` and removes the temporary file; ``path`` keeps its old
    contents.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise WriteError(path, e) from e


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("bounded_ddpg", "torch", "gymnasium", "numpy", "hydra-core", "wandb"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


def git_commit() -> str | None:
    """The commit of the checkout this package runs from, or None (installed wheel, no git)."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def finite_or_null(value: Any) -> Any:
    """``value`` with every NaN or infinity replaced by None (strict JSON has neither)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite_or_null(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_null(v) for v in value]
    return value


class CsvLog:
    """Append-only CSV with fixed columns; each row is one write of one whole line, flushed at once."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self.path, self.columns = path, tuple(columns)
        new = not path.exists() or path.stat().st_size == 0
        try:
            self.file: TextIO = open(path, "a", encoding="utf-8")  # noqa: SIM115 (closed by close())
        except OSError as e:
            raise WriteError(path, e) from e
        if new:
            self._line(self.columns)

    def _line(self, cells: Sequence[str]) -> None:
        try:
            self.file.write(",".join(cells) + "\n")
            self.file.flush()
        except OSError as e:
            raise WriteError(self.path, e) from e

    def write(self, row: Mapping[str, Any]) -> None:
        self._line([_cell(row.get(c)) for c in self.columns])

    def close(self) -> None:
        with contextlib.suppress(OSError):  # what could not be flushed was reported when it was written
            self.file.close()


WANDB_CONNECT_TIMEOUT_S = 5.0


def wandb_login_problem(mode: str) -> str | None:
    """Why ``mode`` cannot log now, else None; never prompts, and waits at most WANDB_CONNECT_TIMEOUT_S.

    Online needs a login and a reachable server (W&B itself would retry for minutes, then fail mid-start).
    """
    if mode != "online":
        return None
    os.environ.setdefault("WANDB_ERROR_REPORTING", "false")
    import wandb
    from wandb.sdk import wandb_setup

    # No wandb-core process before the server is known to answer: wandb.setup() starts one, and so does
    # login's greeting (it asks the server for the user's name); with an unreachable server such a process
    # once kept the run from exiting for over 120 s after this check had failed (CI, 2026-12-04).
    try:
        settings = wandb_setup.singleton().settings  # reads the environment and settings files only
    except ValueError as e:  # pydantic's ValidationError, e.g. WANDB_BASE_URL="" or not a URL
        detail = "; ".join(line.strip() for line in str(e).splitlines()[1:3])
        return f"wandb.mode=online: W&B's settings are invalid ({detail}); fix the WANDB_* variables"
    silent, settings.silent = settings.silent, True
    try:
        logged_in = wandb.login(prompt=False, verify=False)  # env, .netrc, settings: no network call
    except wandb.Error as e:  # a malformed key (WANDB_API_KEY of the wrong length, ...)
        return f"wandb.mode=online cannot log in: {e}; fix the key (`wandb login --relogin`) or use offline"
    finally:
        settings.silent = silent
    if not logged_in:
        return (
            "wandb.mode=online needs a W&B login (run `wandb login` or set WANDB_API_KEY); "
            "use wandb.mode=offline to log without one, and `wandb sync` later"
        )
    base_url = str(settings.base_url)  # WANDB_BASE_URL, else `wandb login --host`'s
    if problem := unreachable(base_url, WANDB_CONNECT_TIMEOUT_S):
        return (
            f"wandb.mode=online cannot reach the W&B server {base_url} ({problem}); nothing was created. "
            "Use wandb.mode=offline to log to the run directory (upload later with `wandb sync`), or fix "
            "WANDB_BASE_URL / the network"
        )
    return None


def unreachable(url: str, timeout: float) -> str | None:
    """Why a TCP connection to ``url``'s host (or to the proxy that requests to it would use) fails within
    ``timeout`` seconds, else None. Opens and closes one connection; sends nothing."""
    import socket
    import urllib.parse
    import urllib.request

    target = urllib.parse.urlsplit(url)
    proxy = urllib.request.getproxies().get(target.scheme)
    if proxy and not urllib.request.proxy_bypass(target.hostname or ""):
        target = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    host = target.hostname
    if not host:
        return f"no host in {url!r}"
    try:
        port = target.port or (443 if target.scheme == "https" else 80)
    except ValueError as e:
        return f"{url!r}: {e}"
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as e:
        return f"{host}:{port}: {e}"


def wandb_group_and_name(config: dict[str, Any], label: str) -> tuple[str, str]:
    """W&B group ``<env>/<agent>/<transform label>[/<run_id>]``, run name ``<env>-<agent>-<label>-seed<k>``.

    DDPG and TD3, or two penalty coefficients, never share a group; a run_id that is set (the protocol
    variants' experiment files set ``tau0.001``, ``avg1e-4``, ``lrdecay``) ends the group, so a variant's
    runs are not grouped with the published protocol's."""
    env, agent, seed = config["env"]["name"], config["agent"]["name"], config["seed"]
    run_id = config.get("run_id")
    return f"{env}/{agent}/{label}" + (f"/{run_id}" if run_id else ""), f"{env}-{agent}-{label}-seed{seed}"


class WandbSink:
    """One W&B run per run directory; offline files land in ``<run dir>/wandb/``."""

    def __init__(self, config: dict[str, Any], run_dir: Path, group: str, name: str, resume: bool) -> None:
        """``resume``: continue the W&B run whose id the run directory recorded (``wandb-run-id``)."""
        os.environ.setdefault("WANDB_ERROR_REPORTING", "false")  # before the import: no telemetry call
        import wandb

        w = config["wandb"]
        id_file = run_dir / WANDB_ID_FILE
        run_id = id_file.read_text().strip() if resume and id_file.exists() else None
        self.run = wandb.init(
            id=run_id,
            resume="allow" if run_id else None,
            mode=w["mode"],
            project=w["project"],
            entity=w["entity"],
            group=group,
            name=name,
            tags=list(w["tags"]),
            dir=str(run_dir),
            config={"cfg": config},  # the full composed config under its own key (sweeps overwrite others)
            reinit="finish_previous",
        )
        if run_id is None:
            atomic_write_text(id_file, self.run.id + "\n")
        self.run.define_metric("step")
        self.run.define_metric("train/*", step_metric="step")
        self.run.define_metric("eval/*", step_metric="step")
        self.run.define_metric("global_step")  # CleanRL's and openrlbenchmark's x axis (tb_sink.py)
        for names in ("charts/*", "losses/*"):
            self.run.define_metric(names, step_metric="global_step")

    def log(self, prefix: str, step: int, values: Mapping[str, Any], wall_s: float | None = None) -> None:
        """One row under our keys (``prefix/key`` by ``step``) and CleanRL's aliases by ``global_step``."""
        row = {"step": step, **{f"{prefix}/{k}": v for k, v in values.items() if v is not None}}
        if aliases := cleanrl_aliases(prefix, step, values, wall_s):
            row |= {"global_step": step, **aliases}
        self.run.log(row)

    def finish(self, summary: Mapping[str, Any]) -> None:
        self.run.summary.update({k: v for k, v in summary.items() if k != "config"})
        if summary.get("preempted"):
            self.run.mark_preempting()  # W&B shows the run as preempted; a resume continues it
        self.run.finish(exit_code=0 if summary.get("status") == "finished" else 1)


class RunLogger:
    """Everything one member writes: config.yaml, metrics.csv, eval.csv, summary.json, W&B."""

    def __init__(
        self,
        run_dir: Path,
        config: dict[str, Any],
        success_key: str | None,
        meta: dict[str, Any],
        mode: str = "new",
        offsets: Mapping[str, int] | None = None,
        label: str | None = None,
    ) -> None:
        """``meta``: fields every summary.json carries (versions, git_commit); see docs/run-directory.md.

        ``mode``: ``new`` creates the directory; ``resume`` cuts metrics.csv and eval.csv back to
        ``offsets`` (their byte sizes at the checkpoint; None: no checkpoint, back to empty) and continues
        them and the W&B run; ``done`` (a member that already finished) leaves every file as it is.
        ``success_key``: the env's info key whose truth at an episode's end is a success (eval.csv then has
        a p_success column); None: none. ``label``: the transform's label (``penalty(coef=0.1)``; default:
        its name), for W&B's names.
        """
        self.run_dir, self.config, self.success_key, self.meta = run_dir, config, success_key, meta
        self.closed = mode == "done"  # close() wrote the final summary.json (or nothing is to be written)
        if mode == "new":
            try:
                run_dir.mkdir(parents=True, exist_ok=False)
            except OSError as e:
                raise WriteError(run_dir, e) from e
            atomic_write_text(run_dir / "config.yaml", yaml.safe_dump(config, sort_keys=False))
        elif mode == "resume":
            for name in CSV_FILES:
                if (path := run_dir / name).exists():
                    os.truncate(path, (offsets or {}).get(name, 0))
        self.metrics = CsvLog(run_dir / "metrics.csv", ("step", "episode", "wall_s", *METRIC_KEYS))
        eval_cols = ("step", "episode", "wall_s", *EVAL_KEYS, *(("p_success",) if success_key else ()))
        self.eval = CsvLog(run_dir / "eval.csv", eval_cols)
        self.wandb: WandbSink | None = None
        if config["wandb"]["mode"] != "disabled" and mode != "done":
            group, name = wandb_group_and_name(config, label or config["transform"]["name"])
            self.wandb = WandbSink(config, run_dir, group, name, resume=mode == "resume")
        self.tensorboard: TensorBoardSink | None = None
        if config.get("tensorboard") and mode != "done":
            self.tensorboard = TensorBoardSink(run_dir)

    def offsets(self) -> dict[str, int]:
        """Byte sizes of metrics.csv and eval.csv now (every row is flushed as it is written)."""
        return {name: (self.run_dir / name).stat().st_size for name in CSV_FILES}

    def log_metrics(self, step: int, episode: int, wall_s: float, values: Mapping[str, float]) -> None:
        self.metrics.write({"step": step, "episode": episode, "wall_s": round(wall_s, 3), **values})
        if self.wandb:
            self.wandb.log("train", step, {"episode": episode, **values}, wall_s)
        if self.tensorboard:
            self.tensorboard.log_train(step, episode, wall_s, values)

    def log_eval(self, step: int, episode: int, wall_s: float, stats: Mapping[str, Any]) -> None:
        self.eval.write({"step": step, "episode": episode, "wall_s": round(wall_s, 3), **stats})
        if self.wandb:
            self.wandb.log("eval", step, {"episode": episode, **stats})
        if self.tensorboard:
            self.tensorboard.log_eval(step, episode, stats)

    def write_summary(self, summary: dict[str, Any]) -> None:
        full = {"schema": SUMMARY_SCHEMA, **summary, **self.meta, "config": self.config}
        text = json.dumps(finite_or_null(full), indent=2, allow_nan=False)
        atomic_write_text(self.run_dir / "summary.json", text + "\n")

    def close(self, summary: dict[str, Any]) -> None:
        """Write the final summary.json (last), close the CSVs and finish the W&B run."""
        self.write_summary(summary)
        self.closed = True
        self.metrics.close()
        self.eval.close()
        if self.wandb:
            self.wandb.finish(summary)
            self.wandb = None
        if self.tensorboard:
            self.tensorboard.close()
            self.tensorboard = None
