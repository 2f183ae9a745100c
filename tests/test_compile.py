"""agent.compile: the compiled update (compiled.py) against the eager one, its fallbacks and its recompiles.

Inductor's compile time dominates (tens of seconds per agent on a loaded 2-core machine; cached on disk
afterwards), so each agent type is compiled once, for one batch of members that carries every built-in
transform (a transform ablation in one agent), and every inductor test of that type reads the same run.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml

from bounded_ddpg import agents, traced_adam, transforms
from bounded_ddpg.actor_step import set_grads
from bounded_ddpg.agents import DDPG
from bounded_ddpg.compiled import DYNAMO, MAX_SIZES, CompiledUpdate, _phase, prepare_adam
from bounded_ddpg.config import AgentConfig
from bounded_ddpg.replay import Batch, ReplayBuffer
from conftest import TINY, Cli, child_env, run_dirs

OBS, K = 5, 2  # observation size; discrete actions of the parameterised agents (one parameter each)
N_UPDATES = 8
# Compiled vs eager after N_UPDATES updates: inductor reorders float sums (and Adam runs as traced_adam's
# step instead of the fused kernel), so parameters agree to rounding, amplified a little by Adam's normalised
# steps (largest difference measured on 2026-12-03: 7e-7, DDPG; 2e-5 / 1e-4 before Adam was traced).
ATOL, RTOL = 2e-6, 1e-5
ALL = list(transforms.names())


def make_agent(name: str, seeds: list[int], actor_grad: str = "chain") -> DDPG:
    """A tiny agent of type ``name``, one member per seed, member i with transform ALL[i % len(ALL)]."""
    cfg = AgentConfig(name=name, hidden_sizes=[8], batch_size=4, grad_clip=1.0, actor_grad=actor_grad,
                      policy_delay=2 if name == "td3" else 1, tau=0.1)  # fmt: skip
    member_transforms = [ALL[i % len(ALL)] for i in range(len(seeds))]
    low, high = -np.ones(2 * K), np.ones(2 * K)
    if name in ("pdqn", "mpdqn"):
        slices = [slice(K + i, K + i + 1) for i in range(K)]
        return agents.make(OBS, low, high, cfg, member_transforms, K, seeds, "cpu", slices)
    return agents.make(OBS, low, high, cfg, member_transforms, seeds=seeds)


def batches(members: int, n: int = N_UPDATES) -> list[Batch]:
    """``n`` replayed batches of 4 transitions per member, the same for every call."""
    replay = ReplayBuffer(100, OBS, 2 * K, list(range(members)))
    gen = torch.Generator().manual_seed(0)
    for _ in range(30):
        replay.add(
            torch.randn(members, OBS, generator=gen), torch.rand(members, 2 * K, generator=gen) * 3 - 1.5,
            torch.randn(members, generator=gen), torch.randn(members, OBS, generator=gen),
            torch.rand(members, generator=gen) < 0.2, torch.zeros(members, dtype=torch.bool),
        )  # fmt: skip
    torch.manual_seed(1)
    return [replay.sample(4) for _ in range(n)]


def tensors(agent: DDPG) -> dict[str, torch.Tensor]:
    """Every tensor the agent's future depends on, flattened to name -> tensor."""
    out: dict[str, torch.Tensor] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, torch.Tensor):
            out[prefix] = value
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}", v)

    for net in (*agent.nets(), "actor_opt", "critic_opt"):
        walk(net, getattr(agent, net).state_dict())
    return out


@dataclass
class Twins:
    eager: DDPG
    compiled: DDPG
    again: DDPG  # the same seeds, compiled again (same process: the same graphs)
    metrics: tuple[list[dict[str, torch.Tensor]], list[dict[str, torch.Tensor]]]
    update: CompiledUpdate


SEEDS = list(range(len(ALL)))


