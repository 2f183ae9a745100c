"""End-to-end steps/s on Pendulum-v1 at CleanRL's settings: bounded_ddpg vs a CleanRL-style loop.

    python benchmarks/bench_e2e.py                  # DDPG: 3 interleaved repeats of 3000 learning steps
    python benchmarks/bench_e2e.py --agent td3      # TD3, the same way
    python benchmarks/bench_e2e.py --learn-steps 500 --repeats 1   # a smoke run (at least 200 steps)
    python benchmarks/bench_e2e.py --compiled       # also bounded_ddpg with agent.compile=true

Settings (CleanRL ddpg_continuous_action.py and td3_continuous_action.py defaults): batch 256, 256x256
ReLU, Adam lr 3e-4 for every network, tau 0.005, gamma 0.99, buffer 1e6, learning starts 5000 (CleanRL's
TD3 uses 25,000 for its 1M-step budget; the timed phase is the same either way), one critic update per step,
actor and targets every second step, Gaussian exploration noise 0.1; TD3 adds twin critics and target
smoothing (noise 0.2 clipped at 0.5, in action units). Only the learning phase is timed (steps after
learning starts), from the wall-clock each loop records; both run as separate processes with one torch
thread, interleaved, and the report gives medians and their ratio.

The baseline is written here in CleanRL's style (no CleanRL code is used): nn.Sequential networks with a
tanh head, a numpy replay buffer converted to tensors on every sample, torch's default Adam, the actor loss
backpropagated through the critic, and target updates as a Python loop over parameters.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LEARNING_STARTS = 5000


def cleanrl_style(learn_steps: int, seed: int, td3: bool) -> float:
    """Learning-phase steps/s of the CleanRL-style loop (run in this process); TD3's when ``td3``."""
    import gymnasium as gym
    import numpy as np
    import torch
    import torch.nn.functional as F
    from torch import nn

    torch.manual_seed(seed)
    env = gym.make("Pendulum-v1")
    obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]  # type: ignore[index]
    high = torch.as_tensor(env.action_space.high)  # type: ignore[attr-defined]

    def q_net() -> nn.Module:
        return nn.Sequential(
            nn.Linear(obs_dim + act_dim, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 1)
        )

    def actor_net() -> nn.Module:
        return nn.Sequential(
            nn.Linear(obs_dim, 256),
            nn.ReLU(),
            nn.Linear(256, 256),
            nn.ReLU(),
            nn.Linear(256, act_dim),
            nn.Tanh(),
        )

    actor, actor_t = actor_net(), actor_net()
    qfs = [q_net() for _ in range(2 if td3 else 1)]
    qfs_t = [q_net() for _ in qfs]
    for net, target in ((actor, actor_t), *zip(qfs, qfs_t)):
        target.load_state_dict(net.state_dict())
    q_params = [p for qf in qfs for p in qf.parameters()]
    q_opt, a_opt = torch.optim.Adam(q_params, lr=3e-4), torch.optim.Adam(actor.parameters(), lr=3e-4)
    size = 1_000_000
    buf = {
        "obs": np.zeros((size, obs_dim), np.float32),
        "next": np.zeros((size, obs_dim), np.float32),
        "act": np.zeros((size, act_dim), np.float32),
        "rew": np.zeros((size, 1), np.float32),
        "term": np.zeros((size, 1), np.float32),
    }
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    total = LEARNING_STARTS + learn_steps
    start = 0.0
    for t in range(total):
        if t == LEARNING_STARTS:
            start = time.perf_counter()
        if t < LEARNING_STARTS:
            action = env.action_space.sample()
        else:
            with torch.no_grad():
                a = actor(torch.as_tensor(obs)) * high
                a += torch.normal(0.0, high * 0.1)
                action = a.numpy().clip(-high.numpy(), high.numpy())
        next_obs, reward, terminated, truncated, _ = env.step(action)
        i = t % size
        buf["obs"][i], buf["next"][i], buf["act"][i] = obs, next_obs, action
        buf["rew"][i], buf["term"][i] = reward, terminated
        obs = next_obs if not (terminated or truncated) else env.reset()[0]
        if t >= LEARNING_STARTS:
            idx = rng.integers(0, min(t + 1, size), 256)
            s, s2, a_b, r, d = (torch.as_tensor(buf[k][idx]) for k in ("obs", "next", "act", "rew", "term"))
            with torch.no_grad():
                a2 = actor_t(s2) * high
                if td3:
                    a2 = (a2 + (torch.randn_like(a2) * 0.2).clamp(-0.5, 0.5) * high).clamp(-high, high)
                x2 = torch.cat([s2, a2], 1)
                y = r + 0.99 * (1 - d) * torch.stack([qf_t(x2) for qf_t in qfs_t]).min(0).values
            x = torch.cat([s, a_b], 1)
            q_loss = sum(F.mse_loss(qf(x), y) for qf in qfs)
            q_opt.zero_grad()
            q_loss.backward()  # type: ignore[union-attr]
            q_opt.step()
            if t % 2 == 0:
                a_loss = -qfs[0](torch.cat([s, actor(s) * high], 1)).mean()
                a_opt.zero_grad()
                a_loss.backward()
                a_opt.step()
                for net, target in ((actor, actor_t), *zip(qfs, qfs_t)):
                    for p, p_t in zip(net.parameters(), target.parameters()):
                        p_t.data.copy_(0.005 * p.data + 0.995 * p_t.data)
    return learn_steps / (time.perf_counter() - start)


