"""The `dask-pbs` executable: where it is, how it is run, and its errors as Python exceptions.

Everything the package knows about profiles, jobs and clusters comes from the executable's
`--json` output; its refusals (exit 2: the input; exit 1: anything else) become
`DaskPbsError`s carrying its own message.
"""

from __future__ import annotations

import os
import sys
import sysconfig

#: Names of environment variables the package reads.
BINARY_VAR = "DASK_PBS_BIN"


class DaskPbsError(RuntimeError):
    """dask-pbs refused or failed: the message is the executable's own."""

    def __init__(self, message: str, exit_code: int | None = None, command: list[str] | None = None):
        super().__init__(message)
        self.exit_code = exit_code
        self.command = command or []


class DaskPbsInputError(DaskPbsError, ValueError):
    """The input is wrong (dask-pbs exit 2): a keyword, a profile, a value."""


class DaskPbsTimeoutError(DaskPbsError, TimeoutError):
    """The cluster was not ready within the time given."""


class DaskPbsWarning(UserWarning):
    """A warning dask-pbs printed (the command still succeeded)."""


def find_binary() -> str:
    """The `dask-pbs` executable: $DASK_PBS_BIN, else the one installed with this package (the
    scripts directory of the scheme it was installed with: the venv, `--user`, or the base
    environment), else the first on PATH."""
    explicit = os.environ.get(BINARY_VAR)
    if explicit:
        if os.path.isfile(explicit) and os.access(explicit, os.X_OK):
            return explicit
        raise DaskPbsError(f"dask-pbs: ${BINARY_VAR} is {explicit!r}, which is not an executable file")
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
    import shutil

    found = shutil.which(name)
    if found:
        return found
    raise DaskPbsError(
        f"dask-pbs: the executable is not installed (looked in {', '.join(candidates)} and on PATH; "
        f"${BINARY_VAR} names another)"
    )


def message_of(stderr: str, code: int) -> str:
    """dask-pbs's error message in its stderr: from its `error:` line on, without clap's usage
    and help pointers; the whole stderr when it has no such line."""
    lines = stderr.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("error:")), None)
    if start is None:
        kept = [line for line in lines if not line.startswith("dask-pbs: warning:")]
        text = "\n".join(kept).strip()
        return text or f"dask-pbs exited with status {code} and said nothing"
    kept = []
    for line in lines[start:]:
        if line.startswith(("Usage:", "For more information")):
            continue
        kept.append(line)
    kept[0] = kept[0][len("error:") :].strip()
    return "\n".join(kept).strip()


def relay_warnings(stderr: str) -> None:
    """dask-pbs's warnings as Python warnings, where the user's code called."""
    import warnings

    prefix = "dask-pbs: warning: "
    for line in stderr.splitlines():
        if line.startswith(prefix):
            warnings.warn(line[len(prefix) :], DaskPbsWarning, stacklevel=4)


def error(command: list[str], code: int, stderr: str) -> DaskPbsError:
    kind = DaskPbsInputError if code == 2 else DaskPbsError
    return kind(message_of(stderr, code), exit_code=code, command=command)


def run(args: list[str], *, cwd: str | None = None, parse: bool = True):
    """Runs `dask-pbs ARGS` (an argument list: never through a shell) and returns its JSON
    output (`parse`) or its stdout; raises DaskPbsError with its message when it fails."""
    import subprocess

    command = [find_binary(), *args]
    proc = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=cwd)
    relay_warnings(proc.stderr)
    if proc.returncode != 0:
        raise error(command, proc.returncode, proc.stderr)
    if not parse:
        return proc.stdout
    import json

    return json.loads(proc.stdout)
