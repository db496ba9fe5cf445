#!/usr/bin/env bash
# The benchmark report: every number of docs/development.md's "Command speed" table, side by
# side in one run. Prints tables; asserts nothing (benchmarks are not tests).
#
# Usage: benches/report.sh [RUNS]   (after tests/run.sh; installs dask-jobqueue into
#                                    .e2e/bench-venv on first use; needs hyperfine, GNU time)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
runs=${1:-3}
cargo build --release -q || exit 1
# Release binaries live under target/<host tuple>/ (.cargo/config.toml says why).
bin=$PWD/target/$(rustc --print host-tuple)/release/dask-pbs
work=$(mktemp -d /tmp/dask-pbs-report.XXXXXX)
main_pid=$BASHPID
trap '[[ $BASHPID == "$main_pid" ]] && rm -rf "$work"' EXIT

bench_venv=.e2e/bench-venv
if [[ ! -x $bench_venv/bin/python ]]; then
  python3 -m venv "$bench_venv" && "$bench_venv/bin/pip" install -q --disable-pip-version-check 'dask-jobqueue==0.9.0' || exit 1
fi

echo "## 1. CLI latency: one job script for sophia, 2 GPUs, account X, 01:00:00"
"$bin" gen --profile sophia --account X >"$work/job.sh"
cat >"$work/jobqueue.py" <<'PY'
from dask_jobqueue import PBSCluster
cluster = PBSCluster(queue="by-gpu", account="X", walltime="01:00:00", cores=1, memory="40GB",
                     resource_spec="select=2", job_extra_directives=["-l filesystems=home:eagle", "-k doe"])
print(cluster.job_script())
PY
# Medians (the mean of a process this short is pulled by the odd slow start); -N: no shell.
hyperfine --runs 200 --warmup 20 -N --export-json "$work/latency.json" \
  -n "dask-pbs gen" "$bin gen --profile sophia --account X" \
  -n "cat (floor)" "cat $work/job.sh" >/dev/null 2>&1 || exit 1
hyperfine --runs 5 --warmup 1 -N --export-json "$work/jobqueue.json" \
  -n "dask-jobqueue job_script()" "$bench_venv/bin/python $work/jobqueue.py" >/dev/null 2>&1 || exit 1
python3 - "$work/latency.json" "$work/jobqueue.json" <<'PY'
import json, sys
rows = [r for f in sys.argv[1:] for r in json.load(open(f))["results"]]
ms = {r["command"]: r["median"] * 1e3 for r in rows}
print(f"| {'command':<28} | {'median ms':>9} | {'mean ms':>8} | {'min ms':>7} | {'max ms':>7} | runs |")
print(f"|{'-' * 30}|{'-' * 10}:|{'-' * 9}:|{'-' * 8}:|{'-' * 8}:|-----:|")
for r in rows:
    print(f"| {r['command']:<28} | {r['median'] * 1e3:>9.2f} | {r['mean'] * 1e3:>8.2f} | "
          f"{r['min'] * 1e3:>7.2f} | {r['max'] * 1e3:>7.2f} | {len(r['times']):>4} |")
gen, cat, jq = ms["dask-pbs gen"], ms["cat (floor)"], ms["dask-jobqueue job_script()"]
print(f"dask-jobqueue / dask-pbs: {jq / gen:.0f}x (target >= 100x)   "
      f"dask-pbs / cat: {gen / cat:.2f}x (target <= 2x), on medians")
PY

echo
echo "## 2. Throughput"
builtins=(sophia sophia-node polaris derecho casper pbs-cpu)
mkdir -p "$work/all"
for p in "${builtins[@]}"; do
  "$bin" gen all --profile "$p" -A X --out-dir "$work/all/$p" >/dev/null 2>&1 || exit 1
done
# The same 36 artifacts rendered and compared in one process: `verify` over six profiles that
# are the built-ins under another name.
mkdir -p "$work/builtins"
for p in "${builtins[@]}"; do
  printf 'description: built-in %s\nextends: %s\njob: {account: X}\n' "$p" "$p" >"$work/builtins/my-$p.yaml"
done
"$bin" verify "$work/builtins" --update >/dev/null || exit 1
hyperfine --runs 20 --warmup 2 -N --export-json "$work/throughput.json" \
  -n "gen all, sophia (6 files, fsynced)" "$bin gen all --profile sophia -A X --out-dir $work/all/sophia --force" \
  -n "verify, the 6 built-ins (36 artifacts)" "$bin verify $work/builtins" >/dev/null 2>&1 || exit 1
python3 - "$work/throughput.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"{r['command']}: {r['median'] * 1e3:.1f} ms (median of {len(r['times'])}, one process)")
PY
mkdir -p "$work/verify"
for i in $(seq 1 1000); do
  sites=(sophia polaris derecho casper pbs-cpu)
  printf 'description: site %d\nextends: %s\njob: {account: P%d, select: 1}\n' "$i" "${sites[i % 5]}" "$i" >"$work/verify/site$i.yaml"
done
"$bin" verify "$work/verify" --update >/dev/null || exit 1
/usr/bin/time -f "verify, 1000 profiles (6 artifacts each): %e s, peak RSS %M KiB" "$bin" verify "$work/verify"

echo
echo "## 3. The job's own logic before mpiexec, PBS_NODEFILE over 560 hosts (Polaris)"
"$bin" gen --profile polaris -A X >"$work/polaris.sh"
# The job's function definitions without its main flow, then only its preparation step.
sed '/^dask_pbs_log "job /,$d' "$work/polaris.sh" >"$work/functions.sh"
printf '%-8s %-10s\n' lines "ms (median of $runs)"
for lines in 10 100 1000 10000; do
  awk -v n="$lines" 'BEGIN { for (i = 0; i < n; i++) printf "x%04d.polaris.alcf.anl.gov\n", i % 560 }' >"$work/nodefile"
  times=()
  for ((r = 0; r < runs; r++)); do
    rm -rf "$work/submit" && mkdir -p "$work/submit"
    ms=$(PBS_NODEFILE="$work/nodefile" PBS_JOBID="$r.bench" PBS_O_WORKDIR="$work/submit" bash -c "
      source '$work/functions.sh'
      t0=\${EPOCHREALTIME//./}
      dask_pbs_prepare >/dev/null
      t1=\${EPOCHREALTIME//./}
      echo \$(( (t1 - t0) / 1000 ))" 2>/dev/null)
    times+=("$ms")
  done
  printf '%-8s %-10s\n' "$lines" "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")"
done

echo
echo "## 4. Memory"
/usr/bin/time -f "gen: peak RSS %M KiB" "$bin" gen --profile sophia -A X >/dev/null

echo
echo "## 5. Time to ready"
benches/time_to_ready.sh "$runs"
