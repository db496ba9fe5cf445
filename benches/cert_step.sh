#!/usr/bin/env bash
# The certificate step of a `dask.security: tls` job, alone: the job's own
# dask_pbs_certificates_openssl function (taken from a rendered job script) run RUNS times
# into a fresh directory; prints each run's seconds and the median. The issue's bound is 0.3 s.
#
# Usage: benches/cert_step.sh [RUNS] [JOB_SCRIPT]   (default: 9 runs, pbs-cpu's job rendered
#        with this checkout's dask-pbs)
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1
runs=${1:-9}
work=$(mktemp -d /tmp/dask-pbs-cert.XXXXXX)
trap 'rm -rf "$work"' EXIT
job=${2:-}
if [[ -z $job ]]; then
  job=$work/job.sh
  cargo run -q -- gen job --profile pbs-cpu >"$job"
fi
sed -n '/^dask_pbs_certificates_openssl() {/,/^}/p' "$job" >"$work/functions.sh"
[[ -s $work/functions.sh ]] || { echo "no dask_pbs_certificates_openssl in $job" >&2; exit 1; }
# shellcheck disable=SC1091
source "$work/functions.sh"
times=()
for ((i = 0; i < runs; i++)); do
  dir=$work/run.$i
  mkdir "$dir"
  start=${EPOCHREALTIME//[.,]/}
  (umask 077 && dask_pbs_certificates_openssl "$dir") >/dev/null 2>&1 || { echo "run $i failed" >&2; exit 1; }
  end=${EPOCHREALTIME//[.,]/}
  us=$((end - start))
  times+=("$us")
  printf 'run %d: %d.%03d s\n' "$i" $((us / 1000000)) $(((us / 1000) % 1000))
done
mapfile -t sorted < <(printf '%s\n' "${times[@]}" | sort -n)
median=${sorted[$((runs / 2))]}
printf 'median of %d: %d.%03d s (%s)\n' "$runs" $((median / 1000000)) $(((median / 1000) % 1000)) "$(openssl version)"
