"""dask-pbs: render PBS Pro job scripts that start Dask and RAPIDS clusters.

The package carries the `dask-pbs` executable (installed into the environment's `bin/`);
`python -m dask_pbs ARGS` runs it too.
"""
