# shellcheck shell=bash disable=SC2154  # variables and helpers of run_gpu_e2e.sh, which sources this
# Sourced by tests/gpu/run_gpu_e2e.sh after its timed rounds (issue 15.3, the GPU side): a
# sophia head job whose GPU workers have the resource GPU=1, and a CPU worker job (pbs-cpu,
# `gen workers --join`) whose worker has IO=1, both under the PBS emulation. A client routes
# a task that computes on the GPU with CuPy (resources={'GPU': 1}) and one that must not see
# a GPU (resources={'IO': 1}); each must run on the right workers. Then the client shuts the
# cluster down: both jobs exit 0 and leave nothing running. DRY: the GPU task skips CuPy.
# Uses run_gpu_e2e.sh's say, make_pbs_env, pbs_env, venv, dask_pbs, gpus, host, work, dry.

# Waits up to $3 s for file $1 to contain $2.
mixed_wait_for() {
  local deadline=$((SECONDS + $3))
  until grep -q -- "$2" "$1" 2>/dev/null; do
    (( SECONDS < deadline )) || return 1
    sleep 0.2
  done
}

mixed_run() {
  local dir=$work/jobs/mixed head_id="$RANDOM$RANDOM.gpu-pbs" io_id="$RANDOM$RANDOM.gpu-pbs"
  local head_pid io_pid head_status io_status out problems=() i
  mkdir -p "$dir/home" "$dir/submit" "$dir/tmp"
  for ((i = 0; i < gpus; i++)); do echo "$host"; done >"$dir/nodefile"
  # security none on both: a worker job must use its head job's dask.security.
  local common=(--account demo --set 'env.modules=[]' --set "env.venv=$venv" --set dask.startup_timeout=60
    --set dask.security=none)
  local head_sets=(--set 'dask.resources={GPU: 1}')
  (( dry )) && head_sets+=(--set dask.worker=cpu --set dask.device_memory_limit=null --set dask.workers_per=node
    --set "dask.workers_per_node=$gpus" --set dask.nthreads=1 --set dask.memory_limit=2GB)
  if ! "$dask_pbs" gen job --profile sophia --select "$gpus" "${common[@]}" "${head_sets[@]}" \
    -o "$dir/submit/head.sh" 2>"$dir/gen.err"; then
    say "  FAIL mixed: dask-pbs gen job: $(<"$dir/gen.err")"
    return 1
  fi
  make_pbs_env "$dir" "$head_id"
  (cd "$dir/home" && exec timeout -k 10 240 "${pbs_env[@]}" bash "$dir/submit/head.sh" </dev/null >"$dir/head.o" 2>"$dir/head.e") &
  head_pid=$!
  if ! mixed_wait_for "$dir/head.o" "ready:" 90; then
    problems+=("the head job did not become ready")
  elif ! "$dask_pbs" gen workers --profile pbs-cpu --join "$dir/submit/dask-pbs.$head_id" "${common[@]}" \
    --set 'dask.resources={IO: 1}' --set dask.workers_per_node=1 --set dask.nthreads=1 \
    --set dask.memory_limit=2GB -o "$dir/submit/io.sh" 2>"$dir/gen.err"; then
    problems+=("dask-pbs gen workers: $(<"$dir/gen.err")")
  else
    make_pbs_env "$dir" "$io_id"
    # A CPU node: PBS gives it no GPU.
    (cd "$dir/home" && exec timeout -k 10 180 "${pbs_env[@]}" CUDA_VISIBLE_DEVICES= bash "$dir/submit/io.sh" </dev/null >"$dir/io.o" 2>"$dir/io.e") &
    io_pid=$!
    if ! mixed_wait_for "$dir/io.o" "joined:" 90; then
      problems+=("the CPU worker job did not join")
    else
      out=$("$venv/bin/python" - "$dir/submit/dask-pbs.$head_id/scheduler.json" "$dry" 2>&1 <<'PY'
import os, sys
from dask.distributed import Client, get_worker

def on_gpu(dry):
    name = get_worker().name
    if dry:
        return name, "dry"
    import cupy
    x = cupy.arange(1_000_000, dtype=cupy.float64)
    dev = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)["name"].decode()
    return name, f"{float(x.sum()):.0f} on {dev}"

def on_io():
    return get_worker().name, os.environ.get("CUDA_VISIBLE_DEVICES", "")

c = Client(scheduler_file=sys.argv[1], timeout=30)
print("GPU", *c.submit(on_gpu, sys.argv[2] == "1", resources={"GPU": 1}, pure=False).result())
print("IO", *c.submit(on_io, resources={"IO": 1}, pure=False).result())
c.shutdown()
PY
)
      local prefix="w${io_id%%.*}-" gpu_worker io_worker
      gpu_worker=$(awk '$1 == "GPU" { print $2 }' <<<"$out")
      io_worker=$(awk '$1 == "IO" { print $2 }' <<<"$out")
      [[ -n $gpu_worker && $gpu_worker != "$prefix"* ]] || problems+=("the GPU task ran on '${gpu_worker:-none}', not a head job worker")
      [[ $io_worker == "$prefix"* ]] || problems+=("the IO task ran on '${io_worker:-none}', not the CPU job's worker")
      (( dry )) || grep -q '^GPU .* 499999500000 on ' <<<"$out" || problems+=("the GPU task did not compute on a GPU")
      say "mixed: client said: $(tr '\n' ';' <<<"$out")"
    fi
  fi
  # Without the client's shutdown the jobs would hold until their timeout: qdel them.
  (( ${#problems[@]} == 0 )) || kill -TERM "$head_pid" ${io_pid:+"$io_pid"} 2>/dev/null
  wait "$head_pid"
  head_status=$?
  [[ -n ${io_pid:-} ]] && { wait "$io_pid"; io_status=$?; }
  (( head_status == 0 )) || problems+=("head job exit $head_status")
  [[ -z ${io_pid:-} ]] || (( io_status == 0 )) || problems+=("CPU worker job exit $io_status")
  sleep 0.5
  local left
  left=$(pgrep -f "$dir/" | wc -l)
  (( left == 0 )) || problems+=("$left process(es) left")
  if (( ${#problems[@]} )); then
    say "  FAIL mixed: ${problems[*]}"
    tail -n 20 "$dir/head.o" "$dir/head.e" "$dir"/io.o "$dir"/io.e 2>/dev/null | sed 's/^/    /'
    pkill -KILL -f "$dir/" 2>/dev/null
    return 1
  fi
  say "mixed: GPU head job + CPU worker job: tasks routed by resources, both jobs exit 0, nothing left"
}
