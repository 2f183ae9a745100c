"""The update compiled with torch.compile (inductor, CPU or GPU): ``agent.compile=true``.

``CompiledUpdate()(agent, batch)`` does what ``agent.update(batch)`` does, with each phase of the
``policy_delay`` cycle (``DDPG.update_phase``: the critic step; the critic step, actor step and target update)
traced by TorchDynamo and compiled by inductor. Nothing is rewritten for it: the agents' own code is
traced, the actor's gradient still goes through the seam (actor_step.py), and the eager ``agent.update`` stays
the reference path. What differs from eager:
* gradients come from ``autograd.grad`` traced into the graph (``trace_autograd_ops``; actor_step.set_grads),
  and Adam is traced_adam's step, plain tensor operations on the state of the agent's own torch.optim.Adam
  (torch's ``optimizer.step()`` would break the graph; DDPG._step picks it while Dynamo traces), so that
  with ``actor_grad=chain`` (the default) each phase is ONE graph for every agent (tests/test_compile.py
  counts them). Eager uses the fused Adam kernel. Results agree with eager's to float rounding
  (tests/test_compile.py states the tolerance), not bit for bit.
* TD3's smoothing noise is drawn just before the graph (``agent.predraw``: a graph cannot draw from a
  torch.Generator), from the same per-member streams and in the same order as eager, so the numbers are
  eager's.
* ``agent.actor_grad=direct`` compiles with graph breaks (its autograd.Function records diagnostics as a
  side effect, which Dynamo leaves to eager).

Bounded recompiles: the graphs are specialised to the member count M (``dynamic=False``). Members leaving
the batch (train.py's compact) give new M; the first ``MAX_SIZES`` member counts are compiled, any later one
runs eager (one warning line), so a run never compiles more than ``MAX_SIZES`` x 2 phases.

No C++ compiler (inductor's is ``$CXX``, default g++) or a compile that fails: one warning line, and the
update runs eager from then on. A failed first call leaves the agent as it was (its state is restored from a
copy taken before) and that update is made eagerly, so the run's numbers are eager's from there. A first
compile that fails with inductor's C++ wrapper (CPP_WRAPPER; it builds a Python extension) is made once more
without it, after one warning line.
"""

from __future__ import annotations

import copy
import logging
import sys
import time
from typing import Any

import torch

from bounded_ddpg import traced_adam
from bounded_ddpg.actor_step import Metrics
from bounded_ddpg.agents.ddpg import DDPG
from bounded_ddpg.replay import Batch

MAX_SIZES = 3  # member counts compiled per process; later ones run eager (module docstring)
# Inductor's C++ wrapper: the compiled graph's calls to its kernels made from generated C++ instead of
# Python. On by measurement (docs/benchmarks.md: 2-14% faster at Platform settings, within noise at
# CleanRL's, first compiles of similar length); CompiledUpdate(cpp_wrapper=False) leaves it out.
CPP_WRAPPER = True
# Dynamo's settings while tracing: autograd.grad into the graph, and room beyond its default of 8 cache
# entries for the frames that graph breaks leave (actor_grad=direct's), per member count.
DYNAMO: dict[str, Any] = {"trace_autograd_ops": True, "recompile_limit": 64}


def _quiet_profiler_notice(record: logging.LogRecord) -> bool:
    """Drop Dynamo's one-off notice that the optimiser step's profiler label is not traced (harmless: the
    label only names the step in torch.profiler's traces), so that a compile prints nothing of its own."""
    return not str(record.msg).startswith("Profiler record function")


def _phase(agent: DDPG, batch: Batch, actor: bool) -> Metrics:
    return agent.update_phase(batch, actor)


def compiler_problem() -> str | None:
    """Why inductor cannot compile here (no C++ compiler), or None."""
    try:
        from torch._inductor.cpp_builder import get_cpp_compiler

        get_cpp_compiler()
    except Exception as e:  # InvalidCxxCompiler, or an inductor that cannot be imported
        return f"{type(e).__name__}: {e}".strip().rstrip(":")
    return None


def prepare_adam(agent: DDPG) -> None:
    """Before a compiled call, outside the graph: the agent's Adams are ones traced_adam implements, and
    every parameter has its Adam state (created as torch's Adam would at its first step)."""
    for opt in (agent.actor_opt, agent.critic_opt):
        traced_adam.check(opt)
        traced_adam.init_state(opt)