@pytest.fixture(scope="module")
def twins() -> Iterator[Callable[[str], Twins]]:
    done: dict[str, Twins] = {}

    def get(name: str) -> Twins:
        if name not in done:
            update = CompiledUpdate()
            eager, compiled, again = (make_agent(name, SEEDS) for _ in range(3))
            data = batches(len(SEEDS))
            m_eager = [eager.update(b) for b in data]
            m_compiled = [update(compiled, b) for b in data]
            for b in data:
                update(again, b)
            assert update.eager_reason is None, update.eager_reason
            done[name] = Twins(eager, compiled, again, (m_eager, m_compiled), update)
        return done[name]

    yield get


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ddpg", "td3", "pdqn", "mpdqn"])
def test_compiled_matches_eager_for_every_transform(twins: Callable[[str], Twins], name: str) -> None:
    """Member i carries transform ALL[i]: every parameter, target, Adam moment and metric of every member
    agrees with the eager update's to float tolerance; and the update really changed them."""
    t = twins(name)
    eager, compiled = tensors(t.eager), tensors(t.compiled)
    fresh = tensors(make_agent(name, SEEDS))
    assert eager.keys() == compiled.keys()
    for key, value in eager.items():
        torch.testing.assert_close(compiled[key], value, atol=ATOL, rtol=RTOL, msg=key)
    moved = [k for k in fresh if k in eager and not torch.equal(fresh[k], eager[k])]
    assert any(k.startswith("actor.") for k in moved) and any(k.startswith("critic_target.") for k in moved)
    for me, mc in zip(*t.metrics, strict=True):
        assert me.keys() == mc.keys()
        for key in me:
            torch.testing.assert_close(mc[key], me[key], atol=ATOL, rtol=RTOL, msg=key)
    assert t.compiled.num_updates == t.eager.num_updates == N_UPDATES
    # the compiled graphs were made once per phase: td3 has two (critic only; critic + actor + targets)
    assert t.update.compiled == ({(len(SEEDS), False), (len(SEEDS), True)} if name == "td3" else
                                 {(len(SEEDS), True)})  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ddpg", "td3"])
def test_the_same_seed_twice_compiled_is_identical(twins: Callable[[str], Twins], name: str) -> None:
    t = twins(name)
    a, b = tensors(t.compiled), tensors(t.again)
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_checkpoint_and_resume_compiled_equals_the_uninterrupted_run(twins: Callable[[str], Twins]) -> None:
    """TD3 (two phases and a random stream): 3 compiled updates, the members' checkpoint states (what
    train.py saves) loaded into a new agent, 5 more compiled updates: the uninterrupted run's tensors, bit
    for bit."""
    t = twins("td3")
    data = batches(len(SEEDS))
    first = make_agent("td3", SEEDS)
    for b in data[:3]:
        t.update(first, b)
    saved = [first.member_state(m) for m in range(len(SEEDS))]
    resumed = make_agent("td3", SEEDS)
    resumed.load_member_states(saved)
    for b in data[3:]:
        t.update(resumed, b)
    a, b2 = tensors(t.compiled), tensors(resumed)
    assert all(torch.equal(a[k], b2[k]) for k in a), [k for k in a if not torch.equal(a[k], b2[k])]
    assert (
        resumed.streams["target_smoothing"][0]
        .get_state()
        .equal(t.compiled.streams["target_smoothing"][0].get_state())
    )


def adam_pair(params: list[torch.Tensor], **kw: Any) -> tuple[torch.optim.Adam, torch.optim.Adam]:
    """traced_adam on an Adam holding ``params``, and torch's single-tensor Adam on copies of them."""
    ours = torch.optim.Adam([p.clone().requires_grad_() for p in params], **kw)
    theirs = torch.optim.Adam([p.clone().requires_grad_() for p in params], foreach=False, fused=False, **kw)
    traced_adam.init_state(ours)
    return ours, theirs


def adam_state(opt: torch.optim.Optimizer) -> list[torch.Tensor]:
    return [t for p in opt.param_groups[0]["params"] for t in (p, *opt.state[p].values())]


