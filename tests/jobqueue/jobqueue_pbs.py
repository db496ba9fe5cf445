"""Prints the `#PBS` lines dask-jobqueue writes for a configuration file.

Usage: python jobqueue_pbs.py CONFIG.yaml [SECTION]   (SECTION: pbs by default)
Loads CONFIG.yaml over dask-jobqueue's own defaults, as ~/.config/dask/jobqueue.yaml is,
and builds the job dask-jobqueue would submit (no scheduler is started).
"""

import sys
import warnings

import dask
import dask.config
from dask_jobqueue.pbs import PBSJob


def main():
    path = sys.argv[1]
    section = sys.argv[2] if len(sys.argv) > 2 else "pbs"
    dask.config.update(dask.config.config, dask.config.collect(paths=[path], env={}), priority="new")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        job = PBSJob(scheduler="tcp://127.0.0.1:8786", name="w", config_name=section)
    for line in job.job_header.splitlines():
        print(line)


if __name__ == "__main__":
    main()
