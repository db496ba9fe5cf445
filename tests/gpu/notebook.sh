# shellcheck shell=bash disable=SC2154  # variables and helpers of run_gpu_e2e.sh, which sources this
# Sourced by tests/gpu/run_gpu_e2e.sh after its timed rounds (issue 27.6, the GPU side): the
# Python package's PBSCluster("sophia", ...) on the GPU machine (tests/gpu/notebook.py), its
# jobs submitted through the emulated PBS of the tests (tests/emulated_pbs: qsub runs the job
# at once, in a clean environment, plus what this machine's jobs need: DASK_PBS_E2E_PASS). The
# client computes with CuPy on every worker, each on a GPU of its own, then closes the cluster:
# every job must have ended and nothing be left running. DRY: pbs-cpu's CPU workers, no CuPy.
# Uses run_gpu_e2e.sh's say, venv, dask_pbs, gpus, host, work, dry, root.

notebook_run() {
  local dir=$work/jobs/notebook status left
  mkdir -p "$dir/home" "$dir/submit" "$dir/state" "$dir/stubs"
  # Sophia's by-gpu chunks are all on this host: PBS writes it once per chunk.
  for ((i = 0; i < gpus; i++)); do echo "$host"; done >"$dir/nodefile"
  printf '#!/bin/sh\n' >"$dir/stubs/module"
  chmod +x "$dir/stubs/module"
  (
    cd "$dir/submit" || exit 1
    export HOME=$dir/home XDG_STATE_HOME=$dir/state XDG_CONFIG_HOME=$dir/config
    export DASK_PBS_BIN=$dask_pbs PYTHONPATH=$root/python
    export DASK_PBS_QSUB=$root/tests/emulated_pbs/qsub DASK_PBS_QSTAT=$root/tests/emulated_pbs/qstat
    export DASK_PBS_QDEL=$root/tests/emulated_pbs/qdel DASK_PBS_E2E_ROOT=$dir DASK_PBS_E2E_TAG=gpu-notebook
    # What make_pbs_env gives the timed jobs beyond the emulation's clean environment.
    export OPAL_PREFIX=$venv NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1 PRTE_MCA_ras=^pbs
    export DASK_PBS_E2E_PASS="LD_LIBRARY_PATH CUDA_HOME CUDA_PATH OPAL_PREFIX NCCL_NVLS_ENABLE TORCH_SYMM_MEM_DISABLE_MULTICAST NVSHMEM_DISABLE_NVLS PRTE_MCA_ras"
    exec timeout -k 10 300 "$venv/bin/python" "$root/tests/gpu/notebook.py" "$venv" "$gpus" "$dry"
  ) >"$dir/notebook.log" 2>&1
  status=$?
  sed 's/^/    /' "$dir/notebook.log" | grep -v '^    \s*$' | tail -n 20
  sleep 0.5
  left=$(pgrep -f "$dir/" | wc -l)
  if (( status != 0 || left != 0 )); then
    say "  FAIL notebook: exit $status, $left process(es) left"
    local log
    for log in "$dir"/jobs/*.o "$dir"/jobs/*.e "$dir"/submit/dask-pbs.*/logs/*.log; do
      [[ -s $log ]] && tail -n 15 "$log" | sed "s|^|    ${log##*/}: |"
    done
    pkill -KILL -f "$dir/" 2>/dev/null
    return 1
  fi
  say "notebook: PBSCluster($([[ $dry == 1 ]] && echo pbs-cpu || echo sophia)) from Python: Client over TLS, computed on $gpus GPU worker(s), closed, every job ended, nothing left"
}
