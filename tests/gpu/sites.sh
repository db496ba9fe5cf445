# shellcheck shell=bash disable=SC2154  # variables and helpers of run_gpu_e2e.sh, which sources this
# Sourced by tests/gpu/run_gpu_e2e.sh after its timed rounds (issue 14's done-when, the GPU
# side): a built-in site other than sophia brings up exactly the GPU workers it asks for.
# `gadi-gpu -A a00 -n 2` asks Gadi's gpuvolta queue for ngpus=2 with ncpus=24 (job-wide, no
# select) and must start 2 `dask cuda worker`s on 2 distinct GPUs, spilling into $PBS_JOBFS
# (which PBS sets on Gadi; here the job's own tmp). Its payload is the `client` artifact.
# Uses run_gpu_e2e.sh's say, make_pbs_env, pbs_env, venv, dask_pbs, host, work, dry, label.

site_gpu_run() { # NAME PROFILE GPUS GEN-ARGS...
  local name=$1 profile=$2 want=$3
  shift 3
  local dir=$work/jobs/$name id="$RANDOM$RANDOM.gpu-pbs" status problems=() i
  mkdir -p "$dir/home" "$dir/submit" "$dir/tmp" "$dir/jobfs"
  # gpuvolta's chunks are GPUs, all on this host: PBS writes the host once per chunk.
  for ((i = 0; i < want; i++)); do echo "$host"; done >"$dir/nodefile"
  local sets=(--set 'env.modules=[]' --set "env.venv=$venv" --set dask.startup_timeout=60)
  (( dry )) && sets+=(--set dask.worker=cpu --set dask.device_memory_limit=null --set dask.workers_per=node
    --set "dask.workers_per_node=$want" --set dask.nthreads=1 --set dask.memory_limit=2GB)
  if ! "$dask_pbs" gen job --profile "$profile" "$@" "${sets[@]}" \
    --run "python3 $dir/submit/dask_client.py" -o "$dir/submit/job.sh" 2>"$dir/gen.err" ||
    ! "$dask_pbs" gen client --profile "$profile" "$@" "${sets[@]}" \
      -o "$dir/submit/dask_client.py" 2>>"$dir/gen.err"; then
    say "  FAIL $name: dask-pbs gen: $(<"$dir/gen.err")"
    return 1
  fi
  make_pbs_env "$dir" "$id"
  (cd "$dir/home" && exec timeout -k 10 120 "${pbs_env[@]}" PBS_JOBFS="$dir/jobfs" bash "$dir/submit/job.sh" </dev/null >"$dir/job.o" 2>"$dir/job.e")
  status=$?
  local directives uuids distinct spilled left
  directives=$(grep '^#PBS' "$dir/submit/job.sh" | tr '\n' ' ')
  uuids=$(grep -c -- "^Worker .* - $label: [0-9A-Za-z-]" "$dir/job.o")
  distinct=$(grep -- "^Worker .* - $label: [0-9A-Za-z-]" "$dir/job.o" | sed "s/.* - $label: //" | sort -u | grep -vc '^None$')
  spilled=$(grep -h 'Local Directory:' "$dir"/submit/dask-pbs.*/logs/worker.*.log 2>/dev/null | grep -c -- "$dir/jobfs")
  sleep 0.5
  left=$(pgrep -f "$dir/" | wc -l)
  (( status == 0 )) || problems+=("exit $status")
  (( uuids == want )) || problems+=("$uuids worker lines, want $want")
  (( distinct == want )) || problems+=("$distinct distinct GPU UUIDs, want $want")
  (( spilled == want )) || problems+=("$spilled workers spill into \$PBS_JOBFS, want $want")
  (( left == 0 )) || problems+=("$left process(es) left")
  say "$name: $directives-> exit $status, $distinct/$want distinct GPUs, $spilled spilling into \$PBS_JOBFS, $left left"
  if (( ${#problems[@]} )); then
    say "  FAIL $name: ${problems[*]}"
    tail -n 25 "$dir/job.o" "$dir/job.e" | sed 's/^/    /'
    pkill -KILL -f "$dir/" 2>/dev/null
    return 1
  fi
}
