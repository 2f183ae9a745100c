#!/usr/bin/env bash
# On a machine with a CUDA GPU, from the repository root (the test install done): the GPU tests, then the
# batched-members benchmark, eager against the update replayed from CUDA graphs. Prints everything; exits
# non-zero if a test fails (the benchmark still runs, so its figures are not lost).
set -uo pipefail
export WANDB_MODE=disabled WANDB_ERROR_REPORTING=false
python -c "import torch; print(torch.__version__, torch.cuda.get_device_name(0))" || exit 2
python -m pytest -q tests/test_cuda.py tests/test_cuda_graph.py; status=$?
(cd benchmarks && python bench_members.py --device cuda --graph --members 1 10 50 100 200 --repeats 3)
exit $status
