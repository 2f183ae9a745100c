"""How the update cost scales with the number of batched members M, on one device (CPU or GPU).

    python benchmarks/bench_members.py                                  # CPU, M = 1, 10, 50
    python benchmarks/bench_members.py --device cuda --members 1 10 50 100 200
    python benchmarks/bench_members.py --device cuda --graph --members 1 10 50 100 200   # eager vs graph
    python benchmarks/bench_members.py --compiled --members 1 10 25   # eager vs agent.compile, same run

For each setting (Platform: batch 32, [256, 128] leaky ReLU, invert; CleanRL: batch 256, 256x256 ReLU,
identity; both with grad clip 10, as bench_update.py) it prints milliseconds per update call (which
updates all M members), the cost per member-update, and the aggregate speed-up over M = 1 on the same
device: M x t(1) / t(M). The sizes are interleaved within every repeat and figures are medians. On
CUDA every timed block ends with a synchronize. ``--graph`` (CUDA only) times, beside each eager update, the
same update replayed from CUDA graphs (bounded_ddpg.cuda_graph; the replay sample stays eager in both) and
prints eager / graph (the speed-up) per M. ``--compiled`` does the same for the update compiled with
torch.compile (agent.compile, bounded_ddpg.compiled; each M compiled before timing, its compile time
printed). ``--split`` (CPU) times, beside each, the update's own matrix products replayed alone at their
shapes (bench_update.own_matmuls) and gives its compute floor: M x the update's FLOPs at the 256x256x256
product rate measured in the same run.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable

import torch

# this folder's update benchmark: its interleaved timer, the update under test and the two settings
from bench_update import CLEANRL, PLATFORM, measure, ours, own_matmuls, update_flops

SETTINGS = {"Platform": (PLATFORM, "invert"), "CleanRL": (CLEANRL, "identity")}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N (default cpu)")
    parser.add_argument("--members", type=int, nargs="+", default=[1, 10, 50], help="values of M")
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--calls", type=int, default=50, help="update calls per timed block")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1)")
    parser.add_argument("--graph", action="store_true", help="also time the update as a CUDA graph")
    parser.add_argument(
        "--compiled", action="store_true", help="also time the compiled update (agent.compile)"
    )
    parser.add_argument(
        "--split", action="store_true", help="CPU: also time the update's matrix products alone"
    )
    args = parser.parse_args()
    cuda = args.device.startswith("cuda")
    if args.graph and not cuda:
        parser.error(f"--graph needs a CUDA device (--device cuda), not --device {args.device}")
    if args.split and cuda:
        parser.error("--split replays the matrix products on the CPU: use it without --device cuda")
    torch.set_num_threads(args.threads)
    name = torch.cuda.get_device_name(args.device) if cuda else "CPU"
    print(f"device: {args.device} ({name}), torch {torch.__version__}, {args.threads} thread(s)")
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    for setting in args.settings:
        shapes, transform = SETTINGS[setting]
        cases: dict[tuple[int, str], Callable[[], object]] = {}
        for m in args.members:
            cases[m, "eager"] = ours(m, transform=transform, device=args.device, **shapes)  # type: ignore[arg-type]
            if args.graph:
                cases[m, "graph"] = ours(m, transform=transform, device=args.device, graph=True, **shapes)  # type: ignore[arg-type]
            if args.compiled:
                compiled = ours(m, transform=transform, device=args.device, compiled=True, **shapes)  # type: ignore[arg-type]
                cases[m, "compiled"] = compiled
            if args.split:  # one call is a whole cycle: these updates step the actor every call
                cases[m, "matmuls"] = own_matmuls(cases[m, "eager"], calls=1)
        if args.split:  # the floor's rate, interleaved with the rest
            cases[0, "256x256x256"] = functools.partial(
                torch.mm, torch.randn(256, 256), torch.randn(256, 256)
            )
        ms = measure(cases, args.calls, args.repeats, sync)
        base = ms[args.members[0], "eager"] / args.members[0]
        if args.split:  # one member's update FLOPs, at the square product's rate measured above
            gflops = 2 * 256**3 / (ms[0, "256x256x256"] * 1e-3) / 1e9
            flops = update_flops(shapes["batch"], shapes["hidden"], shapes["obs"], shapes["act"], "ddpg")  # type: ignore[arg-type]
        print(f"\n{setting} settings: ms per call | ms per member-update | speed-up vs M={args.members[0]}")
        for m in args.members:
            t = ms[m, "eager"]
            print(f"  M={m:<4d} eager {t:9.3f} | {t / m:8.4f} | {base * m / t:7.1f}x")
            if args.graph:
                g = ms[m, "graph"]
                print(f"  M={m:<4d} graph {g:9.3f} | {g / m:8.4f} | {base * m / g:7.1f}x | "
                      f"eager / graph {t / g:5.2f}x")  # fmt: skip
            if args.compiled:
                c = ms[m, "compiled"]
                print(f"  M={m:<4d} comp. {c:9.3f} | {c / m:8.4f} | {base * m / c:7.1f}x | "
                      f"eager / compiled {t / c:5.2f}x")  # fmt: skip
            if args.split:
                floor_ms = m * flops / (gflops * 1e9) * 1e3
                mm = ms[m, "matmuls"]
                print(f"         its matrix products alone {mm:8.3f} ms ({mm / t:.0%}); compute floor "
                      f"{floor_ms:.3f} ms at {gflops:.1f} GFLOP/s (same run): "
                      f"{t / floor_ms:.2f}x the floor")  # fmt: skip


if __name__ == "__main__":
    main()
