"""dask-pbs: render PBS Pro job scripts that start Dask and RAPIDS clusters, and drive those
clusters from Python.

The package carries the `dask-pbs` executable (installed into the environment's `bin/`);
`python -m dask_pbs ARGS` runs it too. From Python (a notebook):

    from dask_pbs import PBSCluster
    from dask.distributed import Client

    cluster = PBSCluster("sophia", account="MyProj", env="~/envs/rapids", walltime="01:00:00")
    client = Client(cluster)

`PBSCluster` imports Dask's `distributed` when first used: `import dask_pbs` alone stays fast.
"""

from dask_pbs._binary import DaskPbsError, DaskPbsInputError, DaskPbsTimeoutError, DaskPbsWarning

__all__ = [
    "PBSCluster",
    "connect",
    "list_clusters",
    "DaskPbsError",
    "DaskPbsInputError",
    "DaskPbsTimeoutError",
    "DaskPbsWarning",
]


def __getattr__(name):
    if name == "PBSCluster":
        try:
            from dask_pbs.cluster import PBSCluster
        except ModuleNotFoundError as e:
            if e.name not in ("dask", "distributed"):
                raise
            raise ImportError(
                f"dask_pbs.PBSCluster needs Dask's distributed ({e}): pip install 'dask[distributed]'"
            ) from e
        return PBSCluster
    raise AttributeError(f"module 'dask_pbs' has no attribute {name!r}")


def list_clusters():
    """Your recorded clusters, as `dask-pbs status --json` shows them: a list of dicts with
    `job_id`, `name`, `state` (PBS's letter, None once PBS no longer knows the job), `ended`,
    `scheduler`, `dashboard`, `workers`, `worker_jobs`, ..."""
    from dask_pbs._binary import run

    return run(["status", "--json"])


def connect(name_or_job_id, *, timeout=None, shutdown_on_close=False, asynchronous=False, loop=None, quiet=False):
    """A `PBSCluster` for a cluster started with `dask-pbs submit` (or by another Python
    session): `name_or_job_id` is its head job's id (`1234.server` or `1234`) or its job name.
    Waits until it is ready (`timeout` seconds at most); `close()` stops it only with
    `shutdown_on_close=True`."""
    from dask_pbs._binary import run
    from dask_pbs.cluster import PBSCluster

    report = run(["status", str(name_or_job_id), "--json"])[0]
    if report.get("over") or report.get("ended"):
        why = report.get("ended_by") or report.get("ended") or "PBS no longer runs its head job"
        raise DaskPbsError(f"cluster {report['job_id']} has ended ({why}): nothing to connect to")
    return PBSCluster.attach(
        report["job_id"],
        timeout=timeout,
        shutdown_on_close=shutdown_on_close,
        asynchronous=asynchronous,
        loop=loop,
        quiet=quiet,
    )
