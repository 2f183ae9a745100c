"""Fuzzed run directories: whatever a checkpoint, summary.json or config.yaml holds, loading it gives the
project's clean error (CheckpointError or ResumeError, which the command turns into exit 2 naming the file)
or a clean acceptance, never another exception, and changes nothing on disk.

Seeded, hundreds of cases: random bytes, the real file truncated at random offsets, and valid torch archives
with wrong contents (a key deleted, a value of the wrong type, a tensor of the wrong shape). Wrong contents
go through the command's own path up to its first write (run.train_from_config, stopped in ``on_ready``).
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from hydra import compose, initialize_config_module

from bounded_ddpg import resume, run
from bounded_ddpg.checkpoint import CheckpointError
from bounded_ddpg.config import ConfigError
from conftest import TINY

ARGS = ("env=Pendulum", *TINY, "checkpoint_every_steps=40", "run_id=x")
CASES = 120  # per kind


class Ready(Exception):
    """Raised in on_ready: every check passed and the command would now write."""


def on_ready(run_id: str) -> None:
    raise Ready


def digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*")
            if p.is_file()}  # fmt: skip


@pytest.fixture(scope="module")
def interrupted_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path, bytes]]:
    """A real tiny run whose summary.json says interrupted: its config, its directory, its checkpoint."""
    out = tmp_path_factory.mktemp("fuzz") / "runs"
    with initialize_config_module("bounded_ddpg.conf", version_base="1.3"):
        cfg = compose("config", overrides=[*ARGS, f"out_dir={out}"])
    run.train_from_config(cfg, overrides=[])
    run_dir = out / "Pendulum/invert/seed0/x"
    summary = json.loads((run_dir / "summary.json").read_text())
    (run_dir / "summary.json").write_text(json.dumps({**summary, "status": "interrupted"}))
    yield cfg, run_dir, (run_dir / "checkpoint.pt").read_bytes()


def damaged_bytes(rng: random.Random, good: bytes) -> bytes:
    """Random bytes, or ``good`` truncated at a random offset (half the cases each)."""
    if rng.random() < 0.5:
        return rng.randbytes(rng.randrange(0, 4096))
    return good[: rng.randrange(0, len(good))]


@pytest.mark.parametrize("name", ["checkpoint.pt", "summary.json", "config.yaml"])
def test_random_and_truncated_files_give_the_clean_error(interrupted_run: Any, name: str) -> None:
    cfg, run_dir, _ = interrupted_run
    path = run_dir / name
    good, rng, errors = path.read_bytes(), random.Random(name), 0
    config = run._member_configs(cfg, *run._members(cfg))[0]
    try:
        for _ in range(CASES):
            path.write_bytes(damaged_bytes(rng, good))
            before = digest(run_dir.parent)
            try:
                resume.read_run_dirs([run_dir], [dict(config)])
                resume.load_states([run_dir], [0])
            except (CheckpointError, ConfigError) as e:
                errors += 1
                assert str(run_dir) in str(e) and name in str(e)  # the message names the file
            assert digest(run_dir.parent) == before
    finally:
        path.write_bytes(good)
    # a truncation that keeps the whole file, or one cut before a final newline, is still the file itself
    assert errors >= 0.95 * CASES


def nodes(tree: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every (path, value) of a checkpoint's tree, the root excepted."""
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, list) else ()
    for key, value in items:
        yield (*at, key), value
        yield from nodes(value, (*at, key))


def wrong_contents(rng: random.Random, state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``state`` with one thing wrong: a key deleted, a value of another type, a tensor of another shape."""
    state = copy.deepcopy(state)
    everything = list(nodes(state))
    kind = rng.choice(["delete", "retype", "reshape"])
    tensors = [(p, v) for p, v in everything if isinstance(v, torch.Tensor) and v.ndim > 0]
    path, value = rng.choice(tensors if kind == "reshape" else everything)
    parent = state
    for key in path[:-1]:
        parent = parent[key]
    if kind == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
    elif kind == "reshape":
        shape = list(value.shape)
        i = rng.randrange(len(shape))
        shape[i] += rng.choice([1, 2]) if shape[i] else 1
        parent[path[-1]] = torch.zeros(shape if rng.random() < 0.7 else [*shape, 2], dtype=value.dtype)
    else:
        kind = "retype"
        others = ["x", None, [1, 2], {"a": 1}, -1, 2.5, torch.zeros(3)]
        parent[path[-1]] = rng.choice([o for o in others if type(o) is not type(value)])
    return f"{kind} {'.'.join(map(str, path))}", state


def test_archives_with_wrong_contents_give_the_clean_error(interrupted_run: Any) -> None:
    cfg, run_dir, good = interrupted_run
    path, rng = run_dir / "checkpoint.pt", random.Random(0)
    state = torch.load(path, weights_only=True)
    accepted: list[str] = []
    try:
        for _ in range(CASES):
            what, bad = wrong_contents(rng, state)
            torch.save(bad, path)
            before = digest(run_dir.parent)
            try:
                run.train_from_config(cfg, overrides=[], on_ready=on_ready)
            except CheckpointError as e:
                assert "checkpoint" in str(e) and str(run_dir) in str(e), (what, str(e))
            except Ready:
                accepted.append(what)
            assert digest(run_dir.parent) == before, what
            if not what.startswith("reshape") and len(what.split(" ")[1].split(".")) == 1:
                assert not accepted or accepted[-1] != what, f"top-level {what} accepted"
    finally:
        path.write_bytes(good)
    # only the final evaluation of an unfinished member, which the run computes again, may be anything
    assert all(what.split(" ")[1].startswith("final_eval.") for what in accepted), accepted
