"""How the update cost scales with the number of batched members M, on one device (CPU or GPU).

    python benchmarks/bench_members.py                                  # CPU, M = 1, 10, 50
    python benchmarks/bench_members.py --device cuda --members 1 10 50 100 200
    python benchmarks/bench_members.py --device cuda --graph --members 1 10 50 100 200   # eager vs graph

For each setting (Platform: batch 32, [256, 128] leaky ReLU, invert; CleanRL: batch 256, 256x256 ReLU,
identity; both with grad clip 10, as bench_update.py) it prints milliseconds per update call (which
updates all M members), the cost per member-update, and the aggregate speed-up over M = 1 on the same
device: M x t(1) / t(M). The sizes are interleaved within every repeat and figures are medians. On
CUDA every timed block ends with a synchronize. ``--graph`` (CUDA only) times, beside each eager update, the
same update replayed from CUDA graphs (bounded_ddpg.cuda_graph; the replay sample stays eager in both) and
prints graph / eager per M.
"""

from __future__ import annotations

import argparse

import torch

# this folder's update benchmark: its interleaved timer, the update under test and the two settings
from bench_update import CLEANRL, PLATFORM, measure, ours

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
    args = parser.parse_args()
    if args.graph and not args.device.startswith("cuda"):
        parser.error(f"--graph needs a CUDA device (--device cuda), not --device {args.device}")
    torch.set_num_threads(args.threads)
    cuda = args.device.startswith("cuda")
    name = torch.cuda.get_device_name(args.device) if cuda else "CPU"
    print(f"device: {args.device} ({name}), torch {torch.__version__}, {args.threads} thread(s)")
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    for setting in args.settings:
        shapes, transform = SETTINGS[setting]
        modes = [False, True] if args.graph else [False]
        cases = {
            (m, g): ours(m, transform=transform, device=args.device, graph=g, **shapes)  # type: ignore[arg-type]
            for m in args.members
            for g in modes
        }
        ms = measure(cases, args.calls, args.repeats, sync)
        base = ms[args.members[0], False] / args.members[0]
        print(f"\n{setting} settings: ms per call | ms per member-update | speed-up vs M={args.members[0]}")
        for (m, g), t in ms.items():
            label = "graph" if g else "eager"
            ratio = f" | eager / graph {ms[m, False] / t:5.2f}x" if g else ""
            print(f"  M={m:<4d} {label} {t:9.3f} | {t / m:8.4f} | {base * m / t:7.1f}x{ratio}")


if __name__ == "__main__":
    main()
