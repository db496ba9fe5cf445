#!/usr/bin/env bash
# The Python package's two speed targets (issue 27.7), measured; prints numbers, asserts
# nothing:
#   1. `import dask_pbs`: milliseconds inside Python (median of 30 fresh interpreters), and
#      that it did not import Dask's distributed; `from dask_pbs import PBSCluster` (which
#      does) beside it;
#   2. `PBSCluster("pbs-cpu", ...)` until `Client(cluster)` has connected, against the head
#      job's own time to ready (its "ready: K of K workers in X s", from the job script's
#      start), under the emulated PBS of the tests (tests/emulated_pbs: qsub starts the job at
#      once): the package's cost is the difference (submit, the wait's lag, the TLS connect).
#      The driver has imported dask.distributed and dask_pbs before the clock starts, as a
#      notebook has.
#
# Usage: benches/notebook.sh [RUNS]   (after tests/run.sh: .e2e/venv for the jobs,
#                                      .e2e/notebook-venv for the driver, mpiexec)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
repo=$PWD
runs=${1:-3}
venv=${DASK_PBS_E2E_VENV:-$repo/.e2e/venv}
driver=${DASK_PBS_E2E_NOTEBOOK_VENV:-$repo/.e2e/notebook-venv}/bin/python
[[ -x $venv/bin/dask ]] || { echo "no Dask venv at $venv: run tests/run.sh first" >&2; exit 1; }
[[ -x $driver ]] || { echo "no notebook venv ($driver): run tests/run.sh first" >&2; exit 1; }
if [[ -z ${DASK_PBS_BIN:-} ]]; then
  cargo build --release -q || exit 1
  # Release binaries live under target/<host tuple>/ (.cargo/config.toml says why).
  DASK_PBS_BIN=$repo/target/$(rustc --print host-tuple)/release/dask-pbs
fi
export DASK_PBS_BIN PYTHONPATH=$repo/python
work=$(mktemp -d /tmp/dask-pbs-notebook-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

median() {
  sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# --- 1. Import time.
import_ms() { # STATEMENT
  "$driver" -c "import sys, time
t = time.perf_counter()
$1
ms = (time.perf_counter() - t) * 1000
print(f'{ms:.1f}', 'distributed' in sys.modules)"
}
light=() heavy=() loaded=no
for ((i = 0; i < 30; i++)); do
  read -r ms dist < <(import_ms "import dask_pbs")
  light+=("$ms")
  [[ $dist == True ]] && loaded=yes
done
for ((i = 0; i < 5; i++)); do
  read -r ms _ < <(import_ms "from dask_pbs import PBSCluster")
  heavy+=("$ms")
done
echo "## import (median, ms; $("$driver" --version))"
echo "import dask_pbs: $(printf '%s\n' "${light[@]}" | median) ms (30 runs; distributed imported: $loaded)"
echo "from dask_pbs import PBSCluster (imports distributed): $(printf '%s\n' "${heavy[@]}" | median) ms (5 runs)"

# --- 2. PBSCluster(...) to Client connected, against the job's own time to ready.
cat >"$work/drive.py" <<'PY'
import os, sys, time
from dask.distributed import Client
import dask_pbs
from dask_pbs import PBSCluster

small = {"env.conda": None, "dask.workers_per_node": int(sys.argv[1]), "dask.nthreads": 1,
         "dask.memory_limit": "1GB", "dask.startup_timeout": 120}
t0 = time.perf_counter()
cluster = PBSCluster("pbs-cpu", venv=os.environ["JOB_VENV"], set=small, quiet=True)
t_ready = time.perf_counter()
client = Client(cluster)
t_client = time.perf_counter()
print(cluster.job_id, f"{t_ready - t0:.3f}", f"{t_client - t0:.3f}", flush=True)
client.close()
cluster.close()
PY

one_run() { # K
  local root=$work/run
  rm -rf "$root"
  mkdir -p "$root/home" "$root/submit" "$root/stubs" "$root/state"
  printf '#!/bin/sh\n' >"$root/stubs/module"
  chmod +x "$root/stubs/module"
  for ((i = 0; i < $1; i++)); do hostname; done >"$root/nodefile"
  local out id cluster_s client_s ready
  out=$(cd "$root/submit" && env HOME="$root/home" JOB_VENV="$venv" XDG_STATE_HOME="$root/state" \
    DASK_PBS_QSUB="$repo/tests/emulated_pbs/qsub" DASK_PBS_QSTAT="$repo/tests/emulated_pbs/qstat" \
    DASK_PBS_QDEL="$repo/tests/emulated_pbs/qdel" DASK_PBS_E2E_ROOT="$root" DASK_PBS_E2E_TAG="bench-notebook-$$" \
    "$driver" "$work/drive.py" "$1" 2>"$root/driver.err") || { echo "failed: $(tail -n 5 "$root/driver.err")" >&2; return 1; }
  read -r id cluster_s client_s <<<"$out"
  ready=$(sed -n 's/.*ready: .* workers in \([0-9.]*\) s.*/\1/p' "$root/jobs/$id.o" | head -n 1)
  echo "$ready $cluster_s $client_s"
}

echo
echo "## PBSCluster(...) -> Client connected vs the job's own time to ready (s; emulated PBS, $(nproc) cores)"
printf '%-3s %-14s %-20s %-22s %-18s\n' K "job ready" "PBSCluster returned" "Client(cluster) done" "client - ready"
for k in 1 2; do
  r=() c=() l=() d=()
  for ((i = 0; i < runs; i++)); do
    read -r ready cluster_s client_s < <(one_run "$k") || continue
    r+=("$ready") c+=("$cluster_s") l+=("$client_s")
    d+=("$(awk -v a="$client_s" -v b="$ready" 'BEGIN { printf "%.3f", a - b }')")
  done
  (( ${#r[@]} )) || continue
  printf '%-3s %-14s %-20s %-22s %-18s\n' "$k" "$(printf '%s\n' "${r[@]}" | median)" \
    "$(printf '%s\n' "${c[@]}" | median)" "$(printf '%s\n' "${l[@]}" | median)" "$(printf '%s\n' "${d[@]}" | median)"
  echo "    runs (client - ready): ${d[*]}"
done