def test_traced_adam_equals_torch_adam_over_50_steps_and_a_state_dict_round_trip() -> None:
    """adam_step_ against torch.optim.Adam(foreach=False, fused=False): 50 steps of random gradients (of
    magnitudes 1e-4 to 1e2), the optimiser rebuilt from its state_dict half-way: parameters, moments and
    step counters agree to float rounding; a parameter without a gradient is left alone by both."""
    gen = torch.Generator().manual_seed(0)
    shapes = [(3, 4, 5), (3, 5), (3, 1)]
    kw = dict(lr=3e-3, betas=(0.8, 0.99), eps=1e-6)
    ours, theirs = adam_pair([torch.randn(s, generator=gen) for s in shapes], **kw)
    start = [p.detach().clone() for p in ours.param_groups[0]["params"]]
    for i in range(50):
        if i == 25:  # a checkpoint round trip: the state torch saves and loads, read by the traced step
            params = [p.detach().clone().requires_grad_() for p in ours.param_groups[0]["params"]]
            saved = copy.deepcopy(ours.state_dict())
            ours = torch.optim.Adam(params, **kw)  # type: ignore[arg-type]
            ours.load_state_dict(saved)
        pairs = zip(ours.param_groups[0]["params"], theirs.param_groups[0]["params"], strict=True)
        for j, (a, b) in enumerate(pairs):  # parameter 1 has a gradient every second step only
            a.grad = None if j == 1 and i % 2 else torch.randn(a.shape, generator=gen) * 10 ** (i % 7 - 4)
            b.grad = None if a.grad is None else a.grad.clone()
        traced_adam.adam_step_(ours)
        theirs.step()
    for a, b in zip(adam_state(ours), adam_state(theirs), strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)
    assert [float(ours.state[p]["step"]) for p in ours.param_groups[0]["params"]] == [50.0, 25.0, 50.0]
    moved = [(p - p0).abs().max().item() for p, p0 in zip(ours.param_groups[0]["params"], start, strict=True)]
    assert min(moved) > 1e-2  # 25-50 steps of lr 3e-3 really moved every parameter


def test_traced_adam_refuses_options_it_does_not_implement() -> None:
    params = [torch.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError, match=r"Adam options \{'amsgrad': True\} are not implemented"):
        traced_adam.check(torch.optim.Adam(params, amsgrad=True))
    with pytest.raises(ValueError, match=r"a torch\.optim\.Adam is required, got SGD"):
        traced_adam.check(torch.optim.SGD(params, lr=0.1))


def test_the_traced_step_with_lr_scale_matches_the_eager_fused_step() -> None:
    """DDPG._step traced by Dynamo (the traceable Adam) and eager (torch's fused kernel), with per-member
    lr_scale factors (agent.lr_decay): the same parameters and moments to float rounding over 10 steps;
    the member at factor 0 keeps its parameters exactly, and its moments move as at the full rate."""
    traced, eager = make_agent("ddpg", [0, 1, 2]), make_agent("ddpg", [0, 1, 2])
    step = torch.compile(traced._step, backend="eager", fullgraph=True)
    gen = torch.Generator().manual_seed(2)
    start = [p.detach().clone() for p in traced.critic_params]
    for i in range(10):
        for agent in (traced, eager):
            agent.lr_scale = torch.tensor([1.0, 0.5, 0.0]) * (1 - i / 20)
        grads = [torch.randn(p.shape, generator=gen) for p in traced.critic_params]
        for agent in (traced, eager):
            for p, g in zip(agent.critic_params, grads, strict=True):
                p.grad = g.clone()
        prepare_adam(traced)
        step(traced.critic_params, traced.critic_opt)
        eager._step(eager.critic_params, eager.critic_opt)
    for a, b in zip(adam_state(traced.critic_opt), adam_state(eager.critic_opt), strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)
    assert all(torch.equal(p[2], p0[2]) for p, p0 in zip(traced.critic_params, start, strict=True))
    assert all(not torch.equal(p[1], p0[1]) for p, p0 in zip(traced.critic_params, start, strict=True))
    assert traced.critic_opt.state[traced.critic_params[0]]["exp_avg"][2].abs().sum() > 0


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ddpg", "td3", "pdqn", "mpdqn"])
def test_each_phase_traces_as_one_graph(name: str) -> None:
    """actor_grad=chain (the default): the critic phase and the critic + actor + targets phase each trace
    as ONE graph with no break (Adam is traced_adam's), so that inductor fuses the whole phase."""
    agent = make_agent(name, SEEDS)
    prepare_adam(agent)
    batch = batches(len(SEEDS), 1)[0]
    for actor in (False, True):
        agent.predraw(batch)  # as CompiledUpdate does: TD3's smoothing noise, drawn outside the graph
        with torch._dynamo.config.patch(DYNAMO):
            explained = torch._dynamo.explain(_phase)(agent, batch, actor)
        reasons = [str(r.reason).splitlines()[0] for r in explained.break_reasons]
        assert (explained.graph_count, explained.graph_break_count) == (1, 0), (actor, reasons)