def ours(learn_steps: int, seed: int, agent: str, compile: bool = False) -> tuple[float, float, float]:
    """Learning-phase steps/s of `python -m bounded_ddpg.run` at the same settings (from metrics.csv):
    without the first 100 learning steps, with them (and so with agent.compile's compile time, made at the
    first update), and those 100 steps' excess wall time over the steady rate (the compile time)."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [
            sys.executable, "-m", "bounded_ddpg.run", "env=Pendulum", f"agent={agent}", "transform=squash",
            f"seed={seed}",
            f"budget.steps={LEARNING_STARTS + learn_steps}", f"agent.learning_starts={LEARNING_STARTS}",
            "agent.hidden_sizes=[256,256]", "agent.batch_size=256", "agent.lr_actor=3e-4",
            "agent.lr_critic=3e-4", "agent.tau=0.005", "agent.gamma=0.99", "agent.buffer_size=1000000",
            "agent.policy_delay=2", "agent.noise.kind=gaussian", "agent.noise.sigma=0.1",
            "eval.every_steps=0", "eval.final_episodes=1",
            "log_every_steps=100", "progress=false", "torch_threads=1", f"out_dir={out}",
            f"agent.compile={str(compile).lower()}",
        ]  # fmt: skip
        subprocess.run(cmd, check=True, capture_output=True)
        (metrics,) = Path(out).glob("Pendulum/squash/seed*/*/metrics.csv")
        rows = {int(r["step"]): float(r["wall_s"]) for r in csv.DictReader(metrics.open())}
    first = min(s for s in rows if s > LEARNING_STARTS)
    last = max(rows)
    steady = (last - first) / (rows[last] - rows[first])
    whole = (last - LEARNING_STARTS) / (rows[last] - rows[LEARNING_STARTS])
    return steady, whole, rows[first] - rows[LEARNING_STARTS] - (first - LEARNING_STARTS) / steady


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--learn-steps", type=int, default=3000, help="timed steps after learning starts")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats of each loop")
    parser.add_argument("--agent", choices=["ddpg", "td3"], default="ddpg", help="which agent (default ddpg)")
    parser.add_argument(
        "--compiled",
        action="store_true",
        help="also run bounded_ddpg with agent.compile=true (compile time printed apart)",
    )
    parser.add_argument("--cleanrl-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.learn_steps < 200:
        parser.error(
            f"--learn-steps {args.learn_steps}: give at least 200 (the timing spans metrics rows 100 apart)"
        )
    if args.cleanrl_only:  # child process: one thread, like ours
        import torch

        torch.set_num_threads(1)
        print(cleanrl_style(args.learn_steps, seed=0, td3=args.agent == "td3"))
        return
    results: dict[str, list[float]] = {"bounded_ddpg": [], "cleanrl-style": []}
    if args.compiled:
        results |= {"compiled": [], "compiled+compile": []}
    compile_s: list[float] = []
    for _ in range(args.repeats):
        results["bounded_ddpg"].append(ours(args.learn_steps, seed=0, agent=args.agent)[0])
        if args.compiled:
            steady, whole, seconds = ours(args.learn_steps, seed=0, agent=args.agent, compile=True)
            results["compiled"].append(steady)
            results["compiled+compile"].append(whole)
            compile_s.append(seconds)
        child = [sys.executable, __file__, "--cleanrl-only", f"--learn-steps={args.learn_steps}",
                 f"--agent={args.agent}"]  # fmt: skip
        results["cleanrl-style"].append(
            float(subprocess.run(child, check=True, capture_output=True, text=True).stdout)
        )
    med = {k: statistics.median(v) for k, v in results.items()}
    name = args.agent.upper()
    print(f"Pendulum-v1, CleanRL {name} settings, {args.learn_steps} learning steps, {args.repeats} repeats")
    for name, values in results.items():
        print(
            f"  {name:<16} median {med[name]:7.1f} steps/s   (runs: {', '.join(f'{v:.1f}' for v in values)})"
        )
    print(f"  ratio bounded_ddpg / cleanrl-style: {med['bounded_ddpg'] / med['cleanrl-style']:.2f}x")
    if args.compiled:
        print(f"  agent.compile=true: compile time {statistics.median(compile_s):.1f} s (median), in the "
              f"first 100 learning steps; compiled+compile counts it, compiled does not")  # fmt: skip
        for key in ("compiled", "compiled+compile"):
            print(f"  ratio {key} / cleanrl-style: {med[key] / med['cleanrl-style']:.2f}x   "
                  f"{key} / bounded_ddpg: {med[key] / med['bounded_ddpg']:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
