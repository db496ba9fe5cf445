"""`PBSCluster`: a Dask cluster whose scheduler runs in a PBS job, driven from Python.

The `dask-pbs` executable does the work: `submit --json` renders and submits the head job,
`wait --json` follows it until its expected workers are in, `scale`, `adapt` and `stop` change
and end it. This module turns their JSON into a `distributed.deploy.Cluster`: `Client(cluster)`
connects over the job's own TLS certificates, and the widget, `scheduler_info`,
`wait_for_workers` and `get_logs` work as for Dask's other clusters.
"""

from __future__ import annotations

import asyncio
import atexit
import html
import json
import os
import subprocess
import threading
import time
import warnings

from dask.utils import parse_timedelta
from distributed.core import Status, rpc
from distributed.deploy.cluster import Cluster
from distributed.security import Security
from distributed.utils import Log, Logs

from dask_pbs import _binary, _keywords
from dask_pbs._adapt import Adaptation
from dask_pbs._binary import DaskPbsError, DaskPbsInputError, DaskPbsTimeoutError
from dask_pbs._progress import Progress

#: Clusters to stop when Python exits (`shutdown_on_close`), held until closed.
_TO_CLOSE: set = set()
_TO_CLOSE_LOCK = threading.Lock()


class PBSCluster(Cluster):
    """A Dask cluster in PBS jobs: the scheduler and the first workers in a head job, more
    workers in worker jobs (`scale`, `adapt`). Private: only this user's certificates connect.

    `profile` is a profile name (`dask-pbs profiles list`) or a profile file. The other keywords
    are `dask-pbs submit`'s flags with `_` for `-`: `account`, `queue`, `select`, `node_type`,
    `walltime`, `name`, `env`, `venv`, `profile_dir`, `templates`, and `set={"dask.nthreads": 4}`
    for `--set dask.nthreads=4` (values as Python objects: lists, numbers, None for null).
    dask-jobqueue's `cores=`, `memory=`, `processes=`, ... are mapped as `dask-pbs
    import-jobqueue` maps them, or refused with the reason.

    `timeout`: seconds to wait for the head job to be ready (None: as long as PBS queues it);
    when it expires, or the wait is interrupted, the job is stopped and an error names its state
    and its logs. `shutdown_on_close`: `close()`, the end of a `with` block and the end of the
    Python process stop the cluster's jobs (`connect()` leaves them by default). `n_workers`:
    `scale(n_workers)` once the head job is ready.
    """

    def __init__(
        self,
        profile=None,
        *,
        timeout=None,
        shutdown_on_close=True,
        n_workers=None,
        asynchronous=False,
        loop=None,
        quiet=False,
        **options,
    ):
        self._setup(asynchronous, loop, quiet, shutdown_on_close, timeout)
        # Anything refused here (keywords, an import) is refused before anything is submitted.
        self._submit_args = _keywords.submit_args(profile, options, workdir=os.getcwd())
        self._n_workers = n_workers
        if not self.asynchronous:
            self._start_sync()

    @classmethod
    def attach(cls, job_id, *, timeout=None, shutdown_on_close=False, asynchronous=False, loop=None, quiet=False):
        """The cluster of head job `job_id` (as `dask-pbs submit` printed it), once it is ready."""
        self = cls.__new__(cls)
        self._setup(asynchronous, loop, quiet, shutdown_on_close, timeout)
        self.job_id = job_id
        self.name = job_id
        if not self.asynchronous:
            self._start_sync()
        return self

    def _setup(self, asynchronous, loop, quiet, shutdown_on_close, timeout):
        super().__init__(asynchronous=asynchronous, loop=loop, quiet=quiet)
        self.shutdown_on_close = shutdown_on_close
        self.timeout = None if timeout is None else parse_timedelta(timeout, default="s")
        self.security = Security()
        self.job_id = None
        self.job_dir = None
        self._submit_args = None
        self._n_workers = None
        self._report = {}
        self._report_time = 0.0
        self._refreshing = False
        self._adaptive = None
        self._stopped = None

    # --- Start: submit, wait until ready, connect.

    def _start_sync(self):
        self._loop_runner.start()
        try:
            self._submit()
            progress = Progress(self.job_id, self.quiet)
            command = self._wait_command()
            proc = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            last = None
            try:
                for line in proc.stdout:
                    last = json.loads(line)
                    progress.event(last)
                stderr = proc.stderr.read()
                code = proc.wait()
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            self._ready(command, last, code, stderr, progress)
            self.sync(self._connect)
            if self._n_workers:
                self.scale(self._n_workers)
        except BaseException as e:
            self._abandon(e)
            self._loop_runner.stop()
            raise

    def __await__(self):
        return self._start_async().__await__()

    async def _start_async(self):
        if self.status != Status.created:
            return self
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, self._submit)
            progress = Progress(self.job_id, self.quiet)
            command = self._wait_command()
            proc = await asyncio.create_subprocess_exec(
                *command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            last = None
            try:
                async for line in proc.stdout:
                    last = json.loads(line)
                    progress.event(last)
                stderr = (await proc.stderr.read()).decode()
                code = await proc.wait()
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
            self._ready(command, last, code, stderr, progress)
            await self._connect()
            if self._n_workers:
                await self._scale(self._scale_args(self._n_workers, None, None, {}))
        except BaseException as e:
            await loop.run_in_executor(None, self._abandon, e)
            raise
        return self

    def _submit(self):
        """`dask-pbs submit --json` (nothing for a cluster that is attached)."""
        if self._submit_args is None:
            return
        info = _binary.run(self._submit_args)
        self.job_id = info["job_id"]
        self.job_dir = info["job_dir"]
        self.name = self.job_id
        if self.shutdown_on_close:
            with _TO_CLOSE_LOCK:
                _TO_CLOSE.add(self)
        self._note(f"submitted {self.job_id} (profile {info['profile']}); its logs: {info['logs']}")

    def _wait_command(self):
        command = [_binary.find_binary(), "wait", self.job_id, "--json"]
        if self.timeout is not None:
            command.append(f"--timeout={self.timeout}")
        return command

    def _ready(self, command, last, code, stderr, progress):
        """The outcome of `dask-pbs wait --json`: the cluster's report, or the error."""
        if code == 0 and last and last.get("event") == "ready":
            self._set_report(last["cluster"])
            self.job_dir = self._report["job_dir"]
            workers = last.get("workers", self._report.get("workers"))
            progress.done(f"is ready: {workers} workers, dashboard {self._report.get('dashboard')}", last["seconds"])
            self._note(f"ready after {last['seconds']} s: {workers} workers")
            return
        kind = last.get("event") if last else None
        progress.done(f"did not start ({kind or 'error'})")
        error = _binary.error(command, code, stderr)
        if kind == "timeout":
            error = DaskPbsTimeoutError(str(error), exit_code=code, command=command)
        raise error

    async def _connect(self):
        """The scheduler connection (with the job's certificates) and Dask's cluster machinery."""
        report = self._report
        address = report.get("scheduler")
        if not address:
            raise DaskPbsError(f"the head job {self.job_id} reported no scheduler address")
        self.security = security_of(report)
        self.scheduler_comm = rpc(address, connection_args=self.security.get_connection_args("client"))
        await super()._start()
        if self.shutdown_on_close:
            with _TO_CLOSE_LOCK:
                _TO_CLOSE.add(self)

    def _abandon(self, why):
        """After a failed start: ends the job if one was submitted, so nothing is left behind."""
        self.status = Status.closed
        if self.job_id is None or self._submit_args is None:
            return
        try:
            self._stopped = _binary.run(["stop", self.job_id, "--json"])
            self._note(f"stopped {self.job_id} after a failed start: {why!r}")
        except DaskPbsError as e:
            warnings.warn(
                f"dask-pbs: the head job {self.job_id} could not be stopped ({e}): `dask-pbs stop {self.job_id}`",
                _binary.DaskPbsWarning,
                stacklevel=3,
            )
        with _TO_CLOSE_LOCK:
            _TO_CLOSE.discard(self)

    def _note(self, text):
        """A line for `get_logs()['Cluster']` (the progress display shows the user)."""
        import datetime

        self._cluster_manager_logs.append((datetime.datetime.now(), text))

    # --- What the cluster reports: `dask-pbs status --json`.

    def _set_report(self, report):
        self._report = report
        self._report_time = time.monotonic()

    def refresh(self):
        """This cluster's entry of `dask-pbs status --json`, read now."""
        self._set_report(_binary.run(["status", self.job_id, "--json"])[0])
        return self._report

    def _refresh_in_background(self, max_age=5.0):
        """Keeps the widget's job list fresh without blocking the event loop."""
        if self._refreshing or self.job_id is None or time.monotonic() - self._report_time < max_age:
            return

        def refresh():
            try:
                self.refresh()
            except DaskPbsError:
                pass
            finally:
                self._refreshing = False

        self._refreshing = True
        threading.Thread(target=refresh, daemon=True).start()

    @property
    def worker_jobs(self):
        """The worker jobs as last reported: id, PBS state and the names of their workers."""
        return list(self._report.get("worker_jobs", []))

    @property
    def dashboard_link(self):
        return super().dashboard_link or self._report.get("dashboard") or ""

    # --- Scale, adapt, close.

    def scale(self, n=None, jobs=None, memory=None, cores=None, *, profile=None, resources=None, **options):
        """Grow or shrink the cluster with worker jobs, as `dask-pbs scale` does: to `n`
        workers in all (the head job's and whole worker jobs'), or to `jobs` worker jobs.

        With `profile` (and that profile's keywords, as for PBSCluster), the worker jobs of
        that profile are scaled on their own: mixed workers, e.g.
        `cluster.scale(jobs=1, profile="pbs-cpu", resources={"IO": 1})`.
        """
        if memory is not None or cores is not None:
            raise DaskPbsInputError(
                "scale() counts workers (scale(n)) or worker jobs (scale(jobs=k)); memory= and cores= "
                "are dask-jobqueue's: a worker's size is its profile's (dask.nthreads, dask.memory_limit)"
            )
        if resources is not None:
            options["set"] = {**(options.get("set") or {}), "dask.resources": resources}
        args = self._scale_args(n, jobs, profile, options)
        return self.sync(self._scale, args)

    def _scale_args(self, n, jobs, profile, options):
        if (n is None) == (jobs is None):
            raise DaskPbsInputError("scale() takes n (workers) or jobs= (worker jobs), one of the two")
        target = f"--workers={int(n)}" if n is not None else f"--jobs={int(jobs)}"
        # Without a profile, dask-pbs refuses the overrides itself (they need --profile).
        extra = _keywords.profile_args(profile, options, workdir=os.getcwd()) if profile else _keywords.flag_args(options)
        return ["scale", self.job_id, target, "--json", *extra]

    async def _scale(self, args):
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(None, _binary.run, args)
        self._note(f"scale: added {result['added']}, removed {result['removed']}")
        await loop.run_in_executor(None, self.refresh)
        return None

    def adapt(self, minimum=None, maximum=None, *, minimum_jobs=None, maximum_jobs=None, interval="10s", **kwargs):
        """Follow the scheduler's adaptive target with worker jobs of the head job's profile:
        between `minimum` and `maximum` workers (whole jobs, beyond the head job's), or between
        `minimum_jobs` and `maximum_jobs` worker jobs. It runs as `dask-pbs adapt`, a child
        process that ends with this object (`close()`, `adapt()` again, `stop()` on what this
        returns) or with this Python process, whatever ends it.
        """
        if kwargs:
            raise DaskPbsInputError(
                f"adapt() takes minimum, maximum (workers), minimum_jobs, maximum_jobs and interval; "
                f"not {', '.join(sorted(kwargs))} (dask-pbs follows the scheduler's own adaptive target)"
            )
        by_jobs = minimum_jobs is not None or maximum_jobs is not None
        if by_jobs and (minimum is not None or maximum is not None):
            raise DaskPbsInputError("adapt() takes workers (minimum, maximum) or jobs (minimum_jobs, maximum_jobs), not both")
        low, high = (minimum_jobs, maximum_jobs) if by_jobs else (minimum, maximum)
        if high is None:
            raise DaskPbsInputError(
                "adapt() needs maximum= (workers) or maximum_jobs=: the most worker jobs it may submit"
            )
        if self._adaptive is not None:
            self._adaptive.stop()
        seconds = max(1, round(parse_timedelta(interval, default="s")))
        args = ["adapt", self.job_id, f"--min={int(low or 0)}", f"--max={int(high)}", f"--interval={seconds}"]
        if not by_jobs:
            args.append("--workers")
        self._adaptive = Adaptation(self, args + ["--stop-on-eof"], low or 0, high, by_jobs)
        return self._adaptive

    async def _close(self):
        if self.status == Status.closed:
            return
        loop = asyncio.get_running_loop()
        if self._adaptive is not None:
            await loop.run_in_executor(None, self._adaptive.stop)
        await super()._close()
        if self.shutdown_on_close and self.job_id and self._stopped is None:
            self._stopped = await loop.run_in_executor(None, _binary.run, ["stop", self.job_id, "--json"])
            self._note(f"stopped: {self._stopped}")
        with _TO_CLOSE_LOCK:
            _TO_CLOSE.discard(self)

    def close(self, timeout=None):
        result = super().close(timeout)
        if not self.asynchronous:
            self._loop_runner.stop()
        return result

    def _close_at_exit(self):
        """At the end of the Python process: stop the adapt child and the jobs, without the
        event loop (it may be gone)."""
        if self._adaptive is not None:
            self._adaptive.stop()
        if self.status != Status.closed and self.shutdown_on_close and self._stopped is None:
            try:
                self._stopped = _binary.run(["stop", self.job_id, "--json"])
            except DaskPbsError as e:
                print(f"dask-pbs: could not stop cluster {self.job_id}: {e}", flush=True)
        self.status = Status.closed

    # --- Logs and display.

    async def _get_logs(self, cluster=True, scheduler=True, workers=True):
        """Dask's logs (the cluster manager's, and the scheduler's and workers' while they run)
        and, with `cluster`, the job directories' log files, each under `JOBID/FILE`."""
        try:
            logs = await super()._get_logs(cluster=cluster, scheduler=scheduler, workers=workers)
        except Exception:  # the scheduler has gone: its files remain
            logs = Logs()
            if cluster:
                logs["Cluster"] = Log("\n".join(line[1] for line in self._cluster_manager_logs))
        if cluster:
            loop = asyncio.get_running_loop()
            logs.update(await loop.run_in_executor(None, self._job_logs))
        return logs

    def _job_logs(self):
        try:
            report = self.refresh()
        except DaskPbsError:
            report = self._report
        dirs = [(report.get("job_id"), report.get("logs"))]
        dirs += [(w.get("job_id"), w.get("logs")) for w in report.get("worker_jobs", [])]
        found = {}
        for job, folder in dirs:
            if not folder or not os.path.isdir(folder):
                continue
            for name in sorted(os.listdir(folder)):
                path = os.path.join(folder, name)
                if os.path.isfile(path):
                    with open(path, errors="replace") as f:
                        found[f"{job}/{name}"] = Log(f.read())
        return found

    def _repr_html_(self, cluster_status=None):
        self._refresh_in_background()
        report = self._report
        jobs = ", ".join(
            f"{html.escape(str(w.get('job_id')))} ({html.escape(str(w.get('state') or 'ended'))})"
            for w in report.get("worker_jobs", [])
        )
        adapt = self._adaptive.describe() if self._adaptive is not None else "no"
        rows = [
            ("Head job", f"{html.escape(str(self.job_id))} ({html.escape(str(report.get('state') or 'ended'))})"),
            ("Worker jobs", jobs or "none"),
            ("Job directory", html.escape(str(self.job_dir))),
            ("Adaptive", html.escape(adapt)),
        ]
        charges = [
            f"{c['so_far']:.4g} {c['unit']} so far, {c['if_held_to_walltime']:.4g} if held to walltime"
            for c in report.get("charge") or []
        ]
        if charges:
            rows.append(("Charge", html.escape("; ".join(charges))))
        cells = [f'<td style="text-align: left;"><strong>{k}:</strong> {v}</td>' for k, v in rows]
        cells += [""] * (len(cells) % 2)
        status = "".join(f"<tr>{cells[i]}{cells[i + 1]}</tr>" for i in range(0, len(cells), 2))
        return super()._repr_html_(cluster_status=status + (cluster_status or ""))


def security_of(report) -> Security:
    """The client's side of the cluster's mutual TLS, from the job's own certificates."""
    address = report.get("scheduler") or ""
    tls = report.get("tls")
    if not address.startswith("tls://"):
        return Security()
    if not tls:
        raise DaskPbsError(
            f"the scheduler of {report.get('job_id')} is at {address} but its certificates are gone "
            f"(the job has ended?): dask-pbs status {report.get('job_id')}"
        )
    return Security(
        tls_ca_file=tls["ca_file"],
        tls_client_cert=tls["cert"],
        tls_client_key=tls["key"],
        require_encryption=True,
    )


@atexit.register
def _close_at_exit():
    with _TO_CLOSE_LOCK:
        clusters = list(_TO_CLOSE)
        _TO_CLOSE.clear()
    for cluster in clusters:
        cluster._close_at_exit()
