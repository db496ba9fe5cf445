"""`python -m dask_pbs ARGS`: runs the `dask-pbs` executable this package installed."""

import os
import sys

from dask_pbs._binary import DaskPbsError, find_binary


def main() -> None:
    try:
        binary = find_binary()
    except DaskPbsError as e:
        sys.exit(str(e))
    os.execv(binary, [binary, *sys.argv[1:]])


if __name__ == "__main__":
    main()
