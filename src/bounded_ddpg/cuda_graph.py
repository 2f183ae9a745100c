"""An agent's update replayed from CUDA graphs: one launch per update instead of ~150 small kernels.

On a GPU a small update is launch-bound (docs/benchmarks.md: ~7 ms per call whether it updates 1 or 50
members). ``GraphedUpdate(agent, example_batch)`` records ``agent.update`` once per phase of its
``policy_delay`` cycle (DDPG: one graph; TD3: critic-only and critic + actor + targets) and afterwards
replays the graph for each call, after copying the batch into the graph's static input. What is computed
is unchanged: the same kernels on the same tensors, so the parameters, Adam's moments, the random streams
and the returned metrics are those of the eager ``agent.update``, bit for bit (tests/test_cuda_graph.py
checks it on a GPU, against an eager twin with the same capturable optimisers).

Preconditions, checked: a CUDA device; no learning-rate decay (its per-member scale is a Python-side
tensor that changes between updates, which a graph cannot see). The optimisers are rebuilt capturable
(their step counters and bias corrections live on the GPU) with their state carried over, and Adam's state
is created before capture (a lazily created moment would be re-zeroed by every replay). The random streams
an update draws from (TD3's target smoothing) are registered with each graph so that replays advance them.

Status: not yet wired into train.py (no config option), and written on a machine without a GPU: the tests
in tests/test_cuda_graph.py and ``benchmarks/bench_members.py --device cuda --graph`` are what a GPU
session runs first.
"""

from __future__ import annotations

import copy
from typing import Any

import torch

from bounded_ddpg.actor_step import Metrics
from bounded_ddpg.agents.ddpg import DDPG
from bounded_ddpg.replay import Batch


def make_capturable(agent: DDPG) -> None:
    """Rebuild the agent's two Adam optimisers as fused + capturable, state carried over and created."""
    for name in ("actor_opt", "critic_opt"):
        old: torch.optim.Optimizer = getattr(agent, name)
        if len(old.param_groups) != 1:
            raise ValueError(f"{name} has {len(old.param_groups)} parameter groups; the agents build one")
        group = old.param_groups[0]
        params = list(group["params"])
        hyper = {k: group[k] for k in ("lr", "betas", "eps", "weight_decay", "amsgrad")}
        new = torch.optim.Adam(params, **hyper, fused=True, capturable=True)
        new.load_state_dict(old.state_dict())  # this restores the saved group's flags too: set them again
        new.param_groups[0].update(fused=True, capturable=True)
        for p in params:  # what Adam's first step would create, created now (outside any capture)
            if not new.state[p]:
                new.state[p] = {
                    "step": torch.zeros((), dtype=torch.float32, device=p.device),
                    "exp_avg": torch.zeros_like(p, memory_format=torch.preserve_format),
                    "exp_avg_sq": torch.zeros_like(p, memory_format=torch.preserve_format),
                }
        setattr(agent, name, new)


class GraphedUpdate:
    """``update(batch)`` = ``agent.update(batch)``, replayed from CUDA graphs (module docstring).

    The returned metrics are the graph's static outputs: read (or clone) them before the next call.
    """

    def __init__(self, agent: DDPG, example: Batch, warmup: int = 3) -> None:
        if agent.device.type != "cuda":
            raise ValueError(f"CUDA graphs need an agent on a CUDA device; this one is on {agent.device}")
        if agent.lr_scale is not None:
            raise ValueError(
                "CUDA graphs cannot follow a learning-rate decay (agent.lr_decay): use the eager update"
            )
        if agent.streams and not hasattr(torch.cuda.CUDAGraph, "register_generator_state"):
            raise ValueError(
                f"torch {torch.__version__} cannot register the update's random streams with a graph"
            )
        self.agent = agent
        make_capturable(agent)
        self.static = Batch(*(t.to(agent.device).clone() for t in example))
        delay = agent.cfg.policy_delay
        # Warm-up on a side stream (lazy initialisation in the libraries), then the state as it was.
        before = copy.deepcopy(agent.state_dict())
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(warmup * delay):
                agent.update(self.static)
        torch.cuda.current_stream().wait_stream(side)
        agent.load_state_dict(before)
        self.first = agent.num_updates  # graph k records the update made when num_updates = first + k
        self.graphs: list[tuple[Any, Metrics]] = []
        pool = None
        for _ in range(delay):
            graph = torch.cuda.CUDAGraph()
            for generators in agent.streams.values():
                for g in generators:
                    graph.register_generator_state(g)
            with torch.cuda.graph(graph, pool=pool):
                metrics = agent.update(self.static)
            pool = graph.pool()
            self.graphs.append((graph, metrics))
        agent.num_updates = self.first  # capture records without running: nothing was updated

    def __call__(self, batch: Batch) -> Metrics:
        for field, static, new in zip(Batch._fields, self.static, batch, strict=True):
            if new.shape != static.shape:  # copy_ would broadcast a smaller batch without a word
                raise ValueError(f"batch.{field} has shape {tuple(new.shape)}; the graph was recorded for "
                                 f"{tuple(static.shape)}")  # fmt: skip
            static.copy_(new)
        graph, metrics = self.graphs[(self.agent.num_updates - self.first) % len(self.graphs)]
        graph.replay()
        self.agent.num_updates += 1
        return metrics
