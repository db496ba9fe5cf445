"""Python keywords as `dask-pbs` arguments.

A keyword is the command line's long flag with `_` for `-` (`account="P"` is `--account=P`,
`node_type=` is `--node-type=`), and `set={"dask.nthreads": 4}` is `--set dask.nthreads=4`
with the value written as YAML (JSON's flow syntax, which YAML reads the same). Keywords the
command line does not know reach it all the same, so that its own message (with its "did you
mean") refuses them. A dask-jobqueue user's keywords (`cores=`, `memory=`, ...) go through
`dask-pbs import-jobqueue`, which maps those that map and says why for the others.
"""

from __future__ import annotations

import os

from dask_pbs._binary import DaskPbsInputError

#: Keywords that take a list, one flag each.
REPEATED = {"profile_dir": "--profile-dir", "templates": "--templates"}

#: dask-jobqueue's keywords of its job and cluster configuration that `import-jobqueue` reads
#: (with `_` for `-`), including its legacy names.
JOBQUEUE = frozenset(
    """cores memory processes resource_spec job_extra_directives job_script_prologue
    job_directives_skip interface local_directory death_timeout worker_extra_args worker_command
    python shebang nanny log_directory shared_temp_directory job_script_epilogue job_cpu job_mem
    scheduler_options project extra job_extra env_extra header_skip""".split()
)

#: dask-jobqueue's keywords that name a dask-pbs flag.
JOBQUEUE_FLAGS = {"job_name": "name"}

#: dask-jobqueue's cluster keywords with no dask-pbs counterpart, and what dask-pbs does.
JOBQUEUE_REFUSED = {
    "security": "dask-pbs makes each cluster's own certificates (dask.security: tls, the default) "
    "and Client(cluster) presents them",
    "protocol": "the job chooses: tls:// with dask.security: tls (the default); "
    "set={'dask.protocol': 'ucx'} for UCX",
    "dashboard_address": "the job picks a free dashboard port; set={'dask.dashboard_port': 8787} fixes one",
    "host": "the scheduler runs in the head job, not in this process",
    "scheduler_cls": "the scheduler runs in the head job, not in this process",
    "job_cls": "the job is rendered by dask-pbs from a profile",
    "silence_logs": "the scheduler runs in the head job: its log is in the job directory's logs/",
    "config_name": "dask-pbs reads profiles: turn that jobqueue.yaml section into one with "
    "`dask-pbs import-jobqueue --section NAME`",
}

#: The flags that also belong in an imported dask-jobqueue section (its defaults and
#: `job-directives-skip` depend on them).
SHARED_WITH_JOBQUEUE = ("queue", "account", "walltime", "name")


def yaml_value(value) -> str:
    """A Python value as YAML for `--set`: JSON's syntax (strings always quoted, None as null,
    lists and mappings in flow style), which YAML reads as the same value."""
    import json

    def fallback(v):
        if isinstance(v, os.PathLike):
            return os.fspath(v)
        if isinstance(v, (set, frozenset, tuple)):
            return list(v)
        raise TypeError(f"{v!r} ({type(v).__name__}) cannot be a profile value")

    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, default=fallback)
    except ValueError as e:
        raise DaskPbsInputError(f"{value!r} cannot be a profile value: {e}") from None


def set_args(values) -> list[str]:
    """`set={"dask.nthreads": 4}` as `--set=dask.nthreads=4`."""
    if values is None:
        return []
    if not hasattr(values, "items"):
        raise DaskPbsInputError(
            f"set= takes a mapping of profile keys to values, e.g. set={{'dask.nthreads': 4}}; got {values!r}"
        )
    return [f"--set={key}={yaml_value(value)}" for key, value in values.items()]


def flag_args(options: dict) -> list[str]:
    """Keywords as flags: `--NAME=VALUE` (the `=` keeps a value that starts with `-` a value);
    None leaves a flag out."""
    args = []
    for key, value in options.items():
        if value is None:
            continue
        if key == "set":
            args += set_args(value)
        elif key in REPEATED:
            values = [value] if isinstance(value, (str, os.PathLike)) else list(value)
            args += [f"{REPEATED[key]}={os.fspath(v)}" for v in values]
        else:
            if isinstance(value, os.PathLike):
                value = os.fspath(value)
            args.append(f"--{key.replace('_', '-')}={value}")
    return args


