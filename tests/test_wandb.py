"""W&B as an optional sink: never blocks (even in a terminal with no login), offline files in the run dir."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from conftest import TINY, Cli, run_dirs


def test_default_command_in_a_terminal_without_a_login_finishes(tmp_path: Path) -> None:
    """A pseudo-terminal on stdin/stdout and no API key: W&B's login prompt would wait forever."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env |= {"HOME": str(home), "MPLBACKEND": "Agg"}
    for args in ((), ("wandb.mode=offline",)):
        master, slave = os.openpty()
        output = bytearray()
        reader = threading.Thread(target=_drain, args=(master, output), daemon=True)
        reader.start()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bounded_ddpg.run", "transform=invert", "env=Platform", *TINY, *args],
            cwd=tmp_path, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
        )  # fmt: skip
        os.close(slave)
        try:
            assert proc.wait(timeout=120) == 0, output.decode(errors="replace")
        finally:
            if proc.poll() is None:
                proc.kill()
            reader.join(timeout=5)
        assert b"API key" not in output
    assert len(run_dirs(tmp_path / "runs")) == 2


def _drain(fd: int, sink: bytearray) -> None:
    try:
        while chunk := os.read(fd, 4096):
            sink.extend(chunk)
    except OSError:  # the child closed the terminal
        pass


def test_offline_runs_land_in_their_run_directories_one_per_job(cli: Cli, tmp_path: Path) -> None:
    result = cli("-m", "seed=0,1", "wandb.mode=offline", "wandb.tags=[test]", *TINY)
    assert result.returncode == 0, result.stderr
    runs = run_dirs(tmp_path / "runs")
    assert [r.parent.name for r in runs] == ["seed0", "seed1"]
    ids = set()
    for run in runs:
        (offline,) = (run / "wandb").glob("offline-run-*")
        (records,) = offline.glob("run-*.wandb")
        assert records.stat().st_size > 0
        ids.add(records.stem)
    assert len(ids) == 2  # one W&B run per job, not every job logging into the first
    assert not (tmp_path / "wandb").exists()


def test_wandb_groups_are_report_cells(cli: Cli, tmp_path: Path) -> None:
    """Group <env>/<agent>/<transform label>: two penalty coefficients, or DDPG and TD3, never share one."""
    result = cli("-m", "agent=ddpg,td3", "env=Pendulum", "transform=penalty", "transform.coef=0.5,1.0",
                 "wandb.mode=offline", *TINY)  # fmt: skip
    assert result.returncode == 0, result.stderr
    groups = set()
    for run in run_dirs(tmp_path / "runs"):
        (records,) = (run / "wandb").glob("offline-run-*/run-*.wandb")
        data = records.read_bytes()  # the run record holds its group and name as plain strings
        cells = [f"Pendulum/{a}/penalty{c}".encode() for a in ("ddpg", "td3") for c in ("(coef=0.5)", "")]
        found = {g for g in cells if g in data}
        group = max(found, key=len)  # "Pendulum/ddpg/penalty" is a prefix of the coef=0.5 group
        assert group.decode().replace("/", "-") + "-seed0" in data.decode(errors="replace")  # the run's name
        groups.add(group)
    assert len(groups) == 4


def test_a_set_run_id_ends_the_wandb_group() -> None:
    from bounded_ddpg.logger import wandb_group_and_name

    base = {"env": {"name": "Platform"}, "agent": {"name": "ddpg"}, "seed": 3}
    assert wandb_group_and_name({**base, "run_id": None}, "invert") == (
        "Platform/ddpg/invert",
        "Platform-ddpg-invert-seed3",
    )
    assert (
        wandb_group_and_name({**base, "run_id": "tau0.001"}, "invert")[0] == "Platform/ddpg/invert/tau0.001"
    )


def test_unknown_wandb_mode_is_a_clear_error(cli: Cli, tmp_path: Path) -> None:
    result = cli("wandb.mode=foo", *TINY)
    assert result.returncode != 0
    assert "wandb.mode='foo'" in result.stderr and "disabled, offline, online" in result.stderr
    assert run_dirs(tmp_path / "runs") == []


def test_online_without_a_login_fails_fast(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")} | {"HOME": str(home)}
    result = subprocess.run(
        [sys.executable, "-m", "bounded_ddpg.run", "wandb.mode=online", *TINY],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        check=False,
    )  # fmt: skip
    assert result.returncode != 0 and "needs a W&B login" in result.stderr
    assert not (tmp_path / "runs").exists() or run_dirs(tmp_path / "runs") == []


def test_online_with_an_unreachable_server_fails_fast_before_anything_exists(tmp_path: Path) -> None:
    """A key, but nothing listens at the server's address (a closed loopback port): no 100 s wait, no
    half-made run directory, and the message says what to do. No traffic leaves the machine."""
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")} | {
        "HOME": str(home),
        "WANDB_BASE_URL": f"http://127.0.0.1:{port}",
        "WANDB_API_KEY": "0123456789abcdef0123456789abcdef01234567",  # fake
        "WANDB_ERROR_REPORTING": "false",
    }
    work = tmp_path / "work"
    work.mkdir()
    t0 = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "bounded_ddpg.run", "wandb.mode=online", *TINY],
        cwd=work, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert time.monotonic() - t0 < 60
    assert f"cannot reach the W&B server http://127.0.0.1:{port}" in result.stderr
    assert "Use wandb.mode=offline" in result.stderr and "Traceback" not in result.stderr
    assert list(work.iterdir()) == []  # no run directory, no Hydra log, no wandb/ folder


