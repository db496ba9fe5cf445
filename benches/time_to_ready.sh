#!/usr/bin/env bash
# Time to ready: seconds from job start until all K workers are registered with the
# scheduler, side by side for
#   floor      a bare `dask scheduler` + `dask worker --nworkers K` started by hand
#   job        the job dask-pbs renders (pbs-cpu profile) under the PBS emulation, with
#              `dask.security: none`, so that it does the same work as the floor; one host,
#              so it starts its ranks itself (`dask.launch: auto`)
#   job+TLS    the same with the default `dask.security: tls` (per-job certificates, mutual
#              TLS): the TLS cost is job+TLS - job
#   job+mpi    the same as job with `dask.launch: mpi`: the ranks start through mpiexec; the
#              launcher's cost is job+mpi - job
#   guide      the ALCF guide's dask_start.sh verbatim, CPU variant (`dask worker` in place of
#              `dask cuda worker`, and `--device-memory-limit 40GB`, which `dask worker`
#              refuses, dropped; nothing else changed)
# All are timed the same way: an outside poller reads the scheduler's worker count
# (GET /json/counts.json) every 20 ms. Median of RUNS (default 3), K = 2 and 4.
# Then time to exit: seconds from the end of a payload (which connects, computes and closes
# its client), or from a client's shutdown() of a held cluster, until the job has exited —
# every second of it is charged to the allocation.
#
# Usage: benches/time_to_ready.sh [RUNS]    (needs .e2e/venv from tests/run.sh, mpiexec)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
runs=${1:-3}
venv=${DASK_PBS_E2E_VENV:-$PWD/.e2e/venv}
[[ -x $venv/bin/dask ]] || { echo "no Dask venv at $venv: run tests/run.sh first" >&2; exit 1; }
command -v mpiexec >/dev/null || { echo "mpiexec not found: run tests/run.sh first" >&2; exit 1; }
cargo build --release -q || exit 1
# Release binaries live under target/<host tuple>/ (.cargo/config.toml says why).
dask_pbs=$PWD/target/$(rustc --print host-tuple)/release/dask-pbs
host=$(hostname)
work=$(mktemp -d /tmp/dask-pbs-bench.XXXXXX)
# Only the main shell cleans up (the measuring functions run in $(...) subshells).
main_pid=$BASHPID
trap '[[ $BASHPID == "$main_pid" ]] && rm -rf "$work"' EXIT

# The environment a PBS job gets (see tests/e2e_support): clean, PBS_* set, OpenMPI allowed
# to run as root and to oversubscribe this 2-core machine.
pbs_env=(env -i HOME="$work/home" USER=bench LANG=C.UTF-8 PATH="/usr/local/bin:/usr/bin:/bin"
  PBS_JOBID=0.bench PBS_JOBNAME=dask PBS_O_WORKDIR="$work/submit" PBS_ENVIRONMENT=PBS_BATCH
  PBS_NODEFILE="$work/nodefile" OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  OMPI_MCA_rmaps_base_oversubscribe=1)

now_us() { echo "${EPOCHREALTIME//./}"; }