def split(options: dict) -> tuple[dict, dict]:
    """The dask-pbs keywords and the dask-jobqueue ones; refuses those with no counterpart."""
    refused = sorted(k for k in options if k in JOBQUEUE_REFUSED and options[k] is not None)
    if refused:
        reasons = "; ".join(f"{k}=: {JOBQUEUE_REFUSED[k]}" for k in refused)
        raise DaskPbsInputError(f"dask-jobqueue keyword(s) dask-pbs does not take: {reasons}")
    flags, jobqueue = {}, {}
    for key, value in options.items():
        if key in JOBQUEUE:
            jobqueue[key] = value
        elif key in JOBQUEUE_FLAGS:
            flags[JOBQUEUE_FLAGS[key]] = value
        elif key not in JOBQUEUE_REFUSED:
            flags[key] = value
    return flags, {k: v for k, v in jobqueue.items() if v is not None}


def profile_args(profile, options: dict, *, workdir: str) -> list[str]:
    """`--profile` and the flags for `submit` or `scale`; dask-jobqueue keywords become a
    profile of their own (`import-jobqueue`, extending `profile` when given), written into
    `workdir` next to the job script."""
    flags, jobqueue = split(options)
    if jobqueue:
        profile = import_jobqueue(profile, jobqueue, flags, workdir)
    elif profile is None:
        raise DaskPbsInputError(
            "a profile is needed: PBSCluster('sophia', ...) with a name from `dask-pbs profiles list` "
            "or a profile file's path (or dask-jobqueue's cores= and memory=)"
        )
    args = [] if profile is None else [f"--profile={os.fspath(profile)}"]
    return args + flag_args(flags)


def import_jobqueue(profile, jobqueue: dict, flags: dict, workdir: str) -> str:
    """The dask-jobqueue keywords as a profile file (`dask-pbs import-jobqueue`); the path."""
    import json
    import sys
    import tempfile

    section = {k.replace("_", "-"): v for k, v in jobqueue.items()}
    for key in SHARED_WITH_JOBQUEUE:
        if flags.get(key) is not None:
            section.setdefault(key, flags[key])
    if "python" not in section:
        # The environment the flags name, else dask-jobqueue's default: the Python of this
        # process (import-jobqueue tells a conda environment from a venv by its files).
        prefix = flags.get("venv") or flags.get("env")
        section["python"] = os.path.join(os.fspath(prefix), "bin", "python") if prefix else sys.executable
    args = ["import-jobqueue"]
    if profile is not None:
        args += [f"--extends={os.fspath(profile)}"]
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "jobqueue.yaml")
        with open(config, "w") as f:
            json.dump({"jobqueue": {"pbs": section}}, f, default=str)
        try:
            stdout, notes = _run_import(args + [config])
        except DaskPbsInputError as e:
            # The file is this function's: name the keywords instead.
            message = str(e).replace(f"{config}: ", "dask-jobqueue keywords: ")
            raise DaskPbsInputError(message, exit_code=e.exit_code, command=e.command) from None
    unmapped = [_as_keyword(n[len("not mapped: ") :]) for n in notes if n.startswith("not mapped: ")]
    if unmapped:
        raise DaskPbsInputError("dask-jobqueue keyword(s) dask-pbs does not take: " + "; ".join(unmapped))
    name = flags.get("name") or section.get("name") or "dask-worker"
    path = os.path.join(workdir, f"{name}.jobqueue.yaml")
    with open(path, "w") as f:
        f.write(stdout)
    return path


def _as_keyword(note: str) -> str:
    """`job-cpu: why` (a configuration key, as import-jobqueue names it) as `job_cpu=: why`."""
    key, _, why = note.partition(": ")
    name, space, detail = key.partition(" ")
    return f"{name.replace('-', '_')}={space}{detail}: {why}"


def _run_import(args: list[str]) -> tuple[str, list[str]]:
    """`dask-pbs import-jobqueue`: its profile and its notes (warnings relayed)."""
    import subprocess

    from dask_pbs._binary import error, find_binary, relay_warnings

    command = [find_binary(), *args]
    proc = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    relay_warnings(proc.stderr)
    if proc.returncode != 0:
        raise error(command, proc.returncode, proc.stderr)
    prefix = "dask-pbs: "
    notes = [line[len(prefix) :] for line in proc.stderr.splitlines() if line.startswith(prefix)]
    return proc.stdout, notes


def submit_args(profile, options: dict, *, workdir: str) -> list[str]:
    """`dask-pbs submit ... --json` for `PBSCluster(profile, **options)`."""
    return ["submit", *profile_args(profile, options, workdir=workdir), "--json"]