@pytest.mark.parametrize("name", ["ddpg", "pdqn"])
def test_set_grads_is_zero_grad_then_backward_bit_for_bit(name: str) -> None:
    """compile off keeps every result as before: the eager update's gradients now come from set_grads, which
    must leave exactly what zero_grad + backward(inputs=params) left (previous .grad replaced, not summed)."""
    agent = make_agent(name, [0, 1])
    b = batches(2, 1)[0]
    params = agent.critic_params

    def loss() -> torch.Tensor:
        return agent.critic(b.obs, agent.transform.forward(agent.actor(b.obs))).square().mean()

    for p in params:
        p.grad = torch.full_like(p, 7.0)  # stale gradients that neither may keep
    set_grads(params, loss())
    ours = [p.grad.clone() for p in params if p.grad is not None]
    agent.critic_opt.zero_grad(set_to_none=True)
    loss().backward(inputs=params)
    theirs = [p.grad for p in params if p.grad is not None]
    assert len(ours) == len(theirs) == len(params) and all(map(torch.equal, ours, theirs))


def test_actor_grad_direct_traced_matches_eager() -> None:
    """actor_grad=direct (the autograd.Function path of the seam) through Dynamo and AOTAutograd (the
    aot_eager backend: the traced graphs without inductor's code generation) agrees with eager."""
    update = CompiledUpdate(backend="aot_eager")
    agent, twin = (make_agent("ddpg", SEEDS, actor_grad="direct") for _ in range(2))
    for b in batches(len(SEEDS), 4):
        update(agent, b)
        twin.update(b)
    assert update.eager_reason is None and update.compiled == {(len(SEEDS), True)}
    torch.testing.assert_close(tensors(agent), tensors(twin), atol=ATOL, rtol=RTOL)


def test_members_leaving_compile_at_most_max_sizes_then_eager(capsys: pytest.CaptureFixture[str]) -> None:
    """Members leave one by one (agent.subset, as train.py's compact): the first MAX_SIZES member counts
    are compiled (Dynamo's graphs counted: one each), the next runs eager with one line saying so, and the
    eager members' numbers are then eager's bit for bit. Dynamo with its eager backend: the bookkeeping, not
    inductor."""
    from torch._dynamo.utils import counters

    counters.clear()
    update = CompiledUpdate(backend="eager")
    n = MAX_SIZES + 2
    agent, twin = make_agent("ddpg", list(range(n))), make_agent("ddpg", list(range(n)))
    for keep in range(n, 0, -1):
        if keep < n:
            agent, twin = agent.subset(list(range(keep))), twin.subset(list(range(keep)))
        for b in batches(keep, 2):
            update(agent, b)
            twin.update(b)
    assert update.sizes() == list(range(n, n - MAX_SIZES, -1))
    assert update.eager_reason == f"{MAX_SIZES} member counts compiled"
    frames = counters["stats"]["unique_graphs"]
    assert frames == MAX_SIZES, frames  # one graph per member count (DDPG: one phase; no graph break)
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"agent.compile: the batch now has {n - MAX_SIZES} members, after {MAX_SIZES} compiled "
                   f"member counts ({update.sizes()}); the update runs eager from here"]  # fmt: skip
    torch.testing.assert_close(tensors(agent), tensors(twin), atol=ATOL, rtol=RTOL)


