"""The GPU run's Python check (issue 27.6): `PBSCluster("sophia", ...)` from Python on the GPU
machine, under the emulated PBS (tests/emulated_pbs), `Client(cluster)` over TLS, a CuPy
computation on every worker, each on a GPU of its own, then `close()`: every job ended.

Run by tests/gpu/notebook.sh (sourced by run_gpu_e2e.sh), which sets the emulation's variables.
Usage: python notebook.py VENV GPUS DRY   (DRY=1: CPU workers of pbs-cpu stand in, no CuPy)
"""

import sys
import time

import dask_pbs
from dask.distributed import Client
from dask_pbs import PBSCluster


def on_gpu(dry, dask_worker=None):
    """The worker's GPU and a sum computed on it (DRY: no GPU, a NumPy sum); `client.run`
    passes the worker as `dask_worker`."""
    if dry:
        import numpy

        return dask_worker.name, "cpu", float(numpy.arange(1_000_000, dtype="float64").sum())
    import cupy

    x = cupy.arange(1_000_000, dtype=cupy.float64)
    props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
    # The GPU's PCI address: each worker sees its own GPU as device 0.
    where = f"{props['pciDomainID']:04x}:{props['pciBusID']:02x}:{props['pciDeviceID']:02x} {props['name'].decode()}"
    return dask_worker.name, where, float(x.sum())


def main():
    venv, gpus, dry = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
    settings = {"env.modules": [], "env.venv": venv, "dask.startup_timeout": 60}
    if dry:
        settings.update({"env.conda": None, "dask.workers_per_node": gpus, "dask.nthreads": 1, "dask.memory_limit": "2GB"})
        profile, options = "pbs-cpu", {}
    else:
        profile, options = "sophia", {"account": "demo", "select": gpus}
    start = time.perf_counter()
    cluster = PBSCluster(profile, set=settings, timeout=120, **options)
    client = Client(cluster)
    connected = time.perf_counter() - start
    assert cluster.scheduler_address.startswith("tls://"), cluster.scheduler_address
    results = client.run(on_gpu, dry)
    print(f"notebook: {cluster.job_id}: Client connected {connected:.2f} s after PBSCluster(); workers say:")
    for address, (name, uuid, total) in sorted(results.items()):
        print(f"    {name} ({address}): GPU {uuid}, sum {total:.0f}")
    problems = []
    if len(results) != gpus:
        problems.append(f"{len(results)} workers, want {gpus}")
    if any(total != 499999500000 for _, _, total in results.values()):
        problems.append("a wrong sum")
    if not dry and len({uuid for _, uuid, _ in results.values()}) != gpus:
        problems.append("two workers on one GPU")
    client.close()
    cluster.close()
    report = [c for c in dask_pbs.list_clusters() if c["job_id"] == cluster.job_id][0]
    if report["state"] is not None or not report["ended"]:
        problems.append(f"the head job did not end: {report}")
    print(f"notebook: closed: {report['ended']}")
    if problems:
        print("notebook: FAIL: " + "; ".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
