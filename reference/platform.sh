#!/usr/bin/env bash
# The released code of MP-DQN (Bester, James & Konidaris 2019, github.com/cycraig/MP-DQN) on Platform,
# unchanged and with every published default: its MP-DQN, its P-DQN or its PA-DDPG, in its own virtual
# environment apart from bounded_ddpg (nothing of it is a dependency of the project or copied into it); then
# its outputs as run directories that the report tables as "<agent>, reference code run here" beside our
# rows (docs/results.md).
#
#   reference/platform.sh ALGO WORKDIR OUT SEED [SEED ...] [-- EXTRA ARGS FOR THE RUN SCRIPT]
#
# ALGO: mpdqn (run_platform_pdqn.py as published: --multipass True), pdqn (the same script with
# --multipass False) or paddpg (run_platform_paddpg.py). WORKDIR receives MP-DQN/ and gym-platform/ (git
# clones at the commits below, unless copies are there already; MPDQN_URL and PLATFORM_URL may name local
# mirrors), venv/ and the code's outputs (out/<TITLE>/: PDDQN, PDQN or PADDPG).
# Seeds run one after another, one torch thread each (MP-DQN: 30-38 minutes per seed on one core of our
# machine); a seed whose outputs exist is not run again, so the same command continues after an
# interruption (the code keeps no checkpoint: a seed cut off starts again).
# Each finished seed is converted with `python -m bounded_ddpg.report.reference` (run with the python
# on PATH, which must have bounded_ddpg installed) into OUT/seed<S>/reference/, e.g.
#   reference/platform.sh mpdqn ~/ref results/mpdqn_platform_reference/invert 2 3 4
# Extra arguments after `--` go to the run script (e.g. `-- --episodes 50` for a smoke test; the run is
# then no longer the published protocol: do not convert it into results/).
set -euo pipefail
if [ $# -lt 4 ]; then
    sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
MPDQN_URL=${MPDQN_URL:-https://github.com/cycraig/MP-DQN}
MPDQN_COMMIT=eec13eb9b4e2c0099649e0639f2a8b93d7d0d5be
PLATFORM_URL=${PLATFORM_URL:-https://github.com/cycraig/gym-platform}
PLATFORM_COMMIT=e9329879dbb62badbbef89648162c97ba1e4d837
algo=$1 work=$2 out=$3
shift 3
# per ALGO: the run script, its arguments beyond the seed and the output directory, the output prefix, and
# the agent the report names the runs after
case $algo in
    mpdqn) script=run_platform_pdqn.py args=(--visualise False) title=PDDQN agent=mpdqn ;;
    pdqn) script=run_platform_pdqn.py args=(--multipass False --title PDQN --visualise False) title=PDQN
          agent=pdqn ;;
    paddpg) script=run_platform_paddpg.py args=() title=PADDPG agent=ddpg ;;
    *) echo "error: ALGO '$algo' is not one of mpdqn, pdqn, paddpg" >&2; exit 2 ;;
esac
seeds=() extra=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    [[ $1 =~ ^[0-9]+$ ]] || { echo "error: seed '$1' is not a non-negative integer" >&2; exit 2; }
    seeds+=("$1"); shift
done
[ $# -gt 0 ] && shift && extra=("$@")
[ ${#seeds[@]} -gt 0 ] || { echo "error: no seed given" >&2; exit 2; }
work=$(mkdir -p "$work" && cd "$work" && pwd)

checkout() {  # url commit dir: a clone at that commit (an existing clone must be at it)
    if [ ! -d "$3" ]; then
        git clone -q "$1" "$3" && git -C "$3" checkout -q "$2"
    fi
    local head
    head=$(git -C "$3" rev-parse HEAD)
    [ "$head" = "$2" ] || { echo "error: $3 is at $head, not $2" >&2; exit 2; }
}
checkout "$MPDQN_URL" "$MPDQN_COMMIT" "$work/MP-DQN"
checkout "$PLATFORM_URL" "$PLATFORM_COMMIT" "$work/gym-platform"
if [ ! -x "$work/venv/bin/python" ]; then
    # The code needs gym 0.10.5 (Platform's spaces and Monitor) and numpy < 2; torch as ours.
    "${PYTHON:-python3}" -m venv "$work/venv"
    "$work/venv/bin/pip" install -q "numpy==1.26.4" torch==2.13.0 click "gym==0.10.5" pygame \
        "setuptools>=77.0.3,<81"
    "$work/venv/bin/pip" install -q -e "$work/gym-platform"
fi
command="python $script --seed {seed}${args[*]+ ${args[*]}} --save-dir out"
command+=" (gym-platform ${PLATFORM_COMMIT:0:7}, OMP_NUM_THREADS=1)"
for seed in "${seeds[@]}"; do
    if [ ! -f "$work/out/$title/$title${seed}e.npy" ]; then
        rm -rf "${work:?}/out/$title/$seed"  # an interrupted seed's partial Monitor files
        echo "seed $seed: running $algo of MP-DQN's code ($(date -u +%H:%M) UTC)" >&2
        (cd "$work/MP-DQN" && OMP_NUM_THREADS=1 "$work/venv/bin/python" "$script" --seed "$seed" \
            ${args[@]+"${args[@]}"} --save-dir "$work/out" ${extra[@]+"${extra[@]}"})
    fi
    python -m bounded_ddpg.report.reference "$work/out" --title "$title" --seeds "$seed" --agent "$agent" \
        --code cycraig/MP-DQN --commit "${MPDQN_COMMIT:0:7}" --command "$command" --out "$out"
done
