"""`python -m dask_pbs ARGS`: runs the `dask-pbs` executable this package installed."""

import os
import sys
import sysconfig


def find_binary() -> str:
    """The `dask-pbs` executable of this installation (the scripts directory of the scheme
    the package was installed with: the venv, `--user`, or the base environment)."""
    name = "dask-pbs"
    candidates = [os.path.join(sysconfig.get_path("scripts"), name)]
    if sys.version_info >= (3, 10):
        user_scheme = sysconfig.get_preferred_scheme("user")
    elif os.name == "nt":
        user_scheme = "nt_user"
    else:
        user_scheme = "posix_user"
    candidates.append(os.path.join(sysconfig.get_path("scripts", scheme=user_scheme), name))
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise FileNotFoundError(f"dask-pbs: the executable is not installed (looked in {', '.join(candidates)})")


def main() -> None:
    binary = find_binary()
    os.execv(binary, [binary, *sys.argv[1:]])


if __name__ == "__main__":
    main()
