"""The Python package under the emulated PBS, case by case (tests/python.rs runs each:
`python cases.py CASE [ARGS]`). Each case asserts; a failed assertion exits non-zero.

The harness sets what the package needs: DASK_PBS_BIN (the binary under test), PYTHONPATH
(python/ of the repository), DASK_PBS_QSUB/QSTAT/QDEL (tests/emulated_pbs), XDG_STATE_HOME,
DASK_PBS_E2E_ROOT (the emulation's jobs/), DASK_PBS_TEST_JOB_VENV (the jobs' Dask venv), and
runs from the submit directory.
"""

import asyncio
import glob
import os
import signal
import subprocess
import sys
import tempfile
import time

import dask_pbs
from dask_pbs import DaskPbsError, DaskPbsInputError, DaskPbsTimeoutError, PBSCluster

ROOT = os.environ["DASK_PBS_E2E_ROOT"]
VENV = os.environ["DASK_PBS_TEST_JOB_VENV"]
SMALL = {
    "env.conda": None,
    "dask.workers_per_node": 1,
    "dask.nthreads": 1,
    "dask.memory_limit": "1GB",
    "dask.startup_timeout": 90,
}


def submitted():
    """The jobs the emulated qsub has started."""
    return sorted(os.path.basename(p)[: -len(".pid")] for p in glob.glob(f"{ROOT}/jobs/*.pid"))


def records():
    return glob.glob(os.path.join(os.environ["XDG_STATE_HOME"], "dask-pbs", "clusters", "*.json"))


def refused(kind, call, *needles):
    """`call()` raises `kind` whose message holds every needle; the message."""
    try:
        call()
    except kind as e:
        message = str(e)
        for needle in needles:
            assert needle in message, f"{needle!r} not in {message!r}"
        print(f"refused ({type(e).__name__}): {message}")
        return message
    raise AssertionError(f"{call} did not raise {kind.__name__}")


def script(body):
    """An executable stand-in for a PBS command."""
    fd, path = tempfile.mkstemp(prefix="pbs-", dir=ROOT)
    with os.fdopen(fd, "w") as f:
        f.write(f"#!/bin/sh\n{body}\n")
    os.chmod(path, 0o755)
    return path


def keywords():
    """Keywords become flags (`--NAME=VALUE`: a value may start with `-`) and `set=` values
    YAML that the binary reads as the same values."""
    from dask_pbs import _binary, _keywords

    options = {
        "account": "-x",
        "select": 2,
        "walltime": None,
        "node_type": "a100",
        "set": {"dask.worker_args": ["--a", "b c"], "env.conda": None, "job.name": "x-1", "dask.nthreads": 3},
        "profile_dir": ["/a", "/b"],
        "templates": "/t",
    }
    args = _keywords.flag_args(options)
    assert args == [
        "--account=-x",
        "--select=2",
        "--node-type=a100",
        '--set=dask.worker_args=["--a", "b c"]',
        "--set=env.conda=null",
        '--set=job.name="x-1"',
        "--set=dask.nthreads=3",
        "--profile-dir=/a",
        "--profile-dir=/b",
        "--templates=/t",
    ], args
    explained = _binary.run(
        ["explain", "--profile=pbs-cpu", f"--venv={VENV}", *_keywords.set_args(options["set"])], parse=False
    )
    for line in ('dask.worker_args = ["--a", "b c"]', 'job.name = "x-1"', "dask.nthreads = 3", "env.conda = null"):
        assert line in explained, (line, explained)
    # dask-jobqueue's keywords, as import-jobqueue maps them: 2 workers of 2 threads, 4GB each.
    profile = _keywords.import_jobqueue("pbs-cpu", {"cores": 4, "memory": "8GB", "processes": 2}, {"venv": VENV}, ROOT)
    explained = _binary.run(["explain", f"--profile={profile}"], parse=False)
    for line in ("dask.workers_per_node = 2", "dask.nthreads = 2", 'dask.memory_limit = "4GB"', f'env.venv = "{VENV}"'):
        assert line in explained, (line, explained)


def widget():
    """The widget's rows: the head job and the worker jobs with their PBS states, the job
    directory, adapt, and the charge when the site has a charging rule."""
    from distributed.core import Status

    from dask_pbs.cluster import PBSCluster as Cluster

    cluster = Cluster.__new__(Cluster)
    cluster._setup(False, None, True, False, None)
    cluster.job_id, cluster.job_dir = "7.vm", "/w/dask-pbs.7.vm"
    charge = {"unit": "SU", "so_far": 1.5, "if_held_to_walltime": 64.0, "unknown_use": []}
    cluster._set_report({"state": "R", "worker_jobs": [{"job_id": "8.vm", "state": "Q"}], "charge": [charge]})
    page = cluster._repr_html_()
    cluster.status = Status.closed
    for text in ("7.vm (R)", "8.vm (Q)", "/w/dask-pbs.7.vm", "Adaptive:</strong> no", "1.5 SU so far, 64 if held to walltime"):
        assert text in page, (text, page)


