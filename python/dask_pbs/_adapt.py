"""`PBSCluster.adapt`: a `dask-pbs adapt` child process tied to this Python process."""

from __future__ import annotations

import subprocess
import threading

from dask_pbs import _binary


class Adaptation:
    """A running `dask-pbs adapt`: what `PBSCluster.adapt` returns (Dask's `Adaptive` in
    name). Its input is a pipe this process holds: when this process ends, however it ends,
    the pipe closes and adapt stops after its current step."""

    def __init__(self, cluster, args, minimum, maximum, by_jobs):
        self.minimum = minimum
        self.maximum = maximum
        self.by_jobs = by_jobs
        self._cluster = cluster
        self.proc = subprocess.Popen(
            [_binary.find_binary(), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stderr:
            self._cluster._note(line.rstrip())

    @property
    def periodic_callback(self):
        """Truthy while adapt runs (Dask's widget reads it)."""
        return self.proc.poll() is None

    def describe(self):
        unit = "worker jobs" if self.by_jobs else "workers"
        state = "running" if self.periodic_callback else f"ended (exit {self.proc.returncode})"
        return f"{self.minimum} to {self.maximum} {unit}, {state}"

    def stop(self, timeout=150):
        """Ends adapt at its next step (a retire under way finishes first), then waits."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