# Waits until the scheduler behind FILE has K workers; prints seconds since T0.
wait_ready() { # FILE K T0
  local file=$1 k=$2 t0=$3 port="" host_ip="" count=-1 text reply deadline=$((SECONDS + 120))
  while (( count < k )); do
    (( SECONDS < deadline )) || { echo "timeout"; return 1; }
    sleep 0.02
    if [[ -z $port ]]; then
      [[ -s $file ]] || continue
      text=$(<"$file")
      [[ $text =~ \"address\":\ *\"[a-z]+://([^:\"]+): ]] && host_ip=${BASH_REMATCH[1]}
      [[ $text =~ \"dashboard\":\ *([0-9]+) ]] && port=${BASH_REMATCH[1]}
      continue
    fi
    reply=""
    # A redirection on a group fails the group only; on `exec` it would end the script.
    { printf 'GET /json/counts.json HTTP/1.0\r\n\r\n' >&3; IFS= read -r -d '' -t 5 reply <&3; } 2>/dev/null 3<>"/dev/tcp/$host_ip/$port"
    [[ $reply =~ \"workers\":\ *([0-9]+) ]] && count=${BASH_REMATCH[1]}
  done
  local t1
  t1=$(now_us)
  printf '%d.%02d\n' $(((t1 - t0) / 1000000)) $((((t1 - t0) / 10000) % 100))
}

# Stops a process group: TERM (the generated job then stops its cluster itself), up to
# 30 s to finish, then KILL for anything left (the guide's script has no cleanup).
stop_group() {
  local waited=0
  kill -TERM -- "-$1" 2>/dev/null
  while kill -0 -- "-$1" 2>/dev/null && (( waited < 300 )); do
    sleep 0.1
    waited=$((waited + 1))
  done
  kill -KILL -- "-$1" 2>/dev/null
  wait "$1" 2>/dev/null
  # The guide's scheduler is started with nohup and survives; it holds port 8786.
  pkill -KILL -f "$work/" 2>/dev/null
  sleep 0.5
}

fresh() {
  rm -rf "${work:?}/home" "${work:?}/submit" "${work:?}/floor"
  mkdir -p "$work/home" "$work/submit" "$work/floor"
  echo "$host" >"$work/nodefile"
}

floor() { # K
  fresh
  local t0 pid
  t0=$(now_us)
  setsid bash -c "'$venv/bin/dask' scheduler --scheduler-file '$work/floor/s.json' --port 0 --dashboard-address :0 >/dev/null 2>&1 &
    exec '$venv/bin/dask' worker --scheduler-file '$work/floor/s.json' --nworkers $1 --nthreads 1 --memory-limit 1GB >/dev/null 2>&1" &
  pid=$!
  wait_ready "$work/floor/s.json" "$1" "$t0"
  stop_group "$pid"
}

generated() { # K [--set KEY=VALUE ...]
  fresh
  "$dask_pbs" gen job --profile pbs-cpu --set env.conda=null --set "env.venv=$venv" \
    --set "dask.workers_per_node=$1" --set dask.nthreads=1 --set dask.memory_limit=1GB "${@:2}" \
    -o "$work/home/job.sh" --force 2>/dev/null
  local t0 pid
  t0=$(now_us)
  # setsid makes the job a session of its own, so stop_group reaches all it started.
  # shellcheck disable=SC2016  # $HOME expands in the job's environment, not here
  setsid "${pbs_env[@]}" bash -c 'cd "$HOME" && exec bash job.sh' </dev/null >/dev/null 2>&1 &
  pid=$!
  wait_ready "$work/submit/dask-pbs.0.bench/scheduler.json" "$1" "$t0"
  stop_group "$pid"
}

# A payload that computes, closes its client and notes when it ended (µs since the epoch).
payload='python -c "import os, time; from distributed import Client
c = Client(scheduler_file=os.environ[\"DASK_SCHEDULER_FILE\"]); c.submit(sum, [1, 2]).result(); c.close()
open(\"payload_end\", \"w\").write(str(time.time_ns() // 1000))"'
# The same from outside, on a held cluster: shutdown() and when it was called.
shutdown='import os, sys, time; from distributed import Client
c = Client(scheduler_file=sys.argv[1]); c.submit(sum, [1, 2]).result()
open(sys.argv[2], "w").write(str(time.time_ns() // 1000)); c.shutdown()'

# Seconds from the payload's end (or a client's shutdown) to the job's exit.
exited() { # K hold|payload [--set KEY=VALUE ...]
  fresh
  local run=(--run "$payload") t1 pid
  [[ $2 == hold ]] && run=()
  "$dask_pbs" gen job --profile pbs-cpu --set env.conda=null --set "env.venv=$venv" \
    --set "dask.workers_per_node=$1" --set dask.nthreads=1 --set dask.memory_limit=1GB "${run[@]}" "${@:3}" \
    -o "$work/home/job.sh" --force 2>/dev/null
  # shellcheck disable=SC2016  # $HOME expands in the job's environment, not here
  setsid "${pbs_env[@]}" bash -c 'cd "$HOME" && exec bash job.sh' </dev/null >/dev/null 2>&1 &
  pid=$!
  if [[ $2 == hold ]]; then
    until [[ -e $work/submit/dask-pbs.0.bench/ready ]]; do sleep 0.05; done
    # The job's own client configuration (TLS when it is on), as a user's session would.
    DASK_CONFIG=$work/submit/dask-pbs.0.bench/dask-config "$venv/bin/python" -c "$shutdown" \
      "$work/submit/dask-pbs.0.bench/scheduler.json" "$work/submit/payload_end" 2>/dev/null
  fi
  wait "$pid"
  t1=$(now_us)
  local t0
  t0=$(<"$work/submit/payload_end") || { echo "no end"; return 1; }
  printf '%d.%02d\n' $(((t1 - t0) / 1000000)) $((((t1 - t0) / 10000) % 100))
}

guide() { # K
  fresh
  # The ALCF guide's dask_start.sh (benches/guide_dask_start.sh, from argonne-lcf/user-guides
  # docs/sophia/data-science/dask.md), with `dask cuda worker` -> `dask worker`
  # and the one GPU-only flag, which `dask worker` refuses, dropped.
  sed 's/dask cuda worker/dask worker/; /--device-memory-limit 40GB/d' benches/guide_dask_start.sh >"$work/home/dask_start.sh"
  chmod +x "$work/home/dask_start.sh"
  local t0 pid
  t0=$(now_us)
  # shellcheck disable=SC2016  # $HOME and $1 expand in the job's shell
  setsid "${pbs_env[@]}" PATH="$venv/bin:/usr/local/bin:/usr/bin:/bin" bash -c 'cd "$HOME" && exec ./dask_start.sh "$1"' guide "$1" </dev/null >/dev/null 2>&1 &
  pid=$!
  wait_ready "$work/home/scheduler.json" "$1" "$t0"
  stop_group "$pid"
}

median() {
  sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

delta() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.2f", a - b }'; }

echo "time to ready (s), median of $runs; CPU workers on $(nproc) cores; $("$venv/bin/dask" --version 2>/dev/null | head -1)"
echo "floor: bare scheduler + dask worker; job: generated, security none, ranks started by the job;"
echo "job+TLS: security tls (default); job+mpi: security none, ranks through mpiexec; guide: its dask_start.sh"
row='%-3s  %-6s  %-6s  %-11s  %-7s  %-8s  %-7s  %-8s  %-6s  %-11s\n'
# shellcheck disable=SC2059  # the format is the row above
printf "$row" K floor job "job - floor" job+TLS "TLS cost" job+mpi "mpi cost" guide "guide / job"
for k in 2 4; do
  f=() g=() t=() m=() u=()
  for ((r = 0; r < runs; r++)); do
    f+=("$(floor "$k")")
    g+=("$(generated "$k" --set dask.security=none)")
    t+=("$(generated "$k")")
    m+=("$(generated "$k" --set dask.security=none --set dask.launch=mpi)")
    u+=("$(guide "$k")")
  done
  mf=$(printf '%s\n' "${f[@]}" | median)
  mg=$(printf '%s\n' "${g[@]}" | median)
  mt=$(printf '%s\n' "${t[@]}" | median)
  mm=$(printf '%s\n' "${m[@]}" | median)
  mu=$(printf '%s\n' "${u[@]}" | median)
  # shellcheck disable=SC2059  # the format is the row above
  printf "$row" "$k" "$mf" "$mg" "$(delta "$mg" "$mf")" "$mt" "$(delta "$mt" "$mg")" "$mm" "$(delta "$mm" "$mg")" \
    "$mu" "$(awk -v a="$mu" -v b="$mg" 'BEGIN { printf "%.1fx", a / b }')"
done

echo
echo "time to exit (s), median of $runs: from the payload's end, or a client's shutdown(), to the job's exit"
row2='%-3s  %-13s  %-13s  %-14s  %-14s\n'
# shellcheck disable=SC2059  # the format is the row above
printf "$row2" K payload payload+TLS shutdown shutdown+TLS
for k in 2 4; do
  a=() b=() c=() d=()
  for ((r = 0; r < runs; r++)); do
    a+=("$(exited "$k" payload --set dask.security=none)")
    b+=("$(exited "$k" payload)")
    c+=("$(exited "$k" hold --set dask.security=none)")
    d+=("$(exited "$k" hold)")
  done
  # shellcheck disable=SC2059  # the format is the row above
  printf "$row2" "$k" "$(printf '%s\n' "${a[@]}" | median)" "$(printf '%s\n' "${b[@]}" | median)" \
    "$(printf '%s\n' "${c[@]}" | median)" "$(printf '%s\n' "${d[@]}" | median)"
done