def bad_input():
    """Each mistake raises dask-pbs's own message, and nothing is submitted or recorded."""
    keywords()
    widget()
    before = submitted()

    def cluster(**options):
        options["set"] = {**SMALL, **options.get("set", {})}
        return lambda: PBSCluster("pbs-cpu", venv=VENV, **options)

    refused(DaskPbsInputError, cluster(acount="P"), "unexpected argument '--acount'", "'--account'")
    refused(DaskPbsInputError, cluster(queue="nope"), "no queue `nope`", "queues: workq")
    bad = os.path.join(ROOT, "typo.yaml")
    with open(bad, "w") as f:
        f.write("extends: pbs-cpu\ndask:\n  nthread: 4\n")
    refused(DaskPbsInputError, lambda: PBSCluster(bad, venv=VENV), "typo.yaml", "nthread", "nthreads")
    refused(DaskPbsInputError, cluster(set={"dask.nthreads": float("nan")}), "cannot be a profile value")
    refused(DaskPbsInputError, cluster(cores=4, memory="8GB", job_cpu=2), "job_cpu=", "job.resources")
    refused(DaskPbsInputError, cluster(security=True), "security=", "certificates")
    # qsub refuses the job (an unknown queue on the server), then PBS cannot be reached.
    os.environ["DASK_PBS_QSUB"] = script("echo 'qsub: Unknown queue' >&2; exit 170")
    refused(DaskPbsError, cluster(), "refused", "exit 170", "qsub: Unknown queue")
    os.environ["DASK_PBS_QSUB"] = script(
        "echo 'Connection refused' >&2; echo 'qsub: cannot connect to server vm (errno=15010)' >&2; exit 1"
    )
    refused(DaskPbsError, cluster(), "cannot connect to server vm")
    assert submitted() == before, f"submitted: {submitted()} (before: {before})"
    assert not records(), records()


def start_failures():
    """A cluster that is not ready in time, and one whose job fails: each raises, naming the
    job's state and logs, and the job has ended (nothing left in the queue)."""
    # A set-up step that takes 30 s: the job cannot be ready before the timeout.
    slow = {**SMALL, "env.setup": ["sleep 30"]}
    message = refused(
        DaskPbsTimeoutError,
        lambda: PBSCluster("pbs-cpu", venv=VENV, set=slow, timeout=2, quiet=True),
        "gave up after 2",
        "is running (PBS state R), its scheduler not up yet",
        "/logs/",
    )
    first = dask_pbs.list_clusters()[0]
    assert first["state"] is None and first["ended"], first
    assert first["job_id"] in message
    bad = {**SMALL, "dask.scheduler_args": ["--no-such-option"]}
    refused(
        DaskPbsError,
        lambda: PBSCluster("pbs-cpu", venv=VENV, set=bad, quiet=True),
        "ended before its cluster was ready",
        "status=1",
        "/logs/",
    )
    assert all(c["state"] is None for c in dask_pbs.list_clusters())
    print(f"jobs: {len(submitted())} submitted, all ended")


