"""Update rate of the DDPG agent, side by side in one process (interleaved repeats, medians, ratios).

    python benchmarks/bench_update.py            # all cases, ~1-2 minutes on one core
    python benchmarks/bench_update.py --quick    # a smoke run
    python benchmarks/bench_update.py --compiled # eager vs agent.compile, side by side (compiles 4 updates)
    python benchmarks/bench_update.py --compiled --cpp-wrapper --settings 'Platform M=1 invert'
    python benchmarks/bench_update.py --compiled --profile --cpp-wrapper  # where a compiled call's time goes

Cases:
* Platform settings (batch 32, [256, 128] leaky ReLU, 9 obs, 6 actions, grad clip 10): identity vs invert,
  one member and 10 batched members, against a reference-style PA-DDPG update written the way the
  published reference does it (nn.Linear networks, non-fused Adam, torch's global grad clipping, and
  inverting gradients with a Python loop over the batch). Its per-sample loop is re-written here from that
  description; no reference code is used.
* CleanRL settings (batch 256, 256x256 ReLU, Pendulum's 3 obs and 1 action): identity vs invert, for DDPG
  and for TD3 (twin critics and target smoothing; its actor and targets every second update, as CleanRL).
* P-DQN / MP-DQN at MP-DQN's released Platform settings (batch 128, [128] ReLU, 9 obs, 3 actions with one
  parameter each, grad clip 10): identity vs invert, one member and 10 batched members, against
  reference-style updates written here from github.com/cycraig/MP-DQN's agents/pdqn.py and
  agents/pdqn_multipass.py (nn.Linear networks, the parameter network run twice, the gradient copied and
  inverted with boolean masks over the whole batch as P-DQN's ``_invert_gradients`` does, the multipass
  input built and read back with Python loops over the K actions, torch's global grad clipping), and the
  same with a per-sample Python loop for the inversion (the form of agents/paddpg.py's
  ``_invert_gradients``). Identity there skips the inversion. No reference code is used.
Every figure is milliseconds per update (for M members: per call, which updates all M). The CleanRL cases
also print each update as a multiple of its compute floor, measured in the same run: the update's matrix
products (forward, backward and the actor step's critic pass, counted from the layer shapes) at the rate
this machine's one core reaches on a 256x256x256 float32 product. Adam and elementwise work count as
overhead above the floor. They also split one DDPG and one TD3 update into its own matrix products (found
by the profiler, replayed alone at their shapes, timed beside the update) and everything else.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from collections import Counter
from collections.abc import Callable, Hashable
from typing import TypeVar

import numpy as np
import torch
from torch import nn

from bounded_ddpg import agents, transforms
from bounded_ddpg.compiled import CPP_WRAPPER, CompiledUpdate
from bounded_ddpg.config import AgentConfig
from bounded_ddpg.cuda_graph import GraphedUpdate
from bounded_ddpg.replay import ReplayBuffer

K = TypeVar("K", bound=Hashable)
# Network and batch shapes of the two settings (keyword arguments of `ours`, without members/transform).
PLATFORM = dict(batch=32, hidden=[256, 128], activation="leaky_relu", obs=9, act=6)  # reference PA-DDPG
CLEANRL = dict(batch=256, hidden=[256, 256], activation="relu", obs=3, act=1)  # CleanRL's DDPG, Pendulum


def ours(
    members: int,
    batch: int,
    hidden: list[int],
    activation: str,
    transform: str,
    obs: int,
    act: int,
    device: str = "cpu",
    agent: str = "ddpg",
    graph: bool = False,
    compiled: bool = False,
    cpp_wrapper: bool = CPP_WRAPPER,
) -> Callable[[], object]:
    """One call = one update of all `members` (grad clip 10), sampling from 2,000 random transitions.

    ``agent="td3"`` updates its actor and targets every second call (policy_delay 2, as CleanRL's TD3).
    ``graph``: the update replayed from CUDA graphs (cuda_graph.GraphedUpdate; the sample stays eager).
    ``compiled``: the update compiled (agent.compile, compiled.CompiledUpdate); compiled here, before it
    returns, its compile time printed; ``cpp_wrapper``: with inductor's C++ wrapper (default: as
    agent.compile does, compiled.CPP_WRAPPER).
    """
    delay = 2 if agent == "td3" else 1
    cfg = AgentConfig(name=agent, hidden_sizes=hidden, activation=activation, batch_size=batch,
                      grad_clip=10.0, policy_delay=delay)  # fmt: skip
    seeds = list(range(members))
    learner = agents.make(obs, -np.ones(act), np.ones(act), cfg, transform, seeds=seeds, device=device)
    replay = ReplayBuffer(10_000, obs, act, seeds, device)
    gen = torch.Generator().manual_seed(0)
    for _ in range(2_000):
        replay.add(
            torch.randn(members, obs, generator=gen), torch.rand(members, act, generator=gen) * 2 - 1,
            torch.randn(members, generator=gen), torch.randn(members, obs, generator=gen),
            torch.zeros(members), torch.zeros(members),
        )  # fmt: skip
    if graph:
        graphed = GraphedUpdate(learner, replay.sample(batch))
        return lambda: graphed(replay.sample(batch))
    if compiled:
        update = CompiledUpdate(cpp_wrapper=cpp_wrapper)
        start = time.perf_counter()
        for _ in range(delay):  # one call per phase compiles it
            update(learner, replay.sample(batch))
        assert update.eager_reason is None, update.eager_reason
        wrapper = "C++" if cpp_wrapper else "Python"
        print(f"  (compiled, {wrapper} wrapper, {agent} M={members} {transform} batch {batch}: "
              f"{time.perf_counter() - start:.1f} s to compile)", flush=True)  # fmt: skip
        return lambda: update(learner, replay.sample(batch))
    return lambda: learner.update(replay.sample(batch))


# The settings of the compiled columns (--compiled), by the name --settings gives.
COMPILED_SETTINGS: dict[str, dict[str, object]] = {
    "Platform M=1 invert": dict(members=1, transform="invert", **PLATFORM),
    "Platform M=10 invert": dict(members=10, transform="invert", **PLATFORM),
    "CleanRL ddpg M=1 identity": dict(members=1, transform="identity", **CLEANRL),
    "CleanRL td3 M=1 identity": dict(members=1, transform="identity", agent="td3", **CLEANRL),
}


def compiled_columns(calls: int, repeats: int, names: list[str], cpp_wrapper: bool) -> None:
    """Eager and compiled (agent.compile) side by side, interleaved, at the settings ``names`` (all four:
    Platform M=1 and M=10 with invert, CleanRL M=1 with identity for DDPG and TD3), compiled as agent.compile
    does (compiled.CPP_WRAPPER); with ``cpp_wrapper``, compiled twice: with inductor's Python wrapper, and
    with its C++ wrapper in a third column."""
    variants: dict[str, dict[str, bool]] = {"eager": {}, "compiled": {"compiled": True}}
    if cpp_wrapper:  # the compiled column twice: inductor's Python wrapper, then its C++ wrapper
        variants["compiled"]["cpp_wrapper"] = False
        variants["C++ wrapper"] = {"compiled": True, "cpp_wrapper": True}
    cases: dict[tuple[str, str], Callable[[], object]] = {}
    for name in names:
        for variant, flags in variants.items():
            cases[name, variant] = ours(**COMPILED_SETTINGS[name], **flags)  # type: ignore[arg-type]
    ms = measure(cases, calls, repeats)
    print(f"agent.compile: ms per update call, {' | '.join(variants)} | eager / each (median of {repeats})")
    for name in names:
        times = [ms[name, v] for v in variants]
        ratios = " | ".join(f"{times[0] / t:5.2f}x" for t in times[1:])
        print(f"  {name:<28} {' | '.join(f'{t:8.3f}' for t in times)} | {ratios}")


# torch.profiler's names for the parts of a compiled call, outside the compiled graph's own kernels
CALL_PARTS = {
    "TorchDynamo Cache Lookup": "Dynamo's guard check (picks the graph)",
    "Torch-Compiled Region": "the compiled region's own Python",
    "AOTDispatcher Runtime Wrapper Prologue": "AOTAutograd's wrapper",
    "Pregraph bytecode": "Dynamo's bytecode before the graph",
}


def profile_compiled(names: list[str], calls: int, cpp_wrapper: bool) -> None:
    """Where a compiled update call's time goes (torch.profiler over ``calls`` calls, after compiling):
    the parts of CALL_PARTS, and the compiled graph (inductor's kernels and the matrix products it calls)
    as the rest of the call. Self times, microseconds per call, and shares of the whole call."""
    for name in names:
        update = ours(**COMPILED_SETTINGS[name], compiled=True, cpp_wrapper=cpp_wrapper)  # type: ignore[arg-type]
        for _ in range(20):
            update()
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            start = time.perf_counter()
            for _ in range(calls):
                update()
            total_us = (time.perf_counter() - start) / calls * 1e6
        parts = Counter[str]()
        for event in prof.key_averages():
            label = next((v for k, v in CALL_PARTS.items() if event.key.startswith(k)), None)
            if label is not None:
                parts[label] += event.self_cpu_time_total / calls
        print(f"{name}, compiled ({'C++' if cpp_wrapper else 'Python'} wrapper): {total_us:.0f} us per call "
              f"(profiled, {calls} calls; the sample from the replay included)")  # fmt: skip
        for label, us in parts.most_common():
            print(f"  {label:<40} {us:7.0f} us  {us / total_us:5.1%}")
        rest = total_us - sum(parts.values())
        print(f"  {'the graph and everything else':<40} {rest:7.0f} us  {rest / total_us:5.1%}")


class RefMLP(nn.Module):
    def __init__(self, sizes: list[int]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(i, o) for i, o in itertools.pairwise(sizes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers[:-1]:
            x = nn.functional.leaky_relu(layer(x))
        return self.layers[-1](x)


def reference_style(batch: int = 32, obs: int = 9, act: int = 6) -> Callable[[], None]:
    """A PA-DDPG update shaped like the published reference's (see module docstring)."""
    actor, critic = RefMLP([obs, 256, 128, act]), RefMLP([obs + act, 256, 128, 1])
    actor_t, critic_t = RefMLP([obs, 256, 128, act]), RefMLP([obs + act, 256, 128, 1])
    actor_t.load_state_dict(actor.state_dict())
    critic_t.load_state_dict(critic.state_dict())
    opt_a, opt_c = torch.optim.Adam(actor.parameters(), 1e-4), torch.optim.Adam(critic.parameters(), 1e-3)
    rng = np.random.default_rng(0)
    data = {
        k: rng.standard_normal((10_000, d)).astype(np.float32) for k, d in (("s", obs), ("a", act), ("r", 1))
    }
    data["s2"], data["t"] = data["s"][::-1].copy(), np.zeros((10_000, 1), np.float32)
    hi, lo = torch.ones(act), -torch.ones(act)
    rnge = hi - lo

    def update() -> None:
        idx = rng.integers(0, 10_000, batch)
        s, a, r, s2, t = (torch.from_numpy(data[k][idx]) for k in ("s", "a", "r", "s2", "t"))
        with torch.no_grad():
            y = r + 0.9 * (1 - t) * critic_t(torch.cat([s2, actor_t(s2)], 1))
        loss = nn.functional.mse_loss(critic(torch.cat([s, a], 1)), y)
        opt_c.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(critic.parameters(), 10.0)
        opt_c.step()
        with torch.no_grad():
            u = actor(s)
        u.requires_grad = True
        q = critic(torch.cat([s, u], 1)).mean()
        critic.zero_grad()
        q.backward()
        grad = u.grad.clone()
        with torch.no_grad():  # inverting gradients, one sample at a time (the reference's loop)
            for n in range(grad.shape[0]):
                up = grad[n] > 0
                grad[n][up] *= ((hi - u[n]) / rnge)[up]
                grad[n][~up] *= ((u[n] - lo) / rnge)[~up]
        out = actor(s)
        opt_a.zero_grad()
        out.backward(-grad)
        nn.utils.clip_grad_norm_(actor.parameters(), 10.0)
        opt_a.step()
        for net, target in ((actor, actor_t), (critic, critic_t)):
            for p, p_t in zip(net.parameters(), target.parameters()):
                p_t.data.copy_(0.01 * p.data + 0.99 * p_t.data)

    return update


def update_flops(batch: int, hidden: list[int], obs: int, act: int, agent: str) -> float:
    """Matrix-product FLOPs of one update (for TD3: the mean over its two-call actor/target cycle).

    A linear layer costs 2*B*in*out forward; its backward costs the same again for the weight gradient and
    once more for the input gradient, which the first layer never needs (observations and replayed actions
    take no gradient). The actor step needs only the critic's input gradient (dQ/da), no weight gradients.
    """

    def sizes(n_in: int, n_out: int) -> list[tuple[int, int]]:
        dims = [n_in, *hidden, n_out]
        return list(itertools.pairwise(dims))

    def fwd(layers: list[tuple[int, int]]) -> float:
        return sum(2.0 * batch * i * o for i, o in layers)

    actor, critic = sizes(obs, act), sizes(obs + act, 1)
    first = 2.0 * batch * critic[0][0] * critic[0][1]
    critics, delay = (2, 2) if agent == "td3" else (1, 1)
    critic_step = fwd(actor) + critics * (fwd(critic) + fwd(critic) + 2 * fwd(critic) - first)
    actor_first = 2.0 * batch * actor[0][0] * actor[0][1]
    actor_step = fwd(actor) + fwd(critic) + fwd(critic) + 2 * fwd(actor) - actor_first
    return critic_step + actor_step / delay


MATMULS = ("bmm", "baddbmm", "mm", "addmm")


def own_matmuls(update: Callable[[], object], calls: int) -> Callable[[], None]:
    """The matrix products that ``calls`` calls of ``update`` launch, at their own shapes, as one callable.

    The profiler records every matrix-product call of ``calls`` updates with its input shapes; the callable
    runs each (op, shapes) pair as often as those updates did, on fresh contiguous tensors (``calls`` is a
    whole cycle: 2 for TD3, whose actor steps every second call). Timed
    beside the update it gives the update's matrix-product time at this machine's real rate for those
    shapes (small first- and last-layer products run far below the 256x256x256 rate): the update minus it is
    everything else (elementwise work, Adam, autograd and dispatch).
    """
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        for _ in range(calls):
            update()
    counts: Counter[tuple[str, tuple[tuple[int, ...], ...]]] = Counter()
    for event in prof.events():
        op = event.name.removeprefix("aten::")
        if op in MATMULS:
            counts[op, tuple(tuple(s) for s in event.input_shapes if s)] += 1
    plan = [(getattr(torch, op), [torch.randn(*s) for s in shapes], n) for (op, shapes), n in counts.items()]

    def replay() -> None:
        for fn, args, n in plan:
            for _ in range(n):
                fn(*args)

    return replay


def ours_pdqn(members: int, agent: str, transform: str, device: str = "cpu") -> Callable[[], object]:
    """One update of all `members` of P-DQN or MP-DQN at the released Platform settings."""
    cfg = AgentConfig(name=agent, hidden_sizes=[128], batch_size=128, grad_clip=10.0, tau=0.1,
                      tau_param=0.001, lr_actor=1e-4, lr_critic=1e-3, init_std_param=1e-4)  # fmt: skip
    seeds, obs, k = list(range(members)), 9, 3
    slices = [slice(k + i, k + i + 1) for i in range(k)]
    learner = agents.make(obs, -np.ones(2 * k), np.ones(2 * k), cfg, transform, k, seeds, device, slices)
    replay = ReplayBuffer(10_000, obs, 2 * k, seeds, device)
    gen = torch.Generator().manual_seed(0)
    for _ in range(2_000):
        replay.add(
            torch.randn(members, obs, generator=gen), torch.rand(members, 2 * k, generator=gen) * 2 - 1,
            torch.randn(members, generator=gen), torch.randn(members, obs, generator=gen),
            torch.zeros(members), torch.zeros(members),
        )  # fmt: skip
    return lambda: learner.update(replay.sample(128))


class RefQ(nn.Module):
    """Q(s, x) -> [B, K] as the reference's QActor, or its MultiPassQActor (loops over the K actions)."""

    def __init__(self, obs: int, k: int, multipass: bool) -> None:
        super().__init__()
        self.k, self.multipass = k, multipass
        self.hidden, self.out = nn.Linear(obs + k, 128), nn.Linear(128, k)

    def forward(self, s: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if not self.multipass:
            return self.out(nn.functional.relu(self.hidden(torch.cat([s, x], 1))))
        b, n = s.shape[0], s.shape[1]
        rows = torch.cat([s, torch.zeros_like(x)], 1).repeat(self.k, 1)
        for a in range(self.k):  # one parameter per action on Platform
            rows[a * b : (a + 1) * b, n + a : n + a + 1] = x[:, a : a + 1]
        q_all = self.out(nn.functional.relu(self.hidden(rows)))
        return torch.cat([q_all[a * b : (a + 1) * b, a].unsqueeze(1) for a in range(self.k)], 1)


def reference_pdqn(multipass: bool, invert: str, obs: int = 9, k: int = 3) -> Callable[[], None]:
    """A P-DQN update shaped like agents/pdqn.py's _optimize_td_loss (see module docstring).

    ``invert``: "masked" (P-DQN's _invert_gradients), "loop" (one sample at a time) or "none" (identity).
    """
    q, q_t = RefQ(obs, k, multipass), RefQ(obs, k, multipass)
    x_net, x_t = RefMLP([obs, 128, k]), RefMLP([obs, 128, k])
    q_t.load_state_dict(q.state_dict())
    x_t.load_state_dict(x_net.state_dict())
    opt_q, opt_x = torch.optim.Adam(q.parameters(), 1e-3), torch.optim.Adam(x_net.parameters(), 1e-4)
    rng = np.random.default_rng(0)
    data: dict[str, np.ndarray] = {
        key: rng.standard_normal((10_000, d)).astype(np.float32) for key, d in (("s", obs), ("x", k))
    }
    data["s2"], data["r"] = data["s"][::-1].copy(), rng.standard_normal(10_000).astype(np.float32)
    data["a"], data["t"] = rng.integers(0, k, 10_000), np.zeros(10_000, np.float32)
    hi, lo = torch.ones(k), -torch.ones(k)
    rnge = hi - lo

    def update() -> None:
        idx = rng.integers(0, 10_000, 128)
        s, x, r, s2, t = (torch.from_numpy(data[key][idx]) for key in ("s", "x", "r", "s2", "t"))
        a = torch.from_numpy(data["a"][idx]).long()
        with torch.no_grad():
            target = r + (1 - t) * 0.9 * q_t(s2, x_t(s2)).max(1)[0]
        loss = nn.functional.mse_loss(q(s, x).gather(1, a.view(-1, 1)).squeeze(), target)
        opt_q.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(q.parameters(), 10.0)
        opt_q.step()
        with torch.no_grad():
            params = x_net(s)
        params.requires_grad = True
        q_loss = torch.mean(torch.sum(q(s, params), 1))
        q.zero_grad()
        q_loss.backward()
        delta = params.grad.clone()
        out = x_net(s)  # the reference runs the parameter network a second time
        vals = out.detach()
        with torch.no_grad():
            if invert == "masked":
                up = delta > 0
                delta[up] *= ((hi - vals) / rnge)[up]
                delta[~up] *= ((vals - lo) / rnge)[~up]
            elif invert == "loop":
                for n in range(delta.shape[0]):
                    up = delta[n] > 0
                    delta[n][up] *= ((hi - vals[n]) / rnge)[up]
                    delta[n][~up] *= ((vals[n] - lo) / rnge)[~up]
        surrogate = -torch.mul(delta, out)
        x_net.zero_grad()
        surrogate.backward(torch.ones(surrogate.shape))
        nn.utils.clip_grad_norm_(x_net.parameters(), 10.0)
        opt_x.step()
        for net, net_t, tau in ((q, q_t, 0.1), (x_net, x_t, 0.001)):
            for p, p_t in zip(net.parameters(), net_t.parameters()):
                p_t.data.copy_(tau * p.data + (1.0 - tau) * p_t.data)

    return update


def measure(
    cases: dict[K, Callable[[], object]], calls: int, repeats: int, sync: Callable[[], object] = lambda: None
) -> dict[K, float]:
    """Median ms per call; the cases are interleaved within every repeat so drift hits all alike.

    ``sync`` ends every timed block (``torch.cuda.synchronize`` when the work runs on a GPU).
    """
    samples: dict[K, list[float]] = {name: [] for name in cases}
    for fn in cases.values():
        for _ in range(10):
            fn()
    sync()
    for _ in range(repeats):
        for name, fn in cases.items():
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            sync()
            samples[name].append((time.perf_counter() - start) / calls * 1e3)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="few calls: a smoke run, not a measurement")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    parser.add_argument(
        "--compiled",
        action="store_true",
        help="only eager vs compiled (agent.compile) at four settings, side by side",
    )
    parser.add_argument(
        "--settings",
        nargs="+",
        choices=list(COMPILED_SETTINGS),
        default=list(COMPILED_SETTINGS),
        metavar="NAME",
        help=f"with --compiled: which settings (default all: {', '.join(map(repr, COMPILED_SETTINGS))})",
    )
    parser.add_argument(
        "--cpp-wrapper",
        action="store_true",
        help="with --compiled: the compiled column with inductor's Python wrapper, and a column with its C++ "
        "wrapper (agent.compile's default)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="with --compiled: instead of the columns, where a compiled call's time goes (torch.profiler)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    calls, repeats = (5, 2) if args.quick else (100, 7)
    if args.compiled and args.profile:
        profile_compiled(args.settings, 4 * calls, args.cpp_wrapper)
        return
    if args.compiled:
        compiled_columns(max(calls // 2, 2), repeats, args.settings, args.cpp_wrapper)
        return
    ms = measure(
        {
            "reference-style PA-DDPG (per-sample loop)": reference_style(),
            "M=1 identity": ours(1, transform="identity", **PLATFORM),  # type: ignore[arg-type]
            "M=1 invert": ours(1, transform="invert", **PLATFORM),  # type: ignore[arg-type]
            "M=10 identity": ours(10, transform="identity", **PLATFORM),  # type: ignore[arg-type]
            "M=10 invert": ours(10, transform="invert", **PLATFORM),  # type: ignore[arg-type]
        },
        calls,
        repeats,
    )
    ref = ms["reference-style PA-DDPG (per-sample loop)"]
    print(f"Platform settings (batch 32, [256,128]); median of {repeats} x {calls} calls, 1 thread")
    for name, value in ms.items():
        members = 10 if name.startswith("M=10") else 1
        print(
            f"  {name:<44} {value:7.3f} ms/call   member-updates/s vs reference: "
            f"{ref / value * members:6.1f}x"
        )
    print(f"  invert / identity: M=1 {ms['M=1 invert'] / ms['M=1 identity']:.3f}, "
          f"M=10 {ms['M=10 invert'] / ms['M=10 identity']:.3f}")  # fmt: skip
    # The transform alone, at the same shapes: what the seam costs inside one update.
    seam = transforms.make("invert", -np.ones(6), np.ones(6))
    u, g = torch.randn(1, 32, 6) * 2, torch.randn(1, 32, 6)
    t_ms = measure({"invert": lambda: seam.backward(g, seam.forward(u))}, calls * 10, repeats)["invert"]
    share = t_ms / ms["M=1 invert"] * 100
    print(f"  invert forward+backward alone: {t_ms * 1e3:.1f} us = {share:.2f}% of an update")
    square = torch.randn(256, 256), torch.randn(256, 256)
    ms = measure(
        {
            "256x256x256 matmul": lambda: torch.mm(*square),  # the floor's rate, interleaved with the rest
            **{
                f"{a} M=1 {t}": ours(1, transform=t, agent=a, **CLEANRL)  # type: ignore[arg-type]
                for a in ("ddpg", "td3")
                for t in ("identity", "invert")
            },
        },
        max(calls // 2, 2),
        repeats,
    )
    gflops = 2 * 256**3 / (ms.pop("256x256x256 matmul") * 1e-3) / 1e9
    print(f"CleanRL settings (batch 256, 256x256, Pendulum); this core: {gflops:.1f} GFLOP/s (same run)")
    for name, value in ms.items():
        agent = name.split()[0]
        floor = update_flops(256, [256, 256], 3, 1, agent) / (gflops * 1e9) * 1e3
        print(f"  {name:<44} {value:7.3f} ms/call   floor {floor:6.3f} ms   x floor {value / floor:5.2f}")
    for a in ("ddpg", "td3"):
        print(f"  {a} invert / identity: {ms[f'{a} M=1 invert'] / ms[f'{a} M=1 identity']:.3f}")
    print(f"  td3 / ddpg (identity): {ms['td3 M=1 identity'] / ms['ddpg M=1 identity']:.3f}")
    # Where the rest goes: the update's own matrix products, replayed alone beside it.
    split = {}
    for a in ("ddpg", "td3"):
        update = ours(1, transform="identity", agent=a, **CLEANRL)  # type: ignore[arg-type]
        split[f"{a} update"], split[f"{a} its matrix products"] = update, own_matmuls(update, calls=2)
    parts = measure(split, max(calls // 2, 2), repeats)
    for a in ("ddpg", "td3"):
        total, mm = parts[f"{a} update"], parts[f"{a} its matrix products"] / 2  # per update
        print(
            f"  {a} identity: matrix products alone {mm:7.3f} ms of {total:7.3f} ms ({mm / total:.0%}); "
            f"everything else (elementwise, Adam, autograd, dispatch) {total - mm:7.3f} ms"
        )
    cases: dict[str, Callable[[], object]] = {}
    for agent, multipass in (("pdqn", False), ("mpdqn", True)):
        for inv in ("none", "masked", "loop"):
            cases[f"reference-style {agent} invert={inv}"] = reference_pdqn(multipass, inv)
        for m in (1, 10):
            for t in ("identity", "invert"):
                cases[f"{agent} M={m} {t}"] = ours_pdqn(m, agent, t)
    ms = measure(cases, max(calls // 2, 2), repeats)
    print("P-DQN / MP-DQN, released Platform settings (batch 128, [128] ReLU, 3 actions)")
    for agent in ("pdqn", "mpdqn"):
        ref = ms[f"reference-style {agent} invert=masked"]
        # "<agent> M=.." and "reference-style <agent> .."
        for name in (n for n in ms if agent in n.split(" ")[:2]):
            members = 10 if " M=10 " in name else 1
            print(f"  {name:<44} {ms[name]:7.3f} ms/call   member-updates/s vs reference (masked): "
                  f"{ref / ms[name] * members:6.1f}x")  # fmt: skip
        for m in (1, 10):
            ratio = ms[f"{agent} M={m} invert"] / ms[f"{agent} M={m} identity"]
            print(f"  {agent} M={m} invert / identity: {ratio:.3f}")
        loop = ms[f"reference-style {agent} invert=loop"] / ms[f"reference-style {agent} invert=none"]
        masked = ms[f"reference-style {agent} invert=masked"] / ms[f"reference-style {agent} invert=none"]
        print(f"  reference-style {agent} invert / identity: masked {masked:.3f}, per-sample loop {loop:.3f}")


if __name__ == "__main__":
    main()