def test_a_failed_compile_warns_once_restores_the_agent_and_runs_eager(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A backend that raises (as inductor does when its C++ compile fails): one warning line, the agent as
    it was before the failed call, that update and every later one eager, bit for bit eager's numbers."""

    def broken(gm: Any, example_inputs: Any) -> Any:
        raise RuntimeError("C++ compile error: cannot find crt1.o\nmore lines")

    update = CompiledUpdate(backend=broken)
    agent, twin = make_agent("td3", [0, 1]), make_agent("td3", [0, 1])
    for b in batches(2, 4):
        update(agent, b)
        twin.update(b)
    a, b2 = tensors(agent), tensors(twin)
    assert all(torch.equal(a[k], b2[k]) for k in a)
    assert agent.num_updates == twin.num_updates == 4
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: agent.compile: compiling failed (")
    assert "cannot find crt1.o" in lines[0] and lines[0].endswith("; the update runs eager")


@pytest.mark.slow
def test_a_failed_cpp_wrapper_compile_warns_once_and_compiles_without_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inductor's C++ wrapper failing (as where Python's headers are missing): one warning line, the same
    update compiled with the Python wrapper, and the agent's numbers those of eager to float rounding."""
    from torch._inductor.codegen.cpp_wrapper_cpu import CppWrapperCpu

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Python.h: No such file or directory\nmore lines")

    monkeypatch.setattr(CppWrapperCpu, "generate", broken)
    update = CompiledUpdate(cpp_wrapper=True)
    agent, twin = make_agent("ddpg", [0, 1]), make_agent("ddpg", [0, 1])
    for b in batches(2, 3):
        update(agent, b)
        twin.update(b)
    assert update.eager_reason is None and not update.cpp_wrapper and update.compiled == {(2, True)}
    torch.testing.assert_close(tensors(agent), tensors(twin), atol=ATOL, rtol=RTOL)
    assert agent.num_updates == 3
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "C++ wrapper failed (RuntimeError: Python.h: No such file" in lines[0], lines
    assert lines[0].endswith("; compiling without it")


SCRIPT = """
import numpy as np, torch
from bounded_ddpg import agents
from bounded_ddpg.compiled import CompiledUpdate
from bounded_ddpg.config import AgentConfig
from bounded_ddpg.replay import ReplayBuffer
cfg = AgentConfig(hidden_sizes=[8], batch_size=4)
a, b = (agents.make(3, -np.ones(1), np.ones(1), cfg, "invert") for _ in range(2))
replay = ReplayBuffer(50, 3, 1, [0])
for _ in range(10):
    replay.add(torch.randn(1, 3), torch.randn(1, 1), torch.randn(1), torch.randn(1, 3), torch.zeros(1),
               torch.zeros(1))
update = CompiledUpdate()
for _ in range(3):
    batch = replay.sample(4)
    update(a, batch)
    b.update(batch)
ours, theirs = a.actor_params + a.critic_params, b.actor_params + b.critic_params
assert all(map(torch.equal, ours, theirs))
print("eager:", update.eager_reason is not None)
"""


def test_no_cxx_compiler_one_warning_line_and_eager() -> None:
    """For real: inductor's compiler ($CXX) does not exist in a child process. One warning line naming the
    problem, and the updates are eager's bit for bit (no compile is attempted)."""
    env = child_env(CXX=os.path.join(os.sep, "nonexistent", "g++"), TORCHINDUCTOR_CACHE_DIR="/nonexistent")
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                         timeout=120, check=False)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "eager: True"
    lines = [line for line in out.stderr.splitlines() if "agent.compile" in line]
    assert len(lines) == 1 and "no C++ compiler for inductor (InvalidCxxCompiler" in lines[0], out.stderr


@pytest.mark.slow
def test_a_run_with_agent_compile_trains_like_the_eager_run(cli: Cli, tmp_path: Path) -> None:
    """train.py's wiring: a tiny Platform run with agent.compile=true finishes, records the key, and its
    first metrics row (means over its updates) matches the eager run's to float tolerance."""
    rows = {}
    for flag in ("false", "true"):
        out = cli("env=Platform", "seed=3", f"run_id=c{flag}", f"agent.compile={flag}", *TINY, timeout=900)
        assert out.returncode == 0, out.stderr
        assert "agent.compile:" not in out.stderr, out.stderr  # no warning: it really compiled
    for run in run_dirs(tmp_path / "runs"):
        summary = json.loads((run / "summary.json").read_text())
        assert summary["status"] == "finished"
        with open(run / "metrics.csv", newline="") as f:
            rows[yaml.safe_load((run / "config.yaml").read_text())["agent"]["compile"]] = next(
                csv.DictReader(f)
            )
    keys = ["critic_loss", "q_mean", "actor_loss", "dq_da_norm"]
    eager, compiled = ([float(rows[c][k]) for k in keys] for c in (False, True))
    np.testing.assert_allclose(compiled, eager, rtol=1e-3, atol=1e-6)