class CompiledUpdate:
    """``update(agent, batch)``: ``agent.update(batch)`` with each phase compiled (module docstring).

    One object per training process: it remembers which member counts it compiled and whether compiling
    failed, across the agents that train.py rebuilds when members leave.
    """

    def __init__(
        self, mode: str | None = None, backend: Any = "inductor", cpp_wrapper: bool = CPP_WRAPPER
    ) -> None:
        # torch.compile's mode (None: its default) and backend ("eager" or a callable: tests of the
        # bookkeeping without inductor's compile time); cpp_wrapper: inductor's C++ wrapper (CPP_WRAPPER;
        # inductor only, and not with a mode: torch.compile takes a mode or options, not both)
        self.compiled: set[tuple[int, bool]] = set()  # (member count, actor phase) whose graphs exist
        self.eager_reason: str | None = None  # set once compiling is given up for good
        self.compile_s = 0.0  # wall time of the first call of each member count (compiling + one update)
        self.mode, self.backend = mode, backend
        self.cpp_wrapper = cpp_wrapper and backend == "inductor" and mode is None
        self.fn: Any = self.make_fn()
        log = logging.getLogger("torch._dynamo.variables.ctx_manager")
        if _quiet_profiler_notice not in log.filters:
            log.addFilter(_quiet_profiler_notice)
        problem = compiler_problem() if backend == "inductor" else None
        if problem is not None:
            self.give_up(f"no C++ compiler for inductor ({problem})")

    def make_fn(self) -> Any:
        options: dict[str, Any] | None = {"cpp_wrapper": True} if self.cpp_wrapper else None
        return torch.compile(_phase, backend=self.backend, mode=self.mode, dynamic=False, options=options)

    def give_up(self, why: str) -> None:
        self.eager_reason = why
        print(f"warning: agent.compile: {why}; the update runs eager", file=sys.stderr, flush=True)

    def sizes(self) -> list[int]:
        """The member counts compiled so far, largest first."""
        return sorted({m for m, _ in self.compiled}, reverse=True)

    def __call__(self, agent: DDPG, batch: Batch) -> Metrics:
        m = agent.n_members
        if self.eager_reason is None and m not in self.sizes() and len(self.sizes()) >= MAX_SIZES:
            self.eager_reason = f"{MAX_SIZES} member counts compiled"
            print(
                f"agent.compile: the batch now has {m} members, after {MAX_SIZES} compiled member counts "
                f"({self.sizes()}); the update runs eager from here",
                file=sys.stderr,
                flush=True,
            )
        if self.eager_reason is not None:
            return agent.update(batch)
        agent.num_updates += 1
        actor = agent.num_updates % agent.cfg.policy_delay == 0
        if (m, actor) not in self.compiled:
            return self.first_call(agent, batch, actor)
        prepare_adam(agent)
        agent.predraw(batch)
        with torch._dynamo.config.patch(DYNAMO):
            return self.fn(agent, batch, actor)

    def first_call(self, agent: DDPG, batch: Batch, actor: bool) -> Metrics:
        """Compile (on the first call of a member count) with the agent's state kept aside: a failure
        restores it and makes the update eagerly, and every later update is eager; except a failure of the
        first compile with the C++ wrapper, which is tried once more without it."""
        state = copy.deepcopy(agent.state_dict())
        prepare_adam(agent)
        start = time.perf_counter()
        try:
            agent.predraw(batch)
            with torch._dynamo.config.patch(DYNAMO):
                metrics: Metrics = self.fn(agent, batch, actor)
        except Exception as e:
            agent.load_state_dict(state)  # the streams too: the eager phase draws the same numbers again
            agent.predrawn = None
            while isinstance(inner := getattr(e, "inner_exception", e.__cause__), Exception):
                e = inner  # the backend's own error (BackendCompilerFailed wraps it)
            first = (str(e).strip().splitlines() or [""])[0]
            why = f"{type(e).__name__}: {first[:200]}"
            if self.cpp_wrapper and not self.compiled:  # e.g. no Python headers: inductor's Python wrapper
                self.cpp_wrapper = False
                self.fn = self.make_fn()
                print(f"warning: agent.compile: compiling with inductor's C++ wrapper failed ({why}); "
                      "compiling without it", file=sys.stderr, flush=True)  # fmt: skip
                return self.first_call(agent, batch, actor)
            self.give_up(f"compiling failed ({why})")
            return agent.update_phase(batch, actor)
        self.compile_s += time.perf_counter() - start
        self.compiled.add((agent.n_members, actor))
        return metrics