_PREFLIGHT_PROCESSES = """
import subprocess, sys
started = []
popen = subprocess.Popen.__init__
def record(self, args, *rest, **kwargs):
    started.append(str(args))
    popen(self, args, *rest, **kwargs)
subprocess.Popen.__init__ = record
from bounded_ddpg.logger import wandb_login_problem
problem = wandb_login_problem("online")
print(problem)
print([a for a in started if "wandb" in a])
"""


KEY = "0123456789abcdef0123456789abcdef01234567"  # fake, of a valid length


@pytest.mark.parametrize(
    ("base_url", "key", "expected"),
    [
        ("http://127.0.0.1:{port}", KEY, "cannot reach the W&B server http://127.0.0.1:{port} ("),
        ("", KEY, "W&B's settings are invalid (base_url; Input should be a valid URL"),
        ("not-a-url", KEY, "W&B's settings are invalid (base_url; Input should be a valid URL"),
        ("http://127.0.0.1:{port}", "abc", "cannot log in: WANDB_API_KEY invalid: API key must have 40+"),
    ],
)
def test_the_online_check_starts_no_wandb_process(
    tmp_path: Path, base_url: str, key: str, expected: str
) -> None:
    """wandb.setup() and login's greeting each start a wandb-core process; with an unreachable server one
    kept a failed run from exiting for over 120 s (CI, 2026-12-04). The check must fail before any exists,
    and name a bad setting or key instead of raising wandb's traceback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")} | {
        "HOME": str(tmp_path),
        "WANDB_BASE_URL": base_url.format(port=port),
        "WANDB_API_KEY": key,
        "WANDB_ERROR_REPORTING": "false",
    }
    result = subprocess.run(
        [sys.executable, "-c", _PREFLIGHT_PROCESSES], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=60, stdin=subprocess.DEVNULL, check=True,
    )  # fmt: skip
    problem, started = result.stdout.splitlines()
    assert expected.format(port=port) in problem
    assert started == "[]"
    assert "API key is configured" not in result.stderr  # login's greeting (a request to the server) skipped


def _wandb_records(path: Path) -> list[Any]:
    """The protobuf records of an offline run's ``.wandb`` file, decoded by wandb's own ``Record`` message.

    The file is wandb's transaction log: a 7-byte header (``:W&B``, magic, version), then LevelDB-log framing
    (32 KiB blocks; each chunk a 7-byte header: CRC32C, little-endian length, type 1 full / 2 first / 3 middle
    / 4 last), the framing wandb's datastore used before the reader moved into wandb-core.
    """
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    assert data[:4] == b":W&B", data[:8]
    pos, block, chunks, records = 7, 32768, b"", []
    while pos + 7 <= len(data):
        if (left := block - pos % block) < 7:  # a block's tail too short for a header is padding
            pos += left
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        chunks, pos = chunks + data[pos + 7 : pos + 7 + length], pos + 7 + length
        if kind in (1, 4):
            record = wandb_internal_pb2.Record()  # type: ignore[attr-defined]  # generated, no stub
            record.ParseFromString(chunks)
            records.append(record)
            chunks = b""
        else:
            assert kind in (2, 3), kind
    return records


def test_offline_history_holds_our_keys_and_cleanrl_aliases_by_global_step(cli: Cli, tmp_path: Path) -> None:
    """The same CleanRL/openrlbenchmark names as the TensorBoard sink, read back from the offline run."""
    result = cli("env=Platform", *TINY, "wandb.mode=offline")
    assert result.returncode == 0, result.stderr
    (run,) = run_dirs(tmp_path / "runs")
    (log,) = (run / "wandb").glob("offline-run-*/run-*.wandb")
    records = _wandb_records(log)
    rows = [
        {item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in r.history.item}
        for r in records
        if r.WhichOneof("record_type") == "history"
    ]
    axes = {
        r.metric.glob_name: r.metric.step_metric for r in records if r.WhichOneof("record_type") == "metric"
    }
    assert axes["charts/*"] == axes["losses/*"] == "global_step" and axes["eval/*"] == "step"
    ev, metrics = pd.read_csv(run / "eval.csv"), pd.read_csv(run / "metrics.csv")
    evals = [r for r in rows if "eval/return_mean" in r]
    assert [r["global_step"] for r in evals] == [r["step"] for r in evals] == ev.step.tolist()
    returns = [r["charts/episodic_return"] for r in evals]
    assert (
        returns == [r["eval/return_mean"] for r in evals] == pytest.approx(ev.return_mean.tolist(), rel=1e-9)
    )
    trains = [r for r in rows if "train/episode" in r]
    assert [r["global_step"] for r in trains] == metrics.step.tolist()
    for alias, column in (("losses/qf1_loss", "critic_loss"), ("losses/actor_loss", "actor_loss")):
        logged = [(r["global_step"], r[alias]) for r in trains if alias in r]
        expected = metrics.dropna(subset=[column])
        assert [s for s, _ in logged] == expected.step.tolist() and len(logged) > 0, alias
        assert [v for _, v in logged] == pytest.approx(expected[column].tolist(), rel=1e-9), alias
    sps = [r["charts/SPS"] for r in trains]
    wall = metrics.wall_s.tolist()
    assert len(sps) == len(wall) and all(v > 0 for v in sps)
    # steps / wall clock; metrics.csv rounds wall_s to 1 ms
    assert sps == pytest.approx([s / w for s, w in zip(metrics.step, wall, strict=True)], rel=0.05)