def interrupted_and_forgotten():
    """A wait interrupted (Jupyter's stop button: KeyboardInterrupt) stops the job; a Python
    process that ends without close() stops its cluster (shutdown_on_close)."""
    import _thread
    import threading

    threading.Timer(3, _thread.interrupt_main).start()
    # A set-up step that takes 30 s: the job cannot be ready before the interrupt.
    slow = {**SMALL, "env.setup": ["sleep 30"]}
    try:
        PBSCluster("pbs-cpu", venv=VENV, set=slow, quiet=True)
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the interrupt did not reach PBSCluster()")
    first = dask_pbs.list_clusters()[0]
    assert first["state"] is None, f"the interrupted job runs on: {first}"
    code = (
        "import os, sys; from dask_pbs import PBSCluster; "
        f"c = PBSCluster('pbs-cpu', venv={VENV!r}, set={SMALL!r}, quiet=True); print(c.job_id)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    job_id = out.split()[-1]
    report = [c for c in dask_pbs.list_clusters() if c["job_id"] == job_id][0]
    assert report["state"] is None and report["ended"], f"the cluster outlived its Python process: {report}"
    print(f"jobs: {len(submitted())} submitted, all ended")


def connect(job_id):
    """A cluster from `dask-pbs submit`: attached by name and by id, computes, takes a worker
    job of another kind (mixed workers), and outlives an attached object's close() unless
    told otherwise."""
    from dask.distributed import Client, get_worker

    cluster = dask_pbs.connect("dask", quiet=True)
    assert cluster.job_id == job_id and cluster.scheduler_address.startswith("tls://")
    with Client(cluster) as client:
        assert client.submit(lambda x: x * 2, 21).result() == 42
        cluster.scale(jobs=1, profile="pbs-cpu", venv=VENV, set=SMALL, resources={"IO": 1})
        client.wait_for_workers(2, timeout=120)
        name = client.submit(lambda: get_worker().name, resources={"IO": 1}, pure=False).result()
        io_job = cluster.worker_jobs[0]["job_id"]
        assert name.startswith(f"w{io_job.split('.')[0]}-"), (name, io_job)
        # The head job's profile counts its own worker jobs only: none.
        cluster.scale(jobs=0)
        assert [j["job_id"] for j in cluster.worker_jobs] == [io_job], cluster.worker_jobs
    cluster.close()
    report = dask_pbs.list_clusters()[0]
    assert report["state"] == "R", f"close() of an attached cluster stopped it: {report}"
    again = dask_pbs.connect(job_id.split(".")[0], shutdown_on_close=True, quiet=True)
    with again:
        assert len(again.scheduler_info["workers"]) == 2, again.scheduler_info
    report = dask_pbs.list_clusters()[0]
    assert report["state"] is None and report["ended"], report
    assert all(j["state"] is None for j in report["worker_jobs"]), report
    refused(DaskPbsError, lambda: dask_pbs.connect(job_id), f"cluster {job_id} has ended", "dask-pbs stop")
    print(f"jobs: {len(submitted())} submitted, all ended")


def adapt_child(job_id):
    """Runs in a process of its own: attaches, starts adapt, says the adapt pid, then waits to
    be killed."""
    cluster = dask_pbs.connect(job_id, quiet=True)
    adaptive = cluster.adapt(minimum_jobs=0, maximum_jobs=1, interval=1)
    print(adaptive.proc.pid, flush=True)
    time.sleep(600)


def adapt_ends_with_its_process(job_id):
    """The `dask-pbs adapt` of a Python process that is killed (SIGKILL: no atexit, no
    close()) stops by itself: nothing goes on submitting jobs."""
    child = subprocess.Popen([sys.executable, __file__, "adapt_child", job_id], stdout=subprocess.PIPE, text=True)
    pid = int(child.stdout.readline())
    assert alive(pid), "adapt did not start"
    child.send_signal(signal.SIGKILL)
    child.wait()
    deadline = time.monotonic() + 15
    while alive(pid):
        assert time.monotonic() < deadline, f"dask-pbs adapt (pid {pid}) outlived its Python process"
        time.sleep(0.1)
    print(f"adapt (pid {pid}) ended {15 - (deadline - time.monotonic()):.1f} s after its Python process")


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(") ", 1)[1][0] not in "ZX"
    except OSError:
        return False


def labextension():
    """dask-labextension's cluster manager creates, scales, adapts and closes a dask-pbs
    cluster through its `labextension.factory` configuration (asynchronous=True)."""
    import dask
    from dask_labextension.manager import DaskClusterManager

    # A site of one's own: a profile file, not a built-in name.
    site = os.path.join(ROOT, "mysite.yaml")
    with open(site, "w") as f:
        f.write(
            "extends: pbs-cpu\nenv:\n  conda: null\n"
            "dask:\n  workers_per_node: 1\n  nthreads: 1\n  memory_limit: 1GB\n  startup_timeout: 90\n"
        )
    config = {
        "labextension": {
            "initial": [],
            "default": {"workers": None, "adapt": None},
            "factory": {
                "module": "dask_pbs",
                "class": "PBSCluster",
                "args": [site],
                "kwargs": {"venv": VENV, "quiet": True},
            },
        }
    }

    async def run():
        with dask.config.set(config):
            async with DaskClusterManager() as manager:
                model = await manager.start_cluster()
                assert model["workers"] == 1 and model["scheduler_address"].startswith("tls://"), model
                assert model["name"] == "PBSCluster 1", model
                model = await manager.scale_cluster(model["id"], 2)
                cluster = manager._clusters[model["id"]]
                assert len(cluster.worker_jobs) == 1, cluster.worker_jobs
                model = manager.adapt_cluster(model["id"], 1, 3)
                assert model["adapt"] == {"minimum": 1, "maximum": 3}, model
                await manager.close_cluster(model["id"])
                assert cluster.status.name == "closed"

    asyncio.run(run())
    report = dask_pbs.list_clusters()[0]
    assert report["state"] is None and report["ended"], report
    assert all(j["state"] is None for j in report["worker_jobs"]), report
    print(f"jobs: {len(submitted())} submitted, all ended")


if __name__ == "__main__":
    globals()[sys.argv[1]](*sys.argv[2:])
