"""How the update cost scales with the number of batched members M, on one device (CPU or GPU).

    python benchmarks/bench_members.py                                  # CPU, M = 1, 10, 50
    python benchmarks/bench_members.py --device cuda --members 1 10 50 100 200

For each setting (Platform: batch 32, [256, 128] leaky ReLU, invert, grad clip 10; CleanRL: batch 256,
256x256 ReLU, identity) it prints milliseconds per update call (which updates all M members), the cost per
member-update, and the aggregate speed-up over M = 1 on the same device: M x t(1) / t(M). The sizes are
interleaved within every repeat and figures are medians. On CUDA every timed block ends with a synchronize.
"""

from __future__ import annotations

import argparse

import torch

# this folder's update benchmark: its interleaved timer and the update under test
from bench_update import measure, ours

SETTINGS = {
    "Platform": dict(batch=32, hidden=[256, 128], activation="leaky_relu", obs=9, act=6, transform="invert"),
    "CleanRL": dict(batch=256, hidden=[256, 256], activation="relu", obs=3, act=1, transform="identity"),
}


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
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    name = torch.cuda.get_device_name(args.device) if args.device.startswith("cuda") else "CPU"
    print(f"device: {args.device} ({name}), torch {torch.__version__}, {args.threads} thread(s)")
    for setting in args.settings:
        cases = {m: ours(m, device=args.device, **SETTINGS[setting]) for m in args.members}  # type: ignore[arg-type]
        sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
        ms = measure(cases, args.calls, args.repeats, sync)
        base = ms[args.members[0]] / args.members[0]
        print(f"\n{setting} settings: ms per call | ms per member-update | speed-up vs M={args.members[0]}")
        for m, t in ms.items():
            print(f"  M={m:<4d} {t:9.3f} | {t / m:8.4f} | {base * m / t:7.1f}x")


if __name__ == "__main__":
    main()
